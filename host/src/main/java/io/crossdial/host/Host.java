package io.crossdial.host;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.Role;
import io.crossdial.host.internal.Futures;
import io.crossdial.transport.tcp.TcpListener;
import io.crossdial.transport.tcp.TcpTransport;
import io.crossdial.upgrader.Upgrader;
import io.crossdial.upgrader.UpgraderConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
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
    private static final Logger log = LoggerFactory.getLogger(Host.class);

    private final PrivateKey identity;
    private final PeerId peerId;
    private final List<Multiaddr> requestedListenAddrs;
    private final InboundProtocolRouter router;
    private final String agentVersion;
    private final java.util.function.BiConsumer<java.net.SocketAddress, Throwable> inboundFailureListener;
    private final Upgrader upgrader;
    private final TcpTransport transport;
    private final ConnectionRegistry registry;
    private final AddressBook addresses = new AddressBook();
    private final Dialer dialer;
    private final HostMetrics metrics;
    private final DnsaddrResolver dnsaddr;
    private final boolean keepAlive;
    private final Map<PeerId, List<String>> peerProtocols = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile java.util.concurrent.ExecutorService resolverThreads;

    Host(HostBuilder b, UpgraderConfig upgraderConfig) {
        this.identity = b.identity;
        this.peerId = PeerId.fromPublicKey(identity.publicKey());
        this.requestedListenAddrs = List.copyOf(b.listenAddrs);
        this.agentVersion = b.agentVersion;
        this.inboundFailureListener = b.inboundFailureListener;
        this.upgrader = new Upgrader(upgraderConfig);
        this.metrics = b.meterRegistry == null ? HostMetrics.DISABLED : new HostMetrics(b.meterRegistry);
        this.dnsaddr = b.dnsaddrResolver != null ? b.dnsaddrResolver : DnsaddrResolver.system();
        this.keepAlive = b.keepAlive;
        Map<String, StreamHandlerFactory> protocols = new java.util.LinkedHashMap<>();
        StandardProtocols.register(this, protocols);
        protocols.putAll(b.protocols);
        this.router = new InboundProtocolRouter(protocols, upgraderConfig.negotiationTimeoutMillis());
        this.transport = new TcpTransport(b.transportConfig);
        this.registry = new ConnectionRegistry(peerId, b.maxConnectionsPerPeer, b.connectionListener);
        this.dialer = new Dialer(transport, addresses,
                (ch, expected, result, redials) -> upgrade(ch, Role.INITIATOR, expected, Direction.OUTBOUND, result,
                        redials));
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

    /**
     * @return the resource manager every connection and stream of this host is reserved in
     *     ({@link HostBuilder#resourceManager}); a relay on this host takes its bounds from it too
     */
    public io.crossdial.upgrader.ResourceManager resourceManager() {
        return upgrader.config().resourceManager();
    }

    /** @return what identify reports as the agent version */
    public String agentVersion() {
        return agentVersion;
    }

    /** @return the protocol IDs served on inbound streams, in registration order */
    public List<String> protocols() {
        return router.protocolIds();
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
        return registry.connections();
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
     * @return completes (on the connection's event loop) with the connection, or exceptionally with a
     *     {@code TcpDialException}, {@code MultiaddrException} or {@code UpgradeException} (naming the stage) as
     *     the cause; the upgrade's stage timeouts bound it. Cancelling it abandons the dial.
     */
    public CompletableFuture<Connection> dial(Multiaddr addr) {
        Future<Connection> f = dialer.dial(addr);
        if (metrics.enabled()) {
            f.addListener(r -> {
                if (!r.isSuccess()) {
                    metrics.dialFailed(r.cause(), addr.toString().startsWith("/ip6/") ? "ip6" : "ip4");
                }
            });
        }
        return Futures.toCompletable(f);
    }

    /**
     * Dials from a listen port for a coordinated simultaneous open (DCUtR hole punching): as
     * {@link #dial(Multiaddr)}, with {@code roleHint} set on the connection
     * ({@link io.crossdial.core.spi.ConnectionAttributes#ROLE_HINT}) so that a TCP simultaneous open with a
     * peer that holds the opposite hint resolves to these roles. The first attempt dials from the listen port
     * only ({@link TcpTransport#dialFromListenPort}): when that 4-tuple is taken, because the remote's SYN
     * reached this host's listener first, it fails with a {@code TcpDialException} whose
     * {@code fourTupleTaken()} is true, and the connection to use is that inbound one.
     *
     * @param addr {@code /ip4|ip6}/HOST/tcp/PORT/p2p/PEER
     * @param roleHint the security role wanted if the dial becomes a simultaneous open
     * @return as {@link #dial(Multiaddr)}
     */
    public CompletableFuture<Connection> dial(Multiaddr addr, Role roleHint) {
        return Futures.toCompletable(dialer.dial(addr, roleHint));
    }

    /**
     * Upgrades a relayed stream into a connection (libp2p/specs {@code relay/circuit-v2.md}: the hop stream of
     * the dialer, the stop stream of the listener, after the relay's {@code STATUS OK}), with the same
     * upgrader as a TCP connection (multistream-select, security, muxer), and registers it. Bytes already
     * read past the relay's messages must be handed on by the caller after this returns (a
     * {@code ByteToMessageDecoder} that removes itself does so).
     *
     * @param stream the relay stream, on its event loop, with the circuit handshake done
     * @param role {@link Role#INITIATOR} on the side that sent {@code CONNECT}, {@link Role#RESPONDER} on the
     *     side that answered the relay's {@code STOP CONNECT}
     * @param expected the remote peer: the one dialed, or the one the relay named
     * @param circuitAddr the remote's {@code /p2p-circuit} multiaddr, reported as {@link Connection#remoteAddr()}
     * @return completes (on the stream's event loop) with the relayed connection ({@link Connection#isRelayed()}),
     *     or exceptionally with an {@code UpgradeException} naming the stage
     */
    public CompletableFuture<Connection> upgradeRelayed(Channel stream, Role role, PeerId expected,
            Multiaddr circuitAddr) {
        Promise<Connection> promise = stream.eventLoop().newPromise();
        stream.attr(Connection.RELAYED_REMOTE_ADDR).set(circuitAddr);
        QuietTail tail = stream.pipeline().get(QuietTail.class);
        if (tail != null) {
            stream.pipeline().remove(tail); // else it would swallow the upgrade's bytes ahead of its stages
        }
        stream.pipeline().addLast(RelayedEof.INSTANCE);
        upgrade(stream, role, expected, role == Role.INITIATOR ? Direction.OUTBOUND : Direction.INBOUND, promise, 0);
        return Futures.toCompletable(promise);
    }

    /**
     * Closes a relayed connection's stream when the relay ends its input: the relay half-closes it when the
     * remote closed or went away, and a relayed connection has no other way to learn that. Passes everything
     * else on.
     */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class RelayedEof extends io.netty.channel.ChannelInboundHandlerAdapter {
        static final RelayedEof INSTANCE = new RelayedEof();

        @Override
        public void userEventTriggered(io.netty.channel.ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
                ctx.close();
            }
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** Tells the host other addresses of a peer, for redials after a failed simultaneous open. */
    public void addPeerAddresses(PeerId peer, List<Multiaddr> addrs) {
        addresses.add(peer, addrs);
    }

    /**
     * Upgrades a connection, registers it ({@link ConnectionRegistry}) and completes {@code result} (a dial's,
     * null for an inbound connection, whose failures go to the inbound failure listener).
     */
    private void upgrade(Channel ch, Role role, PeerId expected, Direction direction, Promise<Connection> result,
            int redials) {
        AtomicReference<Connection> holder = new AtomicReference<>();
        if (direction == Direction.INBOUND) {
            registry.inboundStarted(ch);
        }
        metrics.tcpOpened(ch, direction);
        if (keepAlive) {
            ch.config().setOption(io.netty.channel.ChannelOption.SO_KEEPALIVE, true);
        }
        long upgradeStart = System.nanoTime();
        upgrader.upgrade(ch, role, expected, router.forConnection(holder::get), metrics.upgradeObserver(direction))
                .addListener(f -> {
            if (direction == Direction.INBOUND) {
                TcpTransport.handshakeFinished(ch); // frees the listener's handshake slot, success or not
            }
            if (ch.pipeline().get(QuietTail.class) == null) {
                ch.pipeline().addLast(QuietTail.INSTANCE);
            }
            if (!f.isSuccess()) {
                registry.inboundSettled(ch);
                log.debug("{} upgrade failed: {}", direction, f.cause().getMessage());
                failed(ch, result, f.cause());
                return;
            }
            Connection connection = new Connection(
                    (io.crossdial.upgrader.UpgradedConnection) f.getNow(), direction,
                    upgrader.config().negotiationTimeoutMillis(), redials);
            connection.metrics = metrics;
            metrics.connectionOpened(connection, System.nanoTime() - upgradeStart);
            trackAddresses(connection);
            holder.set(connection);
            Connection survivor;
            try {
                survivor = registry.register(connection);
            } catch (io.crossdial.transport.tcp.ConnectionLimitException e) {
                registry.inboundSettled(ch);
                log.debug("{} connection refused: {}", direction, e.getMessage());
                connection.close();
                failed(ch, result, e);
                return;
            }
            // Only now: a dial waiting for crossed inbound upgrades must not see this one settled before it is
            // registered (and a crossed loser closed).
            registry.inboundSettled(ch);
            if (result != null) {
                registry.completeDial(survivor, result);
            }
        });
    }

    private void failed(Channel ch, Promise<Connection> result, Throwable cause) {
        if (result != null) {
            result.tryFailure(cause);
            return;
        }
        try {
            inboundFailureListener.accept(ch.remoteAddress(), cause);
        } catch (RuntimeException e) {
            log.warn("inbound failure listener failed", e);
        }
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
     * @param peer a peer ID
     * @return a live connection to that peer (a direct one before a relayed one), or null
     */
    public Connection connection(PeerId peer) {
        return registry.connection(peer);
    }

    /**
     * The peers' addresses with their TTLs: the address each outbound connection dialed and the listen
     * addresses peers announce over identify push ({@link AddressBook#CONNECTED_ADDR_TTL} while connected,
     * {@link AddressBook#RECENTLY_CONNECTED_ADDR_TTL} after), and what {@link #addPeerAddresses} was given.
     *
     * @return the host's address book
     */
    public AddressBook addressBook() {
        return addresses;
    }

    private void trackAddresses(Connection c) {
        PeerId peer = c.remotePeer();
        if (c.direction() == Direction.OUTBOUND) {
            addresses.addAddrs(peer, List.of(c.remoteAddr()), AddressBook.CONNECTED_ADDR_TTL);
        }
        c.closeFuture().addListener(f -> {
            if (registry.connections().stream().noneMatch(o -> o != c && o.remotePeer().equals(peer)
                    && o.channel().isActive())) {
                addresses.updateAddrs(peer, AddressBook.CONNECTED_ADDR_TTL, AddressBook.RECENTLY_CONNECTED_ADDR_TTL);
            }
        });
    }

    /**
     * @param peer a peer ID
     * @return the protocols the peer last announced over identify ({@link #identify} or a push), empty if none
     */
    public List<String> peerProtocols(PeerId peer) {
        return peerProtocols.getOrDefault(peer, List.of());
    }

    /** What a peer told about itself over identify on {@code c}: its protocols and listen addresses. */
    void identified(Connection c, io.crossdial.host.protocol.IdentifyInfo info) {
        PeerId peer = c.remotePeer();
        if (info.publicKey() != null && !PeerId.fromPublicKey(info.publicKey()).equals(peer)) {
            log.debug("identify from {} carries another peer's key, ignored", peer);
            return;
        }
        peerProtocols.put(peer, List.copyOf(info.protocols()));
        addresses.addAddrs(peer, info.listenAddrs(),
                c.channel().isActive() ? AddressBook.CONNECTED_ADDR_TTL : AddressBook.RECENTLY_CONNECTED_ADDR_TTL);
    }

    /**
     * Serves a protocol on inbound streams from now on, and tells every connected peer (identify push).
     *
     * @param protocolId the protocol ID, starting with {@code /}
     * @param factory makes each inbound stream's handler
     * @return true if the protocol was not served before (else its factory is replaced)
     * @throws IllegalArgumentException if the protocol ID does not start with {@code /}
     */
    public boolean addProtocol(String protocolId, StreamHandlerFactory factory) {
        if (protocolId == null || !protocolId.startsWith("/")) {
            throw new IllegalArgumentException("protocol ID must start with '/': " + protocolId);
        }
        boolean added = router.add(protocolId, factory);
        pushIdentify();
        return added;
    }

    /**
     * Stops serving a protocol on streams that open from now on (streams already on it go on), and tells every
     * connected peer (identify push).
     *
     * @param protocolId the protocol ID
     * @return true if it was served
     */
    public boolean removeProtocol(String protocolId) {
        boolean removed = router.remove(protocolId);
        if (removed) {
            pushIdentify();
        }
        return removed;
    }

    /**
     * Sends this host's identify message to every connected peer over {@code /ipfs/id/push/1.0.0}.
     *
     * @return completes when every push was written or failed (a peer without push support refuses the
     *     stream); never completes exceptionally
     */
    public CompletableFuture<Void> pushIdentify() {
        List<CompletableFuture<?>> pushes = new ArrayList<>();
        for (Connection c : registry.connections()) {
            if (!c.channel().isActive()) {
                continue;
            }
            pushes.add(c.newStream(new io.crossdial.host.protocol.IdentifyResponder(
                    () -> StandardProtocols.localInfo(this), c.remoteAddr()),
                    io.crossdial.host.protocol.ProtocolIds.IDENTIFY_PUSH)
                    .handle((stream, e) -> null));
        }
        return CompletableFuture.allOf(pushes.toArray(new CompletableFuture<?>[0]));
    }

    /**
     * Runs identify ({@code /ipfs/id/1.0.0}) on a connection and records what the peer announced
     * ({@link #peerProtocols}, {@link #addressBook}).
     *
     * @param c the connection
     * @return completes with the peer's identify info, or exceptionally with an {@code IdentifyException}
     *     (bounded by {@code IdentifyResponder.DEFAULT_TIMEOUT})
     */
    public CompletableFuture<io.crossdial.host.protocol.IdentifyInfo> identify(Connection c) {
        java.time.Duration timeout = io.crossdial.host.protocol.IdentifyResponder.DEFAULT_TIMEOUT;
        return c.openStream(s -> new io.crossdial.host.protocol.IdentifyClient(s, timeout),
                io.crossdial.host.protocol.ProtocolIds.IDENTIFY)
                .thenCompose(io.crossdial.host.protocol.IdentifyClient::result)
                .thenApply(info -> {
                    identified(c, info);
                    return info;
                });
    }

    /**
     * Dials a peer as {@link #dial(Multiaddr)} does, and also takes a {@code /dnsaddr/NAME[/p2p/PEER]} address:
     * that is first resolved ({@link DnsaddrResolver}, off the event loops) and its addresses are dialed
     * one after another until one connects.
     *
     * @param addr the multiaddr to dial
     * @return completes (on a connection's event loop) with the connection, or exceptionally with the dial's
     *     failure (the first address's, the others' suppressed), an {@code IOException} from the DNS lookup, or
     *     a {@code MultiaddrException} when a {@code /dnsaddr} name has no usable address
     */
    public CompletableFuture<Connection> connect(Multiaddr addr) {
        if (addr.components().isEmpty()
                || addr.components().get(0).protocol() != io.crossdial.core.multiaddr.Protocol.DNSADDR) {
            return dial(addr);
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                return dnsaddr.resolve(addr);
            } catch (java.io.IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, resolverThreads()).thenCompose(found -> {
            if (found.isEmpty()) {
                return CompletableFuture.failedFuture(new io.crossdial.core.multiaddr.MultiaddrException(
                        "no address found for " + addr));
            }
            return connectInTurn(found, 0, null);
        });
    }

    private CompletableFuture<Connection> connectInTurn(List<Multiaddr> addrs, int i, Throwable first) {
        return dial(addrs.get(i)).handle((c, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(c);
            }
            Throwable failure = first;
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
            if (i + 1 >= addrs.size()) {
                return CompletableFuture.<Connection>failedFuture(failure);
            }
            return connectInTurn(addrs, i + 1, failure);
        }).thenCompose(f -> f);
    }

    private java.util.concurrent.ExecutorService resolverThreads() {
        java.util.concurrent.ExecutorService ex = resolverThreads;
        if (ex == null) {
            synchronized (this) {
                ex = resolverThreads;
                if (ex == null) {
                    ex = java.util.concurrent.Executors.newCachedThreadPool(r -> {
                        Thread t = new Thread(r, "crossdial-dnsaddr");
                        t.setDaemon(true);
                        return t;
                    });
                    resolverThreads = ex;
                }
            }
        }
        return ex;
    }

    /** Closes every connection and listener and stops the event loops; waits at most a few seconds. */
    @Override
    public void close() {
        java.util.concurrent.ExecutorService ex = resolverThreads;
        if (ex != null) {
            ex.shutdownNow();
        }
        for (Connection c : registry.connections()) {
            c.close();
        }
        transport.close();
    }
}
