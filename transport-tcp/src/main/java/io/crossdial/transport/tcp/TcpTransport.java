package io.crossdial.transport.tcp;

import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.ConnectionAttributes;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP transport: listens on and dials {@code /ip4|ip6|dns|dns4|dns6/.../tcp/PORT} multiaddrs with
 * Netty's NIO transport (chosen over epoll because it exposes TCP urgent data and SO_REUSEPORT on
 * outgoing sockets; see specs/architecture.md). specs/listeners.md describes the listeners.
 *
 * <h2>Listeners</h2>
 * {@link #listenAll} binds one listener per address: explicit addresses first, then each wildcard
 * ({@code 0.0.0.0}, {@code ::}) expanded to every address of its family that {@link InterfaceAddresses}
 * enumerates (the wildcard itself only when enumeration fails), all on one port (with port 0: the port the
 * first address got). Wildcard expansions follow interface changes every
 * {@link TcpTransportConfig#interfacePollMillis()} ms and report them as {@link ListenerEvent}s. Each
 * listener has {@link TcpTransportConfig#shards()} listen sockets with SO_REUSEPORT, each on its own accept
 * event loop, and a handshake limit: an accepted connection holds a slot until
 * {@link #handshakeFinished(Channel)} or until it closes; with no slot free the listener stops accepting.
 *
 * <h2>Port reuse</h2>
 * Listen sockets set SO_REUSEADDR and SO_REUSEPORT. With {@link TcpTransportConfig#portReuse()} a dial binds
 * its socket to the address and port of a listener that fits the destination: the listener on the address
 * the kernel would route from, else the best fit by family and {@link AddressScope}; loopback and link-local
 * destinations only from listeners of their own scope. When the kernel refuses that 4-tuple (EADDRINUSE,
 * EADDRNOTAVAIL) the dial is retried once from an ephemeral port.
 *
 * <p>Thread-safe. Owns its event loops; {@link #close()} shuts them down. {@link #listenAll} and
 * {@link #refreshInterfaces()} block and must not run on the transport's event loops.
 */
public final class TcpTransport implements AutoCloseable {
    /** How long binding one listen socket may take, in ms. */
    public static final long BIND_TIMEOUT_MILLIS = 10_000;
    /** The handshake slot of an accepted connection. */
    static final AttributeKey<HandshakeGate.Slot> HANDSHAKE_SLOT = AttributeKey.valueOf("crossdial.handshakeSlot");

    private static final Logger log = LoggerFactory.getLogger(TcpTransport.class);

    private final TcpTransportConfig config;
    private final EventLoopGroup bossGroup;
    private final List<EventLoop> bossLoops = new ArrayList<>();
    private final EventLoopGroup workerGroup;
    private final List<TcpListener> listeners = new CopyOnWriteArrayList<>();
    private final List<WildcardGroup> wildcardGroups = new CopyOnWriteArrayList<>();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final ScheduledExecutorService control;
    private volatile InterfaceAddresses interfaceAddresses = InterfaceAddresses.system();
    private volatile Consumer<ListenerEvent> listenerEvents = e -> {};
    private volatile BiConsumer<SocketAddress, Throwable> inboundRejections = (a, e) -> {};
    private boolean watching;

    /** @param config validated settings */
    public TcpTransport(TcpTransportConfig config) {
        this.config = config;
        this.bossGroup = new NioEventLoopGroup(config.shards(), new DefaultThreadFactory("crossdial-accept", true));
        for (EventExecutor e : bossGroup) {
            bossLoops.add((EventLoop) e);
        }
        this.workerGroup = new NioEventLoopGroup(config.workerThreads(), new DefaultThreadFactory("crossdial-io", true));
        this.control = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("crossdial-listen", true));
    }

    /** @return the settings */
    public TcpTransportConfig config() {
        return config;
    }

    /** @return the event loops connections run on */
    public EventLoopGroup workerGroup() {
        return workerGroup;
    }

    /** @return the listeners bound so far and not closed */
    public List<TcpListener> listeners() {
        return List.copyOf(listeners);
    }

    /** @return TCP connections open now, both directions (what {@link TcpTransportConfig#maxConnections()} limits) */
    public int openConnections() {
        return openConnections.get();
    }

    /**
     * Replaces where wildcard listen addresses get their addresses (default {@link InterfaceAddresses#system()}).
     * Set it before {@link #listenAll}.
     *
     * @param source the enumeration
     */
    public void interfaceAddresses(InterfaceAddresses source) {
        this.interfaceAddresses = source;
    }

    /**
     * @param listener called (on the listen control thread, or the thread of {@link #listenAll}) when a
     *     wildcard's listener is added or removed as interfaces change, or an address could not be bound
     */
    public void onListenerEvent(Consumer<ListenerEvent> listener) {
        this.listenerEvents = listener;
    }

    /**
     * @param listener called on an accept event loop with the remote address and a
     *     {@link ConnectionLimitException} when an accepted connection is closed at once because
     *     {@link TcpTransportConfig#maxConnections()} connections are open
     */
    public void onInboundRejected(BiConsumer<SocketAddress, Throwable> listener) {
        this.inboundRejections = listener;
    }

    /**
     * Tells the transport that an accepted connection finished its handshake (the upgrade completed or
     * failed), freeing its listener's handshake slot. Idempotent; a no-op for channels the transport did not
     * accept. A connection that closes frees its slot by itself.
     *
     * @param accepted an accepted channel
     */
    public static void handshakeFinished(Channel accepted) {
        HandshakeGate.Slot slot = accepted.attr(HANDSHAKE_SLOT).get();
        if (slot != null) {
            slot.release();
        }
    }

    /**
     * Binds one listen address as it is (a wildcard stays a wildcard), with the configured shards.
     *
     * @param address {@code /ip4/A/tcp/P} or {@code /ip6/A/tcp/P}; port 0 picks a free port
     * @param childHandler added to each accepted connection's pipeline ({@code @Sharable} or an initializer)
     * @return completes with the listener, or fails with {@link TcpBindException} naming the address and the fix
     */
    public Future<TcpListener> listen(Multiaddr address, ChannelHandler childHandler) {
        Promise<TcpListener> promise = bossGroup.next().newPromise();
        InetSocketAddress socketAddress;
        try {
            socketAddress = resolvedListenAddress(address);
        } catch (RuntimeException e) {
            return promise.setFailure(e);
        }
        control.execute(() -> {
            try {
                promise.trySuccess(bindOne(address, socketAddress, address, childHandler));
            } catch (RuntimeException e) {
                promise.tryFailure(e);
            }
        });
        return promise;
    }

    /**
     * Binds listen addresses by the multi-home plan (class comment): explicit addresses first, then each
     * wildcard expanded to one listener per interface address of its family. An expanded address that cannot
     * be bound is reported as a {@link ListenerEvent.Kind#FAILED} event and skipped; a wildcard with none of
     * its addresses bound because of bind errors fails the whole call.
     *
     * @param addresses {@code /ip4|ip6/A/tcp/P} listen addresses
     * @param childHandler added to each accepted connection's pipeline ({@code @Sharable} or an initializer)
     * @return the listeners, in binding order
     * @throws TcpBindException naming the address and the fix; listeners bound by this call are closed again
     * @throws IllegalStateException when called on one of the transport's event loops
     */
    public List<TcpListener> listenAll(List<Multiaddr> addresses, ChannelHandler childHandler) {
        List<Multiaddr> explicit = new ArrayList<>();
        List<Multiaddr> wildcards = new ArrayList<>();
        for (Multiaddr a : addresses) {
            (resolvedListenAddress(a).getAddress().isAnyLocalAddress() ? wildcards : explicit).add(a);
        }
        List<TcpListener> bound = new ArrayList<>();
        List<WildcardGroup> groups = new ArrayList<>();
        Set<String> explicitKeys = new HashSet<>();
        try {
            for (Multiaddr a : explicit) {
                InetSocketAddress sa = resolvedListenAddress(a);
                bound.add(bindOne(a, sa, a, childHandler));
                explicitKeys.add(sa.getAddress().getHostAddress() + "|" + sa.getPort());
            }
            for (Multiaddr a : wildcards) {
                WildcardGroup g = new WildcardGroup(a, resolvedListenAddress(a), childHandler, explicitKeys);
                groups.add(g);
                bound.addAll(g.bindInitial());
            }
        } catch (RuntimeException e) {
            for (TcpListener l : bound) {
                listeners.remove(l);
                l.close().awaitUninterruptibly(BIND_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            }
            throw e;
        }
        if (bound.isEmpty()) {
            throw new TcpBindException(TcpBindException.Reason.ADDRESS_NOT_AVAILABLE, "cannot listen on "
                    + addresses + ": no interface has an address of the requested family", null);
        }
        wildcardGroups.addAll(groups);
        startWatching();
        return bound;
    }

    /**
     * Re-enumerates interfaces now: binds a listener for each new address of a wildcard listen address and
     * closes those whose address went away, reporting each as a {@link ListenerEvent}. Also runs every
     * {@link TcpTransportConfig#interfacePollMillis()} ms.
     *
     * @throws IllegalStateException when called on one of the transport's event loops
     */
    public void refreshInterfaces() {
        synchronized (wildcardGroups) {
            for (WildcardGroup g : wildcardGroups) {
                g.refresh();
            }
        }
    }

    private synchronized void startWatching() {
        long period = config.interfacePollMillis();
        if (watching || period == 0 || wildcardGroups.isEmpty()) {
            return;
        }
        watching = true;
        control.scheduleWithFixedDelay(() -> {
            try {
                refreshInterfaces();
            } catch (RuntimeException e) {
                log.warn("interface refresh failed", e);
            }
        }, period, period, TimeUnit.MILLISECONDS);
    }

    private void emit(ListenerEvent event) {
        try {
            listenerEvents.accept(event);
        } catch (RuntimeException e) {
            log.warn("listener event consumer failed", e);
        }
    }

    /** One wildcard listen address and the per-address listeners it expanded to. Guarded by wildcardGroups. */
    private final class WildcardGroup {
        final Multiaddr requested;
        final boolean v6;
        final ChannelHandler handler;
        final Set<String> explicitKeys;
        final int requestedPort;
        int port;
        TcpListener wildcardFallback;
        final Map<InetAddress, TcpListener> byAddress = new LinkedHashMap<>();
        final Set<InetAddress> reportedFailures = new HashSet<>();

        WildcardGroup(Multiaddr requested, InetSocketAddress wildcard, ChannelHandler handler, Set<String> explicitKeys) {
            this.requested = requested;
            this.v6 = wildcard.getAddress() instanceof Inet6Address;
            this.handler = handler;
            this.explicitKeys = explicitKeys;
            this.requestedPort = wildcard.getPort();
            this.port = wildcard.getPort();
        }

        /** @return this family's addresses, without those bound explicitly; null when enumeration fails */
        List<InetAddress> enumerate() {
            List<InetAddress> all;
            try {
                all = interfaceAddresses.addresses();
            } catch (SocketException | RuntimeException e) {
                log.debug("cannot enumerate interfaces: {}", e.toString());
                return null;
            }
            List<InetAddress> out = new ArrayList<>();
            for (InetAddress ip : all) {
                if ((ip instanceof Inet6Address) == v6 && !ip.isAnyLocalAddress()
                        && !explicitKeys.contains(ip.getHostAddress() + "|" + requestedPort)) {
                    out.add(ip);
                }
            }
            return out;
        }

        List<TcpListener> bindInitial() {
            List<InetAddress> ips = enumerate();
            if (ips == null) {
                InetSocketAddress wildcard = resolvedListenAddress(requested);
                wildcardFallback = bindOne(requested, wildcard, requested, handler);
                return List.of(wildcardFallback);
            }
            List<TcpListener> out = new ArrayList<>();
            TcpBindException first = null;
            for (InetAddress ip : ips) {
                try {
                    out.add(bindAddress(ip));
                } catch (TcpBindException e) {
                    first = first == null ? e : first;
                    reportedFailures.add(ip);
                    emit(new ListenerEvent(ListenerEvent.Kind.FAILED, addressOf(ip), requested, e));
                }
            }
            if (out.isEmpty() && first != null) {
                throw first;
            }
            if (ips.isEmpty()) {
                emit(new ListenerEvent(ListenerEvent.Kind.FAILED, requested, requested, new TcpBindException(
                        TcpBindException.Reason.ADDRESS_NOT_AVAILABLE, "cannot listen on " + requested
                                + ": no interface that is up has an " + (v6 ? "IPv6" : "IPv4")
                                + " address yet; waiting for one", null)));
            }
            return out;
        }

        Multiaddr addressOf(InetAddress ip) {
            return Multiaddr.fromSocketAddress(new InetSocketAddress(ip, port));
        }

        TcpListener bindAddress(InetAddress ip) {
            InetSocketAddress sa = new InetSocketAddress(ip, port);
            TcpListener l = bindOne(Multiaddr.fromSocketAddress(sa), sa, requested, handler);
            if (port == 0) {
                port = l.localAddress().getPort();
            }
            byAddress.put(ip, l);
            return l;
        }

        void refresh() {
            if (wildcardFallback != null) {
                return;
            }
            List<InetAddress> ips = enumerate();
            if (ips == null) {
                return;
            }
            for (InetAddress ip : ips) {
                if (byAddress.containsKey(ip)) {
                    continue;
                }
                try {
                    TcpListener l = bindAddress(ip);
                    reportedFailures.remove(ip);
                    emit(new ListenerEvent(ListenerEvent.Kind.ADDED, l.multiaddr(), requested, null));
                } catch (TcpBindException e) {
                    if (reportedFailures.add(ip)) {
                        emit(new ListenerEvent(ListenerEvent.Kind.FAILED, addressOf(ip), requested, e));
                    }
                }
            }
            Set<InetAddress> current = new HashSet<>(ips);
            for (InetAddress ip : List.copyOf(byAddress.keySet())) {
                if (!current.contains(ip)) {
                    TcpListener l = byAddress.remove(ip);
                    listeners.remove(l);
                    l.close();
                    emit(new ListenerEvent(ListenerEvent.Kind.REMOVED, l.multiaddr(), requested, null));
                }
            }
            reportedFailures.retainAll(current);
        }
    }

    private static InetSocketAddress resolvedListenAddress(Multiaddr address) {
        InetSocketAddress socketAddress = address.toSocketAddress();
        if (socketAddress.isUnresolved()) {
            throw new TcpBindException(TcpBindException.Reason.ADDRESS_NOT_AVAILABLE,
                    "cannot listen on " + address + ": listen addresses must be IP addresses, not DNS names", null);
        }
        return socketAddress;
    }

    /** Binds the shards of one address and port, blocking; closes what it bound on failure. */
    private TcpListener bindOne(Multiaddr shown, InetSocketAddress address, Multiaddr requested,
            ChannelHandler childHandler) {
        for (EventLoop loop : bossLoops) {
            if (loop.inEventLoop()) {
                throw new IllegalStateException("binding blocks: do not call it on an accept event loop");
            }
        }
        if (isWorkerThread()) {
            throw new IllegalStateException("binding blocks: do not call it on a connection event loop");
        }
        HandshakeGate gate = new HandshakeGate(config.effectiveMaxHandshakes());
        List<Shard> shards = new ArrayList<>();
        InetSocketAddress target = address;
        try {
            for (int i = 0; i < config.shards(); i++) {
                Shard shard = new Shard(i, gate, this, bossLoops.get(i % bossLoops.size()));
                ServerBootstrap bootstrap = new ServerBootstrap()
                        .group(shard.eventLoop, workerGroup)
                        .channelFactory(() -> new OobNioServerSocketChannel(shard))
                        .option(ChannelOption.SO_BACKLOG, config.acceptQueueLength())
                        .option(ChannelOption.SO_REUSEADDR, true)
                        .option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, false)
                        .childHandler(childHandler);
                ChannelFuture f = bootstrap.bind(target);
                if (!f.awaitUninterruptibly(BIND_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                    f.channel().close();
                    throw new TcpBindException(TcpBindException.Reason.OTHER, "cannot listen on " + shown
                            + ": bind did not finish within " + BIND_TIMEOUT_MILLIS + " ms", null);
                }
                if (!f.isSuccess()) {
                    throw bindFailure(shown, target, f.cause());
                }
                gate.add(shard);
                shards.add(shard);
                if (i == 0) {
                    target = (InetSocketAddress) f.channel().localAddress();
                }
            }
        } catch (RuntimeException e) {
            for (Shard s : shards) {
                s.channel.close();
            }
            throw e;
        }
        TcpListener listener = new TcpListener(shards, gate, requested);
        listeners.add(listener);
        listener.closeFuture().addListener(c -> listeners.remove(listener));
        return listener;
    }

    private boolean isWorkerThread() {
        for (EventExecutor e : workerGroup) {
            if (e.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    /** Reserves one connection under the connection limit; null when reserved, the exception when full. */
    ConnectionLimitException tryOpenConnection() {
        int max = config.maxConnections();
        if (max == 0) {
            openConnections.incrementAndGet();
            return null;
        }
        while (true) {
            int n = openConnections.get();
            if (n >= max) {
                return new ConnectionLimitException(ConnectionLimitException.Limit.MAX_CONNECTIONS, max,
                        "connection limit reached: " + n + " connections open (max-connections " + max + ")");
            }
            if (openConnections.compareAndSet(n, n + 1)) {
                return null;
            }
        }
    }

    void connectionClosed() {
        openConnections.decrementAndGet();
    }

    void inboundRejected(SocketAddress remote, ConnectionLimitException cause) {
        log.debug("inbound connection from {} refused: {}", remote, cause.getMessage());
        try {
            inboundRejections.accept(remote, cause);
        } catch (RuntimeException e) {
            log.warn("inbound rejection listener failed", e);
        }
    }

    /**
     * Dials a multiaddr, from a listen port when port reuse is on and a listener fits.
     *
     * @param address {@code /ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT}, optionally followed by {@code /p2p/ID}
     * @param handler added to the new connection's pipeline before it connects ({@code @Sharable} or a
     *     {@code ChannelInitializer})
     * @return completes with the connected channel, or fails with {@link TcpDialException}
     *     (or {@link io.crossdial.core.multiaddr.MultiaddrException} for an address that is not TCP)
     */
    public Future<Channel> dial(Multiaddr address, ChannelHandler handler) {
        return dial(address, handler, config.portReuse());
    }

    /**
     * Dials a multiaddr, choosing whether to dial from a listen port.
     *
     * @param address as in {@link #dial(Multiaddr, ChannelHandler)}
     * @param handler added to the new connection's pipeline before it connects; {@code @Sharable} or a
     *     {@code ChannelInitializer}, because a dial from a listen port whose 4-tuple is taken is retried on
     *     a second channel
     * @param portReuse dial from a matching listen port if there is one; false for an ephemeral port
     * @return completes with the connected channel, or fails with {@link TcpDialException}
     *     ({@link IllegalArgumentException} for a handler that is not {@code @Sharable})
     */
    public Future<Channel> dial(Multiaddr address, ChannelHandler handler, boolean portReuse) {
        return dial(address, handler, portReuse, workerGroup.next());
    }

    /**
     * Dials a multiaddr on a given event loop: the connection, the returned future and any retry all use
     * {@code loop}. Pick the loop once per dial (with {@code workerGroup().next()}): taking several loops
     * for one dial's futures made every dialed connection land on the same loop (bench, JFR).
     *
     * @param address as in {@link #dial(Multiaddr, ChannelHandler)}
     * @param handler as in {@link #dial(Multiaddr, ChannelHandler, boolean)}
     * @param portReuse dial from a matching listen port if there is one; false for an ephemeral port
     * @param loop one of {@link #workerGroup()}'s loops
     * @return completes with the connected channel, or fails as {@link #dial(Multiaddr, ChannelHandler, boolean)}
     */
    public Future<Channel> dial(Multiaddr address, ChannelHandler handler, boolean portReuse, EventLoop loop) {
        Promise<Channel> promise = loop.newPromise();
        if (handler instanceof io.netty.channel.ChannelHandlerAdapter adapter && !adapter.isSharable()) {
            return promise.setFailure(new IllegalArgumentException("the dial handler must be @Sharable (or a"
                    + " ChannelInitializer): a dial from a listen port may be retried on a second channel"));
        }
        InetSocketAddress remote;
        try {
            remote = address.toSocketAddress();
        } catch (RuntimeException e) {
            return promise.setFailure(e);
        }
        ConnectionLimitException full = tryOpenConnection();
        if (full != null) {
            return promise.setFailure(new ConnectionLimitException(full.limit(), full.value(),
                    "cannot dial " + address + ": " + full.getMessage()));
        }
        promise.addListener(f -> {
            if (f.isSuccess()) {
                ((Channel) f.getNow()).closeFuture().addListener(c -> connectionClosed());
            } else {
                connectionClosed();
            }
        });
        InetSocketAddress local = portReuse ? reuseAddressFor(remote) : null;
        connect(address, remote, local, handler, promise, loop);
        return promise;
    }

    private void connect(Multiaddr address, InetSocketAddress remote, InetSocketAddress local,
            ChannelHandler handler, Promise<Channel> promise, EventLoop loop) {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channelFactory(OobNioSocketChannel::new)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeoutMillis())
                .handler(handler);
        if (local != null) {
            bootstrap.option(ChannelOption.SO_REUSEADDR, true)
                    .option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true)
                    .attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT, Boolean.TRUE);
        }
        ChannelFuture f = local == null ? bootstrap.connect(remote) : bootstrap.connect(remote, local);
        f.addListener((ChannelFuture done) -> {
            if (done.isSuccess()) {
                promise.trySuccess(done.channel());
            } else if (local != null && isLocalAddressConflict(done.cause())) {
                // The kernel refused the 4-tuple from the listen port: dial again from an ephemeral port.
                connect(address, remote, null, handler, promise, loop);
            } else {
                promise.tryFailure(new TcpDialException(
                        "cannot connect to " + address + ": " + SocketError.describe(done.cause()), done.cause()));
            }
        });
    }

    /**
     * The listener address to dial {@code remote} from (specs/listeners.md, "Source selection"): among the
     * active listeners of the destination's family whose {@link AddressScope} fits it (a wildcard listener
     * fits any destination, last), the one on the address the kernel would route from; when the kernel routes
     * from an address no listener is on, and no wildcard listener fits, none (an ephemeral port); else the
     * best fit.
     *
     * @param remote the destination
     * @return the local address to bind, or null to dial from an ephemeral port
     */
    InetSocketAddress reuseAddressFor(InetSocketAddress remote) {
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
            int rank = ip.isAnyLocalAddress() ? 3 : AddressScope.fit(AddressScope.of(ip), destinationScope);
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
        if (routed != null && !routed.isLoopbackAddress() && ranks.stream().noneMatch(r -> r == 3)) {
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

    /** The kernel refused the 4-tuple from the listen port (EADDRINUSE, EADDRNOTAVAIL): worth a second try. */
    private static boolean isLocalAddressConflict(Throwable cause) {
        SocketError error = SocketError.of(cause);
        return error == SocketError.ADDRESS_IN_USE || error == SocketError.ADDRESS_NOT_AVAILABLE;
    }

    /**
     * Turns a failed bind into a {@link TcpBindException} whose one-line message names the address, the
     * errno's meaning and the fix: EACCES, EADDRINUSE, EADDRNOTAVAIL as {@link SocketError} tells them; anything
     * else is {@link TcpBindException.Reason#OTHER} with the JDK's message.
     *
     * @param address the multiaddr that was bound
     * @param socketAddress its socket address
     * @param cause the JDK exception
     * @return the typed exception
     */
    static TcpBindException bindFailure(Multiaddr address, InetSocketAddress socketAddress, Throwable cause) {
        int port = socketAddress.getPort();
        String ip = socketAddress.getAddress().getHostAddress();
        String prefix = "cannot listen on " + address + ": ";
        switch (SocketError.of(cause)) {
            case PERMISSION_DENIED: {
                int firstUnprivileged = unprivilegedPortStart();
                if (port < firstUnprivileged) {
                    return new TcpBindException(TcpBindException.Reason.PERMISSION_DENIED, prefix
                            + "permission denied for port " + port + " (ports below " + firstUnprivileged
                            + " need root or CAP_NET_BIND_SERVICE); choose a port >= " + firstUnprivileged
                            + " or grant the capability", cause);
                }
                return new TcpBindException(TcpBindException.Reason.PERMISSION_DENIED, prefix
                        + "permission denied for port " + port + " on " + ip
                        + " (a security policy such as SELinux forbids it); choose another port or allow it", cause);
            }
            case ADDRESS_IN_USE:
                return new TcpBindException(TcpBindException.Reason.ADDRESS_IN_USE, prefix + "port " + port
                        + " on " + ip + " is already in use by another program (or one of another user)"
                        + "; stop it or choose another port", cause);
            case ADDRESS_NOT_AVAILABLE:
                return new TcpBindException(TcpBindException.Reason.ADDRESS_NOT_AVAILABLE, prefix + "address " + ip
                        + " is not assigned to any interface of this host; use one of its addresses or "
                        + (socketAddress.getAddress() instanceof Inet6Address ? "::" : "0.0.0.0"), cause);
            default:
                return new TcpBindException(TcpBindException.Reason.OTHER, prefix + SocketError.describe(cause), cause);
        }
    }

    /** {@code net.ipv4.ip_unprivileged_port_start}, 1024 when unreadable. */
    private static int unprivilegedPortStart() {
        String value = TcpListener.readSysctl("/proc/sys/net/ipv4/ip_unprivileged_port_start");
        try {
            return value == null ? 1024 : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return 1024;
        }
    }

    /**
     * Closes every listener and shuts the event loops down (accept loops first), waiting at most 5 s for
     * each group unless called on one of them.
     */
    @Override
    public void close() {
        control.shutdownNow();
        // Accept loops stop first, so no accepted connection is handed to a terminated connection loop.
        for (TcpListener listener : listeners) {
            listener.close();
        }
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        boolean onOurLoop = isWorkerThread();
        for (EventLoop loop : bossLoops) {
            onOurLoop |= loop.inEventLoop();
        }
        if (!onOurLoop) {
            bossGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        if (!onOurLoop) {
            workerGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
