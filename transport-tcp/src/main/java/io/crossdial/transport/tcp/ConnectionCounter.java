package io.crossdial.transport.tcp;

import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open TCP connections of one transport, accepted and dialed, under
 * {@link TcpTransportConfig#maxConnections()} (0: no limit), and the report of inbound connections refused
 * over it (specs/listeners.md, section 4). A connection holds one count from {@link #tryOpen()} until
 * {@link #closed()}: a shard takes it before it hands an accepted channel on, a dial before it connects.
 * Thread-safe.
 */
final class ConnectionCounter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionCounter.class);

    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private volatile BiConsumer<SocketAddress, Throwable> inboundRejections = (a, e) -> {};

    /** @param max the most connections open at once; 0 = no limit */
    ConnectionCounter(int max) {
        this.max = max;
    }

    /** @return connections counted now */
    int open() {
        return open.get();
    }

    /**
     * Counts one more connection if the limit allows it.
     *
     * @return null when counted; else the exception naming the limit, and nothing is counted
     */
    ConnectionLimitException tryOpen() {
        if (max == 0) {
            open.incrementAndGet();
            return null;
        }
        while (true) {
            int n = open.get();
            if (n >= max) {
                return new ConnectionLimitException(ConnectionLimitException.Limit.MAX_CONNECTIONS, max,
                        "connection limit reached: " + n + " connections open (max-connections " + max + ")");
            }
            if (open.compareAndSet(n, n + 1)) {
                return null;
            }
        }
    }

    /** Gives back the count of a connection that closed (or a dial that failed). */
    void closed() {
        open.decrementAndGet();
    }

    /** @param listener told of each accepted connection closed at once because the limit was reached */
    void onInboundRejected(BiConsumer<SocketAddress, Throwable> listener) {
        this.inboundRejections = listener;
    }

    /** On an accept event loop: an accepted connection was closed at once, over the limit. */
    void inboundRejected(SocketAddress remote, ConnectionLimitException cause) {
        log.debug("inbound connection from {} refused: {}", remote, cause.getMessage());
        try {
            inboundRejections.accept(remote, cause);
        } catch (RuntimeException e) {
            log.warn("inbound rejection listener failed", e);
        }
    }
}
