package io.crossdial.host;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The other addresses the host knows for each peer ({@link Host#addPeerAddresses}), which a redial tries
 * when the dialed address refuses an ephemeral-port dial ({@code specs/simopen.md}, case 6e). Thread-safe.
 */
final class AddressBook {
    private final Map<PeerId, List<Multiaddr>> addresses = new ConcurrentHashMap<>();

    /**
     * @param peer the peer
     * @param addrs more of its addresses, with or without {@code /p2p/}; kept in the order given, after the
     *     ones already known
     */
    void add(PeerId peer, List<Multiaddr> addrs) {
        addresses.computeIfAbsent(peer, p -> new CopyOnWriteArrayList<>()).addAll(addrs);
    }

    /**
     * @param dialed the address a dial was given
     * @param peer the peer it expects, or null
     * @return {@code dialed}, then the peer's known addresses (each with {@code /p2p/peer}), without repeats
     */
    List<Multiaddr> candidates(Multiaddr dialed, PeerId peer) {
        LinkedHashSet<Multiaddr> out = new LinkedHashSet<>();
        out.add(dialed);
        if (peer != null) {
            for (Multiaddr a : addresses.getOrDefault(peer, List.of())) {
                out.add(a.peerId() == null ? a.withPeerId(peer) : a);
            }
        }
        return new ArrayList<>(out);
    }
}
