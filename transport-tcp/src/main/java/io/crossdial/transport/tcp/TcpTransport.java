package io.crossdial.transport.tcp;

import io.crossdial.core.multiaddr.Multiaddr;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

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

    // This class owns the event loops and hands the work to package-private parts: ListenerSet (the multi-home
    // plan, the interface poll, the live listeners) with a WildcardListener per wildcard, ShardedBinder (one
    // address and port as SO_REUSEPORT shards; bind errors), ConnectionCounter (the connection limit, both
    // directions), TcpDialer (dials and the ephemeral-port retry), SourceAddressSelector (which listener a dial
    // goes out from) and SocketError (what a failed bind or connect was, from the exception types NIO raises).
    private final TcpTransportConfig config;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final ConnectionCounter connections;
    private final ListenerSet listeners;
    private final TcpDialer dialer;

    /** @param config validated settings */
    public TcpTransport(TcpTransportConfig config) {
        this.config = config;
        this.bossGroup = new NioEventLoopGroup(config.shards(), new DefaultThreadFactory("crossdial-accept", true));
        List<EventLoop> bossLoops = new ArrayList<>();
        for (EventExecutor e : bossGroup) {
            bossLoops.add((EventLoop) e);
        }
        this.workerGroup = new NioEventLoopGroup(config.workerThreads(), new DefaultThreadFactory("crossdial-io", true));
        this.connections = new ConnectionCounter(config.maxConnections());
        this.listeners = new ListenerSet(new ShardedBinder(config, bossLoops, workerGroup, connections),
                config.interfacePollMillis());
        this.dialer = new TcpDialer(config, connections, new SourceAddressSelector(listeners.live()));
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
        return List.copyOf(listeners.live());
    }

    /** @return TCP connections open now, both directions (what {@link TcpTransportConfig#maxConnections()} limits) */
    public int openConnections() {
        return connections.open();
    }

    /**
     * Replaces where wildcard listen addresses get their addresses (default {@link InterfaceAddresses#system()}).
     * Set it before {@link #listenAll}.
     *
     * @param source the enumeration
     */
    public void interfaceAddresses(InterfaceAddresses source) {
        listeners.interfaceAddresses(source);
    }

    /**
     * @param listener called (on the listen control thread, or the thread of {@link #listenAll}) when a
     *     wildcard's listener is added or removed as interfaces change, or an address could not be bound
     */
    public void onListenerEvent(Consumer<ListenerEvent> listener) {
        listeners.onListenerEvent(listener);
    }

    /**
     * @param listener called on an accept event loop with the remote address and a
     *     {@link ConnectionLimitException} when an accepted connection is closed at once because
     *     {@link TcpTransportConfig#maxConnections()} connections are open
     */
    public void onInboundRejected(BiConsumer<SocketAddress, Throwable> listener) {
        connections.onInboundRejected(listener);
    }

    /**
     * Tells the transport that an accepted connection finished its handshake (the upgrade completed or
     * failed), freeing its listener's handshake slot. Idempotent; a no-op for channels the transport did not
     * accept. A connection that closes frees its slot by itself.
     *
     * @param accepted an accepted channel
     */
    public static void handshakeFinished(Channel accepted) {
        HandshakeGate.Slot slot = accepted.attr(HandshakeGate.SLOT).get();
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
        return listeners.listen(address, childHandler, bossGroup.next().newPromise());
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
        return listeners.listenAll(addresses, childHandler);
    }

    /**
     * Re-enumerates interfaces now: binds a listener for each new address of a wildcard listen address and
     * closes those whose address went away, reporting each as a {@link ListenerEvent}. Also runs every
     * {@link TcpTransportConfig#interfacePollMillis()} ms.
     *
     * @throws IllegalStateException when called on one of the transport's event loops
     */
    public void refreshInterfaces() {
        listeners.refresh();
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
        return dialer.dial(address, handler, portReuse, loop);
    }

    /**
     * Dials from a listen port and from nowhere else, for a coordinated simultaneous open (DCUtR hole punching,
     * specs/holepunch.md): as {@link #dial(Multiaddr, ChannelHandler, boolean, EventLoop)} with port reuse, except
     * that when the kernel refuses the 4-tuple from the listen port (EADDRINUSE, EADDRNOTAVAIL) the dial fails
     * with a {@link TcpDialException} whose {@link TcpDialException#fourTupleTaken()} is true, instead of dialing
     * again from an ephemeral port. In a hole punch that refusal means the remote's SYN reached this host's
     * listener first: the connection on that very 4-tuple exists and is the one to use, while a dial from an
     * ephemeral port would not pass the NATs and, where it does, makes a second connection that crosses it. With
     * no listener of the destination's family and scope it dials from an ephemeral port, like a dial without
     * port reuse.
     *
     * @param address as in {@link #dial(Multiaddr, ChannelHandler)}
     * @param handler as in {@link #dial(Multiaddr, ChannelHandler, boolean)}
     * @param loop one of {@link #workerGroup()}'s loops
     * @return completes with the connected channel, or fails as {@link #dial(Multiaddr, ChannelHandler, boolean)}
     */
    public Future<Channel> dialFromListenPort(Multiaddr address, ChannelHandler handler, EventLoop loop) {
        return dialer.dial(address, handler, true, false, loop);
    }

    /**
     * Closes every listener and shuts the event loops down (accept loops first), waiting at most 5 s for
     * each group unless called on one of them.
     */
    @Override
    public void close() {
        listeners.close();
        // Accept loops stop first, so no accepted connection is handed to a terminated connection loop.
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        boolean onOurLoop = ShardedBinder.inLoopOf(workerGroup) || ShardedBinder.inLoopOf(bossGroup);
        if (!onOurLoop) {
            bossGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        if (!onOurLoop) {
            workerGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
