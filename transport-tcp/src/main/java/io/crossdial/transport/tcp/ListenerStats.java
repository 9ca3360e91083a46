package io.crossdial.transport.tcp;

import io.crossdial.core.multiaddr.Multiaddr;
import java.util.List;

/**
 * A snapshot of one listener's counters.
 *
 * @param multiaddr the bound address
 * @param shardAccepts connections accepted by each shard (index = shard), since it was bound
 * @param handshakesInProgress accepted connections whose handshake has not finished
 * @param peakHandshakes the most handshakes in progress at once so far
 * @param maxHandshakes the limit
 * @param rejected connections accepted and closed at once because a connection limit was reached
 */
public record ListenerStats(Multiaddr multiaddr, List<Long> shardAccepts, int handshakesInProgress,
        int peakHandshakes, int maxHandshakes, long rejected) {
    /** Copies the list. */
    public ListenerStats {
        shardAccepts = List.copyOf(shardAccepts);
    }
}
