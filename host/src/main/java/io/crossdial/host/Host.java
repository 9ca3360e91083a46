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
    /** How long {@link #start()} waits for each listen socket, in ms. */
    static final long BIND_TIMEOUT_MILLIS = 10_000;

    private static final Logger log = LoggerFactory.getLogger(Host.class);

    private final PrivateKey identity;
    private final PeerId peerId;
    private final List<Multiaddr> requestedListenAddrs;
    private final Map<String, StreamHandlerFactory> protocols;
    private final String agentVersion;
    private final Consumer<Connection> connectionListener;
    private final Upgrader upgrader;
    private final TcpTransport transport;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();

    Host(HostBuilder b, UpgraderConfig upgraderConfig) {
        this.identity = b.identity;
        this.peerId = PeerId.fromPublicKey(identity.publicKey());
        this.requestedListenAddrs = List.copyOf(b.listenAddrs);
        this.agentVersion = b.agentVersion;
        this.connectionListener = b.connectionListener;
        this.upgrader = new Upgrader(upgraderConfig);
        this.protocols = new java.util.LinkedHashMap<>();
        StandardProtocols.register(this, protocols);
        this.protocols.putAll(b.protocols);
        this.transport = new TcpTransport(b.transportConfig);
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
     * Binds every configured listen address.
     *
     * @return this host
     * @throws io.crossdial.transport.tcp.TcpBindException when an address cannot be bound (already bound
     *     listeners are closed again); waits at most 10 s per address
     */
    public Host start() {
        for (Multiaddr addr : requestedListenAddrs) {
            Future<TcpListener> f = transport.listen(addr, new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    upgrade(ch, Role.RESPONDER, null, Direction.INBOUND, null);
                }
            });
            if (!f.awaitUninterruptibly(BIND_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                close();
                throw new IllegalStateException("binding " + addr + " did not finish within " + BIND_TIMEOUT_MILLIS + " ms");
            }
            if (!f.isSuccess()) {
                close();
                throw f.cause() instanceof RuntimeException r ? r : new IllegalStateException(f.cause());
            }
        }
        return this;
    }

    /** @return the bound listen addresses with their real ports, without {@code /p2p/} */
    public List<Multiaddr> listenAddrs() {
        List<Multiaddr> out = new ArrayList<>();
        for (TcpListener l : transport.listeners()) {
            out.add(l.multiaddr());
        }
        return out;
    }

    /**
     * The addresses to tell other peers: the bound listen addresses, with a wildcard ({@code 0.0.0.0},
     * {@code ::}) replaced by every address of that family on the host's interfaces that are up.
     *
     * @return the advertised addresses, without {@code /p2p/}
     */
    public List<Multiaddr> advertisedAddrs() {
        List<Multiaddr> out = new ArrayList<>();
        for (TcpListener l : transport.listeners()) {
            java.net.InetSocketAddress bound = l.localAddress();
            if (!bound.getAddress().isAnyLocalAddress()) {
                out.add(l.multiaddr());
                continue;
            }
            boolean v6 = bound.getAddress() instanceof java.net.Inet6Address;
            for (java.net.InetAddress ip : interfaceAddresses()) {
                if ((ip instanceof java.net.Inet6Address) == v6) {
                    out.add(Multiaddr.fromSocketAddress(new java.net.InetSocketAddress(ip, bound.getPort())));
                }
            }
        }
        return out;
    }

    private static List<java.net.InetAddress> interfaceAddresses() {
        List<java.net.InetAddress> out = new ArrayList<>();
        try {
            for (java.net.NetworkInterface nif : java.util.Collections.list(
                    java.net.NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp()) {
                    continue;
                }
                for (java.net.InetAddress ip : java.util.Collections.list(nif.getInetAddresses())) {
                    if (ip instanceof java.net.Inet6Address v6 && v6.getScopeId() != 0) {
                        continue; // link-local with a scope: not dialable by other hosts without the zone
                    }
                    out.add(ip);
                }
            }
        } catch (java.net.SocketException e) {
            log.debug("cannot enumerate interfaces: {}", e.getMessage());
        }
        out.sort(java.util.Comparator.comparing((java.net.InetAddress ip) -> !ip.isLoopbackAddress())
                .thenComparing(java.net.InetAddress::getHostAddress));
        return out;
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
     * @param addr {@code /ip4|ip6|dns*}/HOST/tcp/PORT[/p2p/PEER]; with {@code /p2p/} the remote must
     *     authenticate as that peer
     * @return completes with the connection, or fails with a {@code TcpDialException},
     *     {@code MultiaddrException} or {@code UpgradeException} (naming the stage)
     */
    public Future<Connection> dial(Multiaddr addr) {
        Promise<Connection> promise = transport.workerGroup().next().newPromise();
        PeerId expected;
        try {
            expected = addr.peerId();
        } catch (RuntimeException e) {
            return promise.setFailure(e);
        }
        transport.dial(addr, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                upgrade(ch, Role.INITIATOR, expected, Direction.OUTBOUND, promise);
            }
        }).addListener(f -> {
            if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
            }
        });
        return promise;
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

    private void upgrade(Channel ch, Role role, PeerId expected, Direction direction, Promise<Connection> result) {
        AtomicReference<Connection> holder = new AtomicReference<>();
        upgrader.upgrade(ch, role, expected, new InboundStreamInitializer(holder)).addListener(f -> {
            if (!f.isSuccess()) {
                log.debug("{} upgrade failed: {}", direction, f.cause().getMessage());
                if (result != null) {
                    result.tryFailure(f.cause());
                }
                return;
            }
            Connection connection = new Connection(
                    (io.crossdial.upgrader.UpgradedConnection) f.getNow(), direction,
                    upgrader.config().negotiationTimeoutMillis());
            holder.set(connection);
            connections.add(connection);
            ch.closeFuture().addListener(c -> connections.remove(connection));
            try {
                connectionListener.accept(connection);
            } catch (RuntimeException e) {
                log.warn("connection listener failed", e);
            }
            if (result != null && !result.trySuccess(connection)) {
                connection.close();
            }
        });
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
