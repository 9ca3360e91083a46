package io.crossdial.transport.tcp;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Which listener a dial with port reuse goes out from (specs/listeners.md, section 2, "Source selection").
 * Candidates are the active listeners of the destination's family whose {@link AddressScope} fits it, ranked by
 * {@link AddressScope#fit} (a wildcard listener fits any destination, rank 3); among them the one on the address
 * the kernel routes from wins, else the best rank. Thread-safe (it reads a live, thread-safe listener list).
 */
final class SourceAddressSelector {
    /** The rank of a wildcard listener: it fits any destination, after every listener on an address. */
    private static final int WILDCARD_RANK = 3;

    private final Iterable<TcpListener> listeners;

    /** @param listeners the transport's listeners, bound and not closed (a live view) */
    SourceAddressSelector(Iterable<TcpListener> listeners) {
        this.listeners = listeners;
    }

    /**
     * The listener address to dial {@code remote} from: among the active listeners of the destination's family
     * whose {@link AddressScope} fits it (a wildcard listener fits any destination, last), the one on the address
     * the kernel would route from; when the kernel routes from an address no listener is on, and no wildcard
     * listener fits, none (an ephemeral port); else the best fit.
     *
     * @param remote the destination
     * @return the local address to bind, or null to dial from an ephemeral port
     */
    InetSocketAddress sourceFor(InetSocketAddress remote) {
        InetAddress destination = remote.getAddress();
        if (destination == null) {
            return null; // DNS name: the family is known only after resolution; dial from an ephemeral port
        }
        boolean remoteV6 = destination instanceof Inet6Address;
        AddressScope destinationScope = AddressScope.of(destination);
        List<TcpListener> candidates = new ArrayList<>();
        List<Integer> ranks = new ArrayList<>();
        for (TcpListener listener : listeners) {
            InetAddress ip = listener.localAddress().getAddress();
            if ((ip instanceof Inet6Address) != remoteV6 || !listener.isActive()) {
                continue;
            }
            int rank = ip.isAnyLocalAddress() ? WILDCARD_RANK : AddressScope.fit(AddressScope.of(ip), destinationScope);
            if (rank >= 0) {
                candidates.add(listener);
                ranks.add(rank);
            }
        }
        if (candidates.isEmpty()) {
            return null;
        }
        InetAddress routed = routeSource(remote);
        for (TcpListener l : candidates) {
            if (l.localAddress().getAddress().equals(routed)) {
                return l.localAddress();
            }
        }
        if (routed != null && !routed.isLoopbackAddress() && ranks.stream().noneMatch(r -> r == WILDCARD_RANK)) {
            // The kernel routes from an address none of our listeners is on (one not yet bound, say, while a
            // wildcard's interface poll catches up): binding another address would send packets out with the
            // wrong source. Dial from an ephemeral port on the routed address instead.
            return null;
        }
        int best = 0;
        for (int i = 1; i < candidates.size(); i++) {
            if (ranks.get(i) < ranks.get(best)) {
                best = i;
            }
        }
        return candidates.get(best).localAddress();
    }

    /**
     * The source address the kernel picks for a destination: a connected UDP socket (no packet is sent)
     * reports it.
     *
     * @return the address, or null when there is no route
     */
    static InetAddress routeSource(InetSocketAddress remote) {
        InetAddress dest = remote.getAddress();
        try (DatagramChannel ch = DatagramChannel.open(
                dest instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET)) {
            ch.connect(new InetSocketAddress(dest, remote.getPort() == 0 ? 9 : remote.getPort()));
            return ((InetSocketAddress) ch.getLocalAddress()).getAddress();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
