package io.crossdial.host;

import static io.crossdial.host.HostFixture.WAIT_MILLIS;
import static io.crossdial.host.HostFixture.eventually;
import static io.crossdial.host.HostFixture.ping;
import static io.crossdial.host.HostFixture.settles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;

/**
 * Crossed dials with port reuse off: each host dials the other at the same time, so there are two TCP
 * connections; exactly one survives on both sides, the one whose dialer has the smaller peer ID.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CrossedDialTest {
    private final HostFixture fixture = new HostFixture();

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @RepeatedTest(20)
    void keepsExactlyOneConnectionTheOneDialedByTheSmallerPeerId() throws Exception {
        HostFixture.Peer a = fixture.peer(false);
        HostFixture.Peer b = fixture.peer(false);
        CompletableFuture<Connection> aDial = a.host.dial(b.addr());
        CompletableFuture<Connection> bDial = b.host.dial(a.addr());

        // Each dial completes first (the one that may lose the tie waits for the crossing inbound upgrade);
        // then the loser's close reaches the other side.
        assertTrue(settles(aDial, WAIT_MILLIS) && settles(bDial, WAIT_MILLIS));
        assertTrue(eventually(3_000, () -> a.liveTo(b.peerId()).size() == 1 && b.liveTo(a.peerId()).size() == 1
                && a.host.connections().size() == 1 && b.host.connections().size() == 1
                && a.liveTo(b.peerId()).get(0).localAddr().equals(b.liveTo(a.peerId()).get(0).remoteAddr())),
                "one live connection each, the same: a=" + a.host.connections() + " b=" + b.host.connections());
        Connection atA = a.liveTo(b.peerId()).get(0);
        Connection atB = b.liveTo(a.peerId()).get(0);
        assertEquals(atA.remoteAddr(), atB.localAddr());

        boolean aIsSmaller = Arrays.compareUnsigned(a.peerId().toBytes(), b.peerId().toBytes()) < 0;
        HostFixture.Peer keptDialer = aIsSmaller ? a : b;
        assertEquals(aIsSmaller ? Direction.OUTBOUND : Direction.INBOUND, atA.direction(),
                "kept the connection dialed by " + keptDialer.peerId());
        assertEquals(aIsSmaller ? Direction.INBOUND : Direction.OUTBOUND, atB.direction());

        // Both dials succeed and hand out the survivor. One race is inherent: when a host's whole outbound
        // upgrade finishes before the crossing TCP connection even reached it, its dial hands out the outbound
        // connection, which the remote's tie-break closes right after; then it must be closed by now.
        assertSurvivorOrClosedLoser(atA, aDial.get(0, TimeUnit.MILLISECONDS)); // throws a's dial failure
        assertSurvivorOrClosedLoser(atB, bDial.get(0, TimeUnit.MILLISECONDS));

        assertTrue(ping(atA) > 0);
        assertTrue(ping(atB) > 0);
        assertEquals(List.of(atA), List.copyOf(a.host.connections()));
    }

    private static void assertSurvivorOrClosedLoser(Connection survivor, Connection handedOut) {
        if (handedOut != survivor) {
            assertTrue(handedOut.closeFuture().awaitUninterruptibly(WAIT_MILLIS), "a handed-out loser is closed");
            assertEquals(Direction.OUTBOUND, handedOut.direction());
            assertEquals(Direction.INBOUND, survivor.direction());
        }
    }
}
