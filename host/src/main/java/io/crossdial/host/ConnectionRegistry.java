package io.crossdial.host;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.transport.tcp.ConnectionLimitException;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's live upgraded connections and the inbound upgrades still running.
 *
 * <p>Registration applies the per-peer limit and the crossed-dial rule ({@code specs/simopen.md}, "Crossed
 * dials"): when a new connection crosses a live one the other way to the same peer, the one whose dialer
 * has the smaller peer ID (multihash bytes, unsigned) is kept on both sides and the other closed. The side
 * with the larger peer ID, whose outbound connection could lose, completes its dial only once every inbound
 * upgrade from the peer's IP has settled (at most {@value #CROSSED_DIAL_WAIT_MILLIS} ms), so the dial hands
 * out the survivor. Thread-safe.
 */
final class ConnectionRegistry {
    /** How long a dial that may lose a crossed-dial tie waits for the crossing inbound upgrade, in ms. */
    static final long CROSSED_DIAL_WAIT_MILLIS = 2_000;

    private static final Logger log = LoggerFactory.getLogger(ConnectionRegistry.class);

    private final PeerId localPeer;
    private final int maxConnectionsPerPeer;
    private final Consumer<Connection> connectionListener;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    /** Each running inbound upgrade, with a promise that completes once it registered or failed. */
    private final Map<Channel, Promise<Void>> pendingInbound = new ConcurrentHashMap<>();

    /**
     * @param localPeer this host's peer ID, for the crossed-dial rule
     * @param maxConnectionsPerPeer at most this many connections per peer, 0 for no limit
     * @param connectionListener told every registered connection (exceptions it throws are logged)
     */
    ConnectionRegistry(PeerId localPeer, int maxConnectionsPerPeer, Consumer<Connection> connectionListener) {
        this.localPeer = localPeer;
        this.maxConnectionsPerPeer = maxConnectionsPerPeer;
        this.connectionListener = connectionListener;
    }

    /** An inbound connection's upgrade started (call on its event loop, before the upgrade can finish). */
    void inboundStarted(Channel ch) {
        pendingInbound.put(ch, ch.eventLoop().newPromise());
    }

    /** An inbound upgrade ended: registered, refused or failed. Wakes the dials waiting for it. */
    void inboundSettled(Channel ch) {
        Promise<Void> settled = pendingInbound.remove(ch);
        if (settled != null) {
            settled.trySuccess(null);
        }
    }

    /**
     * Adds a new connection; if it crosses one the other way to the same peer, keeps one.
     *
     * @param connection the upgraded connection
     * @return the survivor: {@code connection}, or the live connection it lost to (then {@code connection}
     *     is being closed)
     * @throws ConnectionLimitException when the peer already has {@code maxConnectionsPerPeer} connections
     *     (crossed dials replace, they do not add)
     */
    synchronized Connection register(Connection connection) {
        Connection crossed = null;
        int toPeer = 0;
        for (Connection c : connections) {
            // A relayed connection and a direct one are never crossed dials of each other (DCUtR keeps both
            // until the direct one is usable), and each kind has its own per-peer count.
            if (c.remotePeer().equals(connection.remotePeer()) && c.channel().isActive()
                    && c.isRelayed() == connection.isRelayed()) {
                toPeer++;
                if (c.direction() != connection.direction() && crossed == null) {
                    crossed = c;
                }
            }
        }
        if (crossed == null && maxConnectionsPerPeer > 0 && toPeer >= maxConnectionsPerPeer) {
            throw new ConnectionLimitException(ConnectionLimitException.Limit.MAX_CONNECTIONS_PER_PEER,
                    maxConnectionsPerPeer, "connection limit reached: peer " + connection.remotePeer() + " has "
                            + toPeer + " connections (max-connections-per-peer " + maxConnectionsPerPeer + ")");
        }
        if (crossed != null) {
            Connection survivor = keepOf(connection, crossed);
            Connection loser = survivor == connection ? crossed : connection;
            log.debug("crossed dials with {}: keeping {} {}, closing {} {}", connection.remotePeer(),
                    survivor.direction(), survivor.remoteAddr(), loser.direction(), loser.remoteAddr());
            connections.remove(loser);
            loser.close();
            if (survivor != connection) {
                return survivor;
            }
        }
        connections.add(connection);
        connection.channel().closeFuture().addListener(c -> connections.remove(connection));
        try {
            connectionListener.accept(connection);
        } catch (RuntimeException e) {
            log.warn("connection listener failed", e);
        }
        return connection;
    }

    /**
     * Completes a dial with the connection it should hand out: {@code survivor} at once, unless it is an
     * outbound connection that can still lose a crossed-dial tie to an inbound upgrade from the same IP.
     *
     * @param survivor what {@link #register} returned for the dial's connection
     * @param result the dial's promise
     */
    void completeDial(Connection survivor, Promise<Connection> result) {
        if (survivor.direction() == Direction.OUTBOUND && compare(localPeer, survivor.remotePeer()) > 0) {
            awaitCrossedInbound(survivor, result,
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CROSSED_DIAL_WAIT_MILLIS));
        } else {
            result.trySuccess(survivor);
        }
    }

    /**
     * Decides now, or once the next pending inbound upgrade from the peer's IP settles, the outbound
     * connection closes, or the deadline passes, whichever comes first.
     */
    private void awaitCrossedInbound(Connection outbound, Promise<Connection> result, long deadlineNanos) {
        InetAddress peerIp = ((InetSocketAddress) outbound.channel().remoteAddress()).getAddress();
        List<Promise<Void>> pending = pendingInbound.entrySet().stream()
                .filter(e -> e.getKey().remoteAddress() instanceof InetSocketAddress r && r.getAddress().equals(peerIp))
                .map(Map.Entry::getValue)
                .toList();
        long leftNanos = deadlineNanos - System.nanoTime();
        // register() removes a crossed loser from the set before closing it, so a loser still closing (and
        // still active) is already out of the set.
        boolean lost = !connections.contains(outbound) || !outbound.channel().isActive();
        if (lost || pending.isEmpty() || leftNanos <= 0) {
            Connection survivor = lost ? sameKind(outbound) : outbound;
            if (survivor != null) {
                result.trySuccess(survivor);
                return;
            }
            if (pending.isEmpty() || leftNanos <= 0) {
                result.tryFailure(new IllegalStateException("connection to " + outbound.remotePeer() + " closed"));
                return;
            }
            // Closed by the remote's tie-break while our side of the crossing connection still upgrades.
        }
        EventLoop loop = outbound.channel().eventLoop();
        AtomicBoolean woken = new AtomicBoolean();
        ScheduledFuture<?>[] timer = new ScheduledFuture<?>[1];
        Runnable again = () -> {
            if (woken.compareAndSet(false, true)) {
                if (timer[0] != null) {
                    timer[0].cancel(false);
                }
                loop.execute(() -> awaitCrossedInbound(outbound, result, deadlineNanos));
            }
        };
        timer[0] = loop.schedule(again, leftNanos, TimeUnit.NANOSECONDS);
        for (Future<Void> p : pending) {
            p.addListener(f -> again.run());
        }
        outbound.channel().closeFuture().addListener(f -> again.run());
    }

    /**
     * @param peer a peer ID
     * @return a live connection to that peer, a direct one if there is one, else a relayed one, or null
     */
    Connection connection(PeerId peer) {
        Connection relayed = null;
        for (Connection c : connections) {
            if (c.remotePeer().equals(peer) && c.channel().isActive()) {
                if (!c.isRelayed()) {
                    return c;
                }
                relayed = relayed == null ? c : relayed;
            }
        }
        return relayed;
    }

    /** @return a live connection to the peer of {@code c} that is relayed exactly when {@code c} is, or null */
    private Connection sameKind(Connection c) {
        for (Connection other : connections) {
            if (other.remotePeer().equals(c.remotePeer()) && other.isRelayed() == c.isRelayed()
                    && other.channel().isActive()) {
                return other;
            }
        }
        return null;
    }

    /** @return a snapshot of the live connections */
    Collection<Connection> connections() {
        return List.copyOf(connections);
    }

    /** The crossed-dial rule: keep the connection whose dialer has the smaller peer ID. */
    private Connection keepOf(Connection a, Connection b) {
        return compare(dialerOf(a), dialerOf(b)) <= 0 ? a : b;
    }

    private PeerId dialerOf(Connection c) {
        return c.direction() == Direction.OUTBOUND ? localPeer : c.remotePeer();
    }

    private static int compare(PeerId a, PeerId b) {
        return Arrays.compareUnsigned(a.toBytes(), b.toBytes());
    }
}
