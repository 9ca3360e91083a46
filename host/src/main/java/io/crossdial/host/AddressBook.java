package io.crossdial.host;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Peer ID to addresses, each with a time to live, as go-libp2p's peerstore address book keeps them
 * ({@code core/peerstore}: {@code AddAddrs}, {@code SetAddrs}, {@code UpdateAddrs}, {@code Addrs}). An address
 * is returned until its TTL has passed since it was last added; adding it again with a TTL that ends later
 * extends it, never shortens it ({@link #setAddrs} does). The host adds the address it dialed and the
 * listen addresses a peer announces over identify with {@link #CONNECTED_ADDR_TTL}, and moves them to
 * {@link #RECENTLY_CONNECTED_ADDR_TTL} when the last connection to the peer closes; a redial after a failed
 * simultaneous open tries them ({@code specs/simopen.md}, case 6e).
 *
 * <p>Addresses are stored as given (with or without {@code /p2p/}). Expired entries are dropped when the
 * peer is next read or written. Thread-safe: each peer's entries are guarded by their own lock.
 */
public final class AddressBook {
    /** For addresses of unknown worth, e.g. a relay's hint: 2 minutes (go-libp2p's TempAddrTTL). */
    public static final Duration TEMP_ADDR_TTL = Duration.ofMinutes(2);
    /** After the last connection closed: 15 minutes (go-libp2p's RecentlyConnectedAddrTTL). */
    public static final Duration RECENTLY_CONNECTED_ADDR_TTL = Duration.ofMinutes(15);
    /** Never expires by time; the host moves it to {@link #RECENTLY_CONNECTED_ADDR_TTL} at disconnect. */
    public static final Duration CONNECTED_ADDR_TTL = Duration.ofNanos(Long.MAX_VALUE - 1);
    /** Never expires (bootstrap peers, addresses the application gives). */
    public static final Duration PERMANENT_ADDR_TTL = Duration.ofNanos(Long.MAX_VALUE);

    private record Entry(long addedNanos, long ttlNanos) {
        boolean expired(long now) {
            return ttlNanos != Long.MAX_VALUE && now - addedNanos >= ttlNanos;
        }

        long endsAfter(long now) {
            return ttlNanos == Long.MAX_VALUE ? Long.MAX_VALUE : ttlNanos - (now - addedNanos);
        }
    }

    private final Map<PeerId, Map<Multiaddr, Entry>> peers = new ConcurrentHashMap<>();
    private final LongSupplier nanoClock;

    /** An address book on {@link System#nanoTime()}. */
    public AddressBook() {
        this(System::nanoTime);
    }

    /** @param nanoClock a monotonic clock in ns (tests drive it by hand) */
    AddressBook(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    private static long ttlNanos(Duration ttl) {
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must not be negative: " + ttl);
        }
        try {
            return ttl.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Adds addresses, or extends the TTL of those already known (the later end wins).
     *
     * @param peer the peer
     * @param addrs its addresses, kept in the order given after the ones already known
     * @param ttl how long to keep them; {@link Duration#ZERO} adds nothing
     * @throws IllegalArgumentException if {@code ttl} is negative
     */
    public void addAddrs(PeerId peer, Collection<Multiaddr> addrs, Duration ttl) {
        long ttlNanos = ttlNanos(ttl);
        if (ttlNanos == 0 || addrs.isEmpty()) {
            return;
        }
        Map<Multiaddr, Entry> entries = peers.computeIfAbsent(peer, p -> new LinkedHashMap<>());
        synchronized (entries) {
            long now = nanoClock.getAsLong();
            prune(entries, now);
            for (Multiaddr a : addrs) {
                Entry old = entries.get(a);
                if (old == null || old.endsAfter(now) < ttlNanos) {
                    entries.put(a, new Entry(now, ttlNanos));
                }
            }
        }
    }

    /**
     * Sets the TTL of these addresses, shorter or longer than before; {@link Duration#ZERO} removes them.
     *
     * @param peer the peer
     * @param addrs the addresses
     * @param ttl their new TTL, from now
     * @throws IllegalArgumentException if {@code ttl} is negative
     */
    public void setAddrs(PeerId peer, Collection<Multiaddr> addrs, Duration ttl) {
        long ttlNanos = ttlNanos(ttl);
        Map<Multiaddr, Entry> entries = peers.computeIfAbsent(peer, p -> new LinkedHashMap<>());
        synchronized (entries) {
            long now = nanoClock.getAsLong();
            for (Multiaddr a : addrs) {
                if (ttlNanos == 0) {
                    entries.remove(a);
                } else {
                    entries.put(a, new Entry(now, ttlNanos));
                }
            }
            prune(entries, now);
        }
    }

    /**
     * Gives every address of {@code peer} whose TTL is {@code oldTtl} the TTL {@code newTtl}, from now (the
     * host's disconnect: connected to recently connected).
     *
     * @param peer the peer
     * @param oldTtl the TTL to match
     * @param newTtl the TTL they get; {@link Duration#ZERO} removes them
     */
    public void updateAddrs(PeerId peer, Duration oldTtl, Duration newTtl) {
        long oldNanos = ttlNanos(oldTtl);
        long newNanos = ttlNanos(newTtl);
        Map<Multiaddr, Entry> entries = peers.get(peer);
        if (entries == null) {
            return;
        }
        synchronized (entries) {
            long now = nanoClock.getAsLong();
            entries.replaceAll((a, e) -> e.ttlNanos() == oldNanos ? new Entry(now, newNanos) : e);
            entries.values().removeIf(e -> e.ttlNanos() == 0);
            prune(entries, now);
        }
    }

    /**
     * @param peer the peer
     * @return its addresses whose TTL has not passed, oldest first
     */
    public List<Multiaddr> addrs(PeerId peer) {
        Map<Multiaddr, Entry> entries = peers.get(peer);
        if (entries == null) {
            return List.of();
        }
        synchronized (entries) {
            prune(entries, nanoClock.getAsLong());
            return List.copyOf(entries.keySet());
        }
    }

    /** @return the peers with at least one address that has not expired */
    public Set<PeerId> peers() {
        Set<PeerId> out = new LinkedHashSet<>();
        for (PeerId p : peers.keySet()) {
            if (!addrs(p).isEmpty()) {
                out.add(p);
            }
        }
        return out;
    }

    /** Forgets every address of {@code peer}. */
    public void clearAddrs(PeerId peer) {
        peers.remove(peer);
    }

    private static void prune(Map<Multiaddr, Entry> entries, long now) {
        entries.values().removeIf(e -> e.expired(now));
    }

    /** Adds addresses for good ({@link Host#addPeerAddresses}). */
    void add(PeerId peer, List<Multiaddr> addrs) {
        addAddrs(peer, addrs, PERMANENT_ADDR_TTL);
    }

    /**
     * @param dialed the address a dial was given
     * @param peer the peer it expects, or null
     * @return {@code dialed}, then the peer's unexpired addresses (each with {@code /p2p/peer}), without repeats
     */
    List<Multiaddr> candidates(Multiaddr dialed, PeerId peer) {
        LinkedHashSet<Multiaddr> out = new LinkedHashSet<>();
        out.add(dialed);
        if (peer != null) {
            for (Multiaddr a : addrs(peer)) {
                out.add(a.peerId() == null ? a.withPeerId(peer) : a);
            }
        }
        return new ArrayList<>(out);
    }
}
