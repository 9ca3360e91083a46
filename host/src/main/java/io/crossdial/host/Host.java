package io.crossdial.host;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.Role;
import io.crossdial.multistream.MultistreamListenerHandler;
import io.crossdial.transport.tcp.TcpListener;
import io.crossdial.transport.tcp.TcpTransport;
import io.crossdial.upgrader.Upgrader;
import io.crossdial.upgrader.UpgraderConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A libp2p host over TCP: listens, dials, upgrades every connection (multistream-select, security, muxer)
 * and serves protocols on inbound streams. Build with {@link #builder()}, then {@link #start()}.
 *
 * <p>Thread-safe. Futures complete on connection event loops: never block on them there.
 */
public final class Host implements AutoCloseable {
    /** The agent version identify reports unless configured otherwise. */
    public static final String DEFAULT_AGENT_VERSION = "crossdial/0.1.0";
    /** First backoff ceiling of a redial after a failed simultaneous open, in ms. */
    public static final long REDIAL_BASE_MILLIS = 50;
    /** Largest backoff before a redial, in ms. */
    public static final long REDIAL_MAX_BACKOFF_MILLIS = 800;
    /** How many redials a dial makes at most. */
    public static final int MAX_REDIALS = 3;
    /** How long a dial that may lose a crossed-dial tie waits for the crossing inbound upgrade, in ms. */
    static final long CROSSED_DIAL_WAIT_MILLIS = 2_000;

    private static final Logger log = LoggerFactory.getLogger(Host.class);

    private final PrivateKey identity;
    private final PeerId peerId;
    private final List<Multiaddr> requestedListenAddrs;
    private final Map<String, StreamHandlerFactory> protocols;
    private final String agentVersion;
    private final Consumer<Connection> connectionListener;
    private final java.util.function.BiConsumer<java.net.SocketAddress, Throwable> inboundFailureListener;
    private final Upgrader upgrader;
    private final TcpTransport transport;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final Set<Channel> pendingInbound = ConcurrentHashMap.newKeySet();
    private final Map<PeerId, List<Multiaddr>> peerAddresses = new ConcurrentHashMap<>();
    private final int maxConnectionsPerPeer;

    Host(HostBuilder b, UpgraderConfig upgraderConfig) {
        this.identity = b.identity;
        this.peerId = PeerId.fromPublicKey(identity.publicKey());
        this.requestedListenAddrs = List.copyOf(b.listenAddrs);
        this.agentVersion = b.agentVersion;
        this.connectionListener = b.connectionListener;
        this.inboundFailureListener = b.inboundFailureListener;
        this.upgrader = new Upgrader(upgraderConfig);
        this.protocols = new java.util.LinkedHashMap<>();
        StandardProtocols.register(this, protocols);
        this.protocols.putAll(b.protocols);
        this.transport = new TcpTransport(b.transportConfig);
        this.maxConnectionsPerPeer = b.maxConnectionsPerPeer;
        this.transport.onListenerEvent(b.listenerEventListener);
        this.transport.onInboundRejected(inboundFailureListener);
    }

    /** @return a new builder */
    public static HostBuilder builder() {
        return new HostBuilder();
    }

    /** @return this host's peer ID */
    public PeerId peerId() {
        return peerId;
    }

    /** @return this host's identity key */
    public PrivateKey identity() {
        return identity;
    }

    /** @return what identify reports as the agent version */
    public String agentVersion() {
        return agentVersion;
    }

    /** @return the protocol IDs served on inbound streams, in registration order */
    public List<String> protocols() {
        return List.copyOf(protocols.keySet());
    }

    /** @return the security protocol IDs, in preference order */
    public List<String> securityProtocols() {
        return upgrader.config().securityProtocolIds();
    }

    /** @return the muxer protocol IDs, in preference order */
    public List<String> muxerProtocols() {
        return upgrader.config().muxerProtocolIds();
    }

    /**
     * Binds every configured listen address by the multi-home plan of specs/listeners.md: explicit
     * addresses first, then each wildcard ({@code 0.0.0.0}, {@code ::}) as one listener per interface
     * address, following interface changes ({@link HostBuilder#onListenerEvent}).
     *
     * @return this host
     * @throws io.crossdial.transport.tcp.TcpBindException when an address cannot be bound (already bound
     *     listeners are closed again); waits at most {@value TcpTransport#BIND_TIMEOUT_MILLIS} ms per socket
     */
    public Host start() {
        if (requestedListenAddrs.isEmpty()) {
            return this;
        }
        try {
            transport.listenAll(requestedListenAddrs, new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    upgrade(ch, Role.RESPONDER, null, Direction.INBOUND, null, 0);
                }
            });
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        return this;
    }

    /** @return the bound listen addresses, one per listener, with their real ports, without {@code /p2p/} */
    public List<Multiaddr> listenAddrs() {
        List<Multiaddr> out = new ArrayList<>();
        for (TcpListener l : transport.listeners()) {
            out.add(l.multiaddr());
        }
        return out;
    }

    /**
     * The addresses to tell other peers. Wildcards are expanded into one listener per interface address when
     * the host starts, so these are the listeners' addresses ({@link #listenAddrs()}); a wildcard appears
     * only when the interfaces could not be enumerated.
     *
     * @return the advertised addresses, without {@code /p2p/}
     */
    public List<Multiaddr> advertisedAddrs() {
        return listenAddrs();
    }

    /** @return the live upgraded connections */
    public Collection<Connection> connections() {
        return List.copyOf(connections);
    }

    /** @return the TCP transport (listeners, event loops) */
    public TcpTransport transport() {
        return transport;
    }

    /**
     * Dials a peer and upgrades the connection.
     *
     * <p>With port reuse the dial goes out from a listen port, and a TCP simultaneous open is resolved
     * in-band on the same connection ({@code specs/simopen.md}): with a crossdial peer by {@code select:},
     * with a stock dialer by going on as the responder (cases 3 and 6). If such a dial still fails during the
     * security stages (case 6e: a simultaneous open the switch could not handle), it is retried after a random backoff
     * (jittered, doubling from {@value #REDIAL_BASE_MILLIS} ms, at most {@value #REDIAL_MAX_BACKOFF_MILLIS}
     * ms, {@value #MAX_REDIALS} times) from an ephemeral port, which cannot collide again, to the same
     * address and then to the peer's other known addresses ({@link #addPeerAddresses}).
     *
     * <p>Crossed dials (each side dialed the other, two TCP connections): exactly one is kept, the one whose
     * dialer has the smaller peer ID (compared as multihash bytes), on both sides; the other is closed with
     * the muxer's goodbye, and this future gives the survivor.
     *
     * @param addr {@code /ip4|ip6|dns*}/HOST/tcp/PORT[/p2p/PEER]; with {@code /p2p/} the remote must
     *     authenticate as that peer
     * @return completes with the connection, or fails with a {@code TcpDialException},
     *     {@code MultiaddrException} or {@code UpgradeException} (naming the stage)
     */
    public Future<Connection> dial(Multiaddr addr) {
        // One event loop per dial, for its futures and its connection (taking a loop per future pinned every
        // dialed connection to the same loop).
        io.netty.channel.EventLoop loop = transport.workerGroup().next();
        Promise<Connection> promise = loop.newPromise();
        PeerId expected;
        try {
            expected = addr.peerId();
            addr.toSocketAddress();
        } catch (RuntimeException e) {
            return promise.setFailure(e);
        }
        attempt(addr, expected, promise, 0, transport.config().portReuse(), 0, loop);
        return promise;
    }

    /** Tells the host other addresses of a peer, for redials after a failed simultaneous open. */
    public void addPeerAddresses(PeerId peer, List<Multiaddr> addrs) {
        peerAddresses.computeIfAbsent(peer, p -> new java.util.concurrent.CopyOnWriteArrayList<>()).addAll(addrs);
    }

    /**
     * One dial attempt. After a failed simultaneous open on a dial from a listen port, redials (from an
     * ephemeral port) go to {@code addr} first, then, each time one is refused, to the next of the peer's
     * known addresses ({@code target} indexes them).
     */
    private void attempt(Multiaddr addr, PeerId expected, Promise<Connection> promise, int redials,
            boolean portReuse, int target, io.netty.channel.EventLoop loop) {
        Promise<Connection> attemptResult = loop.newPromise();
        Channel[] dialed = new Channel[1];
        Multiaddr current = target == 0 ? addr : knownAddresses(addr, expected).get(target);
        transport.dial(current, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                dialed[0] = ch;
                upgrade(ch, Role.INITIATOR, expected, Direction.OUTBOUND, attemptResult, redials);
            }
        }, portReuse, loop).addListener(f -> {
            if (!f.isSuccess()) {
                attemptResult.tryFailure(f.cause());
            }
        });
        attemptResult.addListener(f -> {
            if (f.isSuccess()) {
                promise.trySuccess((Connection) f.getNow());
                return;
            }
            Throwable cause = f.cause();
            if (redials >= MAX_REDIALS) {
                promise.tryFailure(cause);
            } else if ((redials == 0 && dialedFromListenPort(dialed[0]) || redials > 0) && isCollision(cause)) {
                // A simultaneous open the remote could not resolve (or a redial the remote dropped while it was
                // still tearing the collision down): back off, doubling, and redial from an ephemeral port.
                long ceiling = Math.min(REDIAL_MAX_BACKOFF_MILLIS, REDIAL_BASE_MILLIS << redials);
                long backoff = java.util.concurrent.ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1);
                log.debug("dial {} failed ({}); redial in {} ms from an ephemeral port", current, cause.getMessage(),
                        backoff);
                loop.schedule(() -> attempt(addr, expected, promise, redials + 1, false, target, loop),
                        backoff, TimeUnit.MILLISECONDS);
            } else if (redials > 0 && cause instanceof io.crossdial.transport.tcp.TcpDialException
                    && target + 1 < knownAddresses(addr, expected).size()) {
                // A redial target that refuses: the address was a dial port, not a listen port; try the next.
                log.debug("redial to {} failed ({}); trying the peer's next address", current, cause.getMessage());
                attempt(addr, expected, promise, redials + 1, false, target + 1, loop);
            } else {
                promise.tryFailure(cause);
            }
        });
    }

    /** The dialed address, then the peer's other known addresses, without repeats. */
    private List<Multiaddr> knownAddresses(Multiaddr addr, PeerId expected) {
        java.util.LinkedHashSet<Multiaddr> out = new java.util.LinkedHashSet<>();
        out.add(addr);
        if (expected != null) {
            for (Multiaddr a : peerAddresses.getOrDefault(expected, List.of())) {
                out.add(a.peerId() == null ? a.withPeerId(expected) : a);
            }
        }
        return new ArrayList<>(out);
    }

    private static boolean dialedFromListenPort(Channel ch) {
        return ch != null
                && Boolean.TRUE.equals(ch.attr(io.crossdial.core.spi.ConnectionAttributes.DIALED_FROM_LISTEN_PORT).get());
    }

    /** A failure in the security stages that is not a peer ID mismatch: how a stock peer's collision ends. */
    private static boolean isCollision(Throwable cause) {
        if (!(cause instanceof io.crossdial.upgrader.UpgradeException u)
                || (u.stage() != io.crossdial.upgrader.UpgradeStage.SECURITY_NEGOTIATION
                        && u.stage() != io.crossdial.upgrader.UpgradeStage.SECURITY_HANDSHAKE)) {
            return false;
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof io.crossdial.core.spi.PeerIdMismatchException) {
                return false;
            }
        }
        return true;
    }

    /**
     * Dials and waits.
     *
     * @param addr the multiaddr to dial
     * @param timeoutMillis how long to wait, ms
     * @return the connection
     * @throws RuntimeException the dial's failure ({@code TcpDialException}, {@code UpgradeException}, ...),
     *     or an {@link IllegalStateException} on timeout
     */
    public Connection dialSync(Multiaddr addr, long timeoutMillis) {
        return await(dial(addr), timeoutMillis, "dial " + addr);
    }

    /**
     * Waits for a future, unwrapping its failure.
     *
     * @param future the future
     * @param timeoutMillis how long to wait, ms
     * @param what what is awaited, for the timeout message
     * @param <T> the result type
     * @return the result
     * @throws RuntimeException the future's failure, or {@link IllegalStateException} naming {@code what} on timeout
     */
    public static <T> T await(Future<T> future, long timeoutMillis, String what) {
        try {
            return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw new IllegalStateException(what + " timed out after " + timeoutMillis + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted", e);
        }
    }

    private void upgrade(Channel ch, Role role, PeerId expected, Direction direction, Promise<Connection> result,
            int redials) {
        AtomicReference<Connection> holder = new AtomicReference<>();
        if (direction == Direction.INBOUND) {
            pendingInbound.add(ch);
        }
        upgrader.upgrade(ch, role, expected, new InboundStreamInitializer(holder)).addListener(f -> {
            if (direction == Direction.INBOUND) {
                TcpTransport.handshakeFinished(ch); // frees the listener's handshake slot, success or not
            }
            if (ch.pipeline().get(QuietTail.class) == null) {
                ch.pipeline().addLast(QuietTail.INSTANCE);
            }
            if (!f.isSuccess()) {
                pendingInbound.remove(ch);
                log.debug("{} upgrade failed: {}", direction, f.cause().getMessage());
                if (result != null) {
                    result.tryFailure(f.cause());
                } else {
                    try {
                        inboundFailureListener.accept(ch.remoteAddress(), f.cause());
                    } catch (RuntimeException e) {
                        log.warn("inbound failure listener failed", e);
                    }
                }
                return;
            }
            Connection connection = new Connection(
                    (io.crossdial.upgrader.UpgradedConnection) f.getNow(), direction,
                    upgrader.config().negotiationTimeoutMillis(), redials);
            holder.set(connection);
            Connection survivor;
            try {
                survivor = register(connection);
            } catch (io.crossdial.transport.tcp.ConnectionLimitException e) {
                pendingInbound.remove(ch);
                log.debug("{} connection refused: {}", direction, e.getMessage());
                connection.close();
                if (result != null) {
                    result.tryFailure(e);
                } else {
                    try {
                        inboundFailureListener.accept(ch.remoteAddress(), e);
                    } catch (RuntimeException x) {
                        log.warn("inbound failure listener failed", x);
                    }
                }
                return;
            }
            // Only now: a dial waiting in awaitCrossedInbound must not see "no pending inbound" before the
            // inbound connection is registered (and a crossed loser closed).
            pendingInbound.remove(ch);
            if (result == null) {
                return;
            }
            if (survivor == connection && mayLoseToCrossedDial(connection)) {
                awaitCrossedInbound(connection, result, System.nanoTime());
            } else {
                result.trySuccess(survivor);
            }
        });
    }

    /**
     * Upgrades an already connected channel as a dialer that dialed from its listen port (so it runs
     * simultaneous-open detection). Used by {@link SimultaneousOpenTestMode}.
     */
    Future<Connection> upgradeAsListenPortDialer(Channel ch, PeerId expected) {
        Promise<Connection> promise = ch.eventLoop().newPromise();
        ch.attr(io.crossdial.core.spi.ConnectionAttributes.DIALED_FROM_LISTEN_PORT).set(Boolean.TRUE);
        if (ch.eventLoop().inEventLoop()) {
            upgrade(ch, Role.INITIATOR, expected, Direction.OUTBOUND, promise, 0);
        } else {
            ch.eventLoop().execute(() -> upgrade(ch, Role.INITIATOR, expected, Direction.OUTBOUND, promise, 0));
        }
        return promise;
    }

    /**
     * Adds a new connection; if it crosses one the other way to the same peer, keeps one. Returns the survivor.
     *
     * @throws io.crossdial.transport.tcp.ConnectionLimitException when the peer already has
     *     {@code maxConnectionsPerPeer} connections (crossed dials replace, they do not add)
     */
    private synchronized Connection register(Connection connection) {
        Connection crossed = null;
        int toPeer = 0;
        for (Connection c : connections) {
            if (c.remotePeer().equals(connection.remotePeer()) && c.channel().isActive()) {
                toPeer++;
                if (c.direction() != connection.direction() && crossed == null) {
                    crossed = c;
                }
            }
        }
        if (crossed == null && maxConnectionsPerPeer > 0 && toPeer >= maxConnectionsPerPeer) {
            throw new io.crossdial.transport.tcp.ConnectionLimitException(
                    io.crossdial.transport.tcp.ConnectionLimitException.Limit.MAX_CONNECTIONS_PER_PEER,
                    maxConnectionsPerPeer, "connection limit reached: peer " + connection.remotePeer() + " has "
                            + toPeer + " connections (max-connections-per-peer " + maxConnectionsPerPeer + ")");
        }
        Connection survivor = connection;
        if (crossed != null) {
            survivor = keepOf(connection, crossed);
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

    /** The crossed-dial rule: keep the connection whose dialer has the smaller peer ID. */
    private Connection keepOf(Connection a, Connection b) {
        return compare(dialerOf(a), dialerOf(b)) <= 0 ? a : b;
    }

    private PeerId dialerOf(Connection c) {
        return c.direction() == Direction.OUTBOUND ? peerId : c.remotePeer();
    }

    private static int compare(PeerId a, PeerId b) {
        return java.util.Arrays.compareUnsigned(a.toBytes(), b.toBytes());
    }

    /** Only the side with the larger peer ID can lose its outbound connection to a crossed inbound one. */
    private boolean mayLoseToCrossedDial(Connection outbound) {
        return outbound.direction() == Direction.OUTBOUND && compare(peerId, outbound.remotePeer()) > 0;
    }

    /**
     * A crossed inbound connection from the same peer may still be upgrading; wait for inbound upgrades from
     * the peer's IP (at most {@value #CROSSED_DIAL_WAIT_MILLIS} ms) so the dial hands out the survivor.
     */
    private void awaitCrossedInbound(Connection outbound, Promise<Connection> result, long startNanos) {
        java.net.InetAddress peerIp = ((java.net.InetSocketAddress) outbound.channel().remoteAddress()).getAddress();
        boolean pending = pendingInbound.stream().anyMatch(ch -> ch.remoteAddress() instanceof java.net.InetSocketAddress r
                && r.getAddress().equals(peerIp));
        long waited = (System.nanoTime() - startNanos) / 1_000_000;
        // register() removes a crossed loser from the set before closing it, so a loser still closing (and
        // still active) is already out of the set.
        boolean lost = !connections.contains(outbound) || !outbound.channel().isActive();
        if (lost || !pending || waited >= CROSSED_DIAL_WAIT_MILLIS) {
            Connection survivor = lost ? connection(outbound.remotePeer()) : outbound;
            if (survivor != null) {
                result.trySuccess(survivor);
                return;
            }
            if (!pending || waited >= CROSSED_DIAL_WAIT_MILLIS) {
                result.tryFailure(new IllegalStateException("connection to " + outbound.remotePeer() + " closed"));
                return;
            }
            // Closed by the remote's tie-break while our side of the crossing connection still upgrades.
        }
        outbound.channel().eventLoop().schedule(() -> awaitCrossedInbound(outbound, result, startNanos),
                5, TimeUnit.MILLISECONDS);
    }

    /**
     * @param peer a peer ID
     * @return a live connection to that peer, or null
     */
    public Connection connection(PeerId peer) {
        for (Connection c : connections) {
            if (c.remotePeer().equals(peer) && c.channel().isActive()) {
                return c;
            }
        }
        return null;
    }

    /** Negotiates the protocol of each inbound stream and installs its handler. */
    @ChannelHandler.Sharable
    private final class InboundStreamInitializer extends ChannelInboundHandlerAdapter {
        private final AtomicReference<Connection> connection;

        InboundStreamInitializer(AtomicReference<Connection> connection) {
            this.connection = connection;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.pipeline().addLast(QuietTail.INSTANCE);
            List<String> ids = List.copyOf(protocols.keySet());
            ctx.pipeline().replace(this, null, new MultistreamListenerHandler(ids,
                    upgrader.config().negotiationTimeoutMillis(), (mctx, protocolId) -> {
                        StreamHandlerFactory factory = protocols.get(protocolId);
                        mctx.pipeline().addAfter(mctx.name(), null, factory.create(connection.get()));
                    }));
        }
    }

    /** Closes every connection and listener and stops the event loops; waits at most a few seconds. */
    @Override
    public void close() {
        for (Connection c : connections) {
            c.close();
        }
        transport.close();
    }
}
