package io.crossdial.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The address book's TTLs on a hand-driven clock. */
class AddressBookTest {
    private final AtomicLong now = new AtomicLong(-5_000_000_000L); // a negative nanoTime, as the JVM may give
    private final AddressBook book = new AddressBook(now::get);
    private final PeerId peer = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
    private final Multiaddr a = Multiaddr.fromString("/ip4/192.0.2.1/tcp/4001");
    private final Multiaddr b = Multiaddr.fromString("/ip4/192.0.2.2/tcp/4001");

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void anAddressLivesForItsTtlThenIsGone() {
        book.addAddrs(peer, List.of(a), AddressBook.TEMP_ADDR_TTL);
        advance(AddressBook.TEMP_ADDR_TTL.minusNanos(1));
        assertEquals(List.of(a), book.addrs(peer));
        advance(Duration.ofNanos(1));
        assertEquals(List.of(), book.addrs(peer));
        assertEquals(Set.of(), book.peers());
    }

    @Test
    void addingAgainExtendsButNeverShortensWhileSetDoes() {
        book.addAddrs(peer, List.of(a), AddressBook.RECENTLY_CONNECTED_ADDR_TTL);
        book.addAddrs(peer, List.of(a), AddressBook.TEMP_ADDR_TTL); // ends sooner: ignored
        advance(Duration.ofMinutes(10));
        assertEquals(List.of(a), book.addrs(peer));
        book.addAddrs(peer, List.of(a), AddressBook.RECENTLY_CONNECTED_ADDR_TTL); // ends later: extends
        advance(Duration.ofMinutes(10));
        assertEquals(List.of(a), book.addrs(peer));
        book.setAddrs(peer, List.of(a), Duration.ofSeconds(1));
        advance(Duration.ofSeconds(1));
        assertEquals(List.of(), book.addrs(peer));
        book.addAddrs(peer, List.of(a, b), AddressBook.PERMANENT_ADDR_TTL);
        book.setAddrs(peer, List.of(a), Duration.ZERO);
        assertEquals(List.of(b), book.addrs(peer));
    }

    @Test
    void disconnectMovesConnectedAddressesToRecentlyConnected() {
        book.addAddrs(peer, List.of(a), AddressBook.CONNECTED_ADDR_TTL);
        book.addAddrs(peer, List.of(b), AddressBook.PERMANENT_ADDR_TTL);
        advance(Duration.ofDays(365 * 50));
        assertEquals(List.of(a, b), book.addrs(peer), "connected and permanent addresses do not expire");
        book.updateAddrs(peer, AddressBook.CONNECTED_ADDR_TTL, AddressBook.RECENTLY_CONNECTED_ADDR_TTL);
        advance(AddressBook.RECENTLY_CONNECTED_ADDR_TTL);
        assertEquals(List.of(b), book.addrs(peer));
    }

    @Test
    void redialCandidatesSkipExpiredAddressesAndCarryThePeerId() {
        Multiaddr dialed = Multiaddr.fromString("/ip4/192.0.2.9/tcp/1").withPeerId(peer);
        book.addAddrs(peer, List.of(a), AddressBook.TEMP_ADDR_TTL);
        book.addAddrs(peer, List.of(b), AddressBook.PERMANENT_ADDR_TTL);
        assertEquals(List.of(dialed, a.withPeerId(peer), b.withPeerId(peer)), book.candidates(dialed, peer));
        advance(AddressBook.TEMP_ADDR_TTL);
        assertEquals(List.of(dialed, b.withPeerId(peer)), book.candidates(dialed, peer));
    }

    @Test
    void rejectsANegativeTtl() {
        assertThrows(IllegalArgumentException.class,
                () -> book.addAddrs(peer, List.of(a), Duration.ofSeconds(-1)));
    }
}
