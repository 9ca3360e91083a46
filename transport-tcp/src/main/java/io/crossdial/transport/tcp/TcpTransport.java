package io.crossdial.transport.tcp;

import io.crossdial.core.multiaddr.Multiaddr;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioChannelOption;
import io.crossdial.core.spi.ConnectionAttributes;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The TCP transport: listens on and dials {@code /ip4|ip6|dns|dns4|dns6/.../tcp/PORT} multiaddrs with
 * Netty's NIO transport (chosen over epoll because it exposes TCP urgent data and SO_REUSEPORT on
 * outgoing sockets; see specs/architecture.md).
 *
 * <h2>Port reuse</h2>
 * Listen sockets set SO_REUSEADDR and SO_REUSEPORT. With {@link TcpTransportConfig#portReuse()} a dial binds
 * its socket to the address and port of a listener of the destination's address family (a loopback
 * listener only for loopback destinations), so the remote sees the dialer's listen port, which NAT traversal
 * and TCP simultaneous open need. When the kernel refuses that 4-tuple (EADDRINUSE, EADDRNOTAVAIL) the dial
 * is retried once from an ephemeral port.
 *
 * <p>Thread-safe. Owns its event loops; {@link #close()} shuts them down.
 */
public final class TcpTransport implements AutoCloseable {
    private final TcpTransportConfig config;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final List<TcpListener> listeners = new CopyOnWriteArrayList<>();

    /** @param config validated settings */
    public TcpTransport(TcpTransportConfig config) {
        this.config = config;
        this.bossGroup = new NioEventLoopGroup(1, new DefaultThreadFactory("crossdial-accept", true));
        this.workerGroup = new NioEventLoopGroup(config.workerThreads(), new DefaultThreadFactory("crossdial-io", true));
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

    /**
     * Binds a listen socket.
     *
     * @param address {@code /ip4/A/tcp/P} or {@code /ip6/A/tcp/P}; port 0 picks a free port
     * @param childHandler added to each accepted connection's pipeline ({@code @Sharable} or an initializer)
     * @return completes with the listener, or fails with {@link TcpBindException} naming the address and the fix
     */
    public Future<TcpListener> listen(Multiaddr address, ChannelHandler childHandler) {
        Promise<TcpListener> promise = bossGroup.next().newPromise();
        InetSocketAddress socketAddress;
        try {
            socketAddress = address.toSocketAddress();
        } catch (RuntimeException e) {
            return promise.setFailure(e);
        }
        if (socketAddress.isUnresolved()) {
            return promise.setFailure(new TcpBindException(TcpBindException.Reason.ADDRESS_NOT_AVAILABLE,
                    "cannot listen on " + address + ": listen addresses must be IP addresses, not DNS names", null));
        }
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channelFactory(OobNioServerSocketChannel::new)
                .option(ChannelOption.SO_BACKLOG, config.backlog())
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, false)
                .childHandler(childHandler);
        bootstrap.bind(socketAddress).addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                TcpListener listener = new TcpListener(f.channel());
                listeners.add(listener);
                f.channel().closeFuture().addListener(c -> listeners.remove(listener));
                promise.trySuccess(listener);
            } else {
                promise.tryFailure(bindFailure(address, socketAddress, f.cause()));
            }
        });
        return promise;
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
        Promise<Channel> promise = workerGroup.next().newPromise();
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
        InetSocketAddress local = portReuse ? reuseAddressFor(remote) : null;
        connect(address, remote, local, handler, promise);
        return promise;
    }

    private void connect(Multiaddr address, InetSocketAddress remote, InetSocketAddress local,
            ChannelHandler handler, Promise<Channel> promise) {
        Bootstrap bootstrap = new Bootstrap()
                .group(workerGroup)
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
                connect(address, remote, null, handler, promise);
            } else {
                promise.tryFailure(new TcpDialException(
                        "cannot connect to " + address + ": " + reason(done.cause()), done.cause()));
            }
        });
    }

    /** A listener's address to dial from: same family, and loopback only for loopback destinations. */
    private InetSocketAddress reuseAddressFor(InetSocketAddress remote) {
        InetAddress destination = remote.getAddress();
        if (destination == null) {
            return null; // DNS name: the family is known only after resolution; dial from an ephemeral port
        }
        boolean remoteV6 = destination instanceof Inet6Address;
        for (TcpListener listener : listeners) {
            InetSocketAddress bound = listener.localAddress();
            InetAddress ip = bound.getAddress();
            if ((ip instanceof Inet6Address) != remoteV6 || !listener.channel().isActive()) {
                continue;
            }
            if (ip.isLoopbackAddress() && !destination.isLoopbackAddress()) {
                continue;
            }
            if (!ip.isLoopbackAddress() && !ip.isAnyLocalAddress() && destination.isLoopbackAddress()) {
                continue;
            }
            return bound;
        }
        return null;
    }

    private static boolean isLocalAddressConflict(Throwable cause) {
        if (cause instanceof BindException) {
            return true;
        }
        String message = cause == null ? null : cause.getMessage();
        return message != null && (message.contains("Address already in use")
                || message.contains("Cannot assign requested address"));
    }

    static TcpBindException bindFailure(Multiaddr address, InetSocketAddress socketAddress, Throwable cause) {
        String message = cause == null || cause.getMessage() == null ? "" : cause.getMessage();
        int port = socketAddress.getPort();
        String prefix = "cannot listen on " + address + ": ";
        if (message.contains("Permission denied")) {
            return new TcpBindException(TcpBindException.Reason.PERMISSION_DENIED, prefix
                    + "permission denied for port " + port
                    + " (ports below 1024 need root or CAP_NET_BIND_SERVICE); choose a port >= 1024", cause);
        }
        if (message.contains("Address already in use")) {
            return new TcpBindException(TcpBindException.Reason.ADDRESS_IN_USE, prefix
                    + "port " + port + " is already in use by another program; stop it or choose another port",
                    cause);
        }
        if (message.contains("Cannot assign requested address")) {
            return new TcpBindException(TcpBindException.Reason.ADDRESS_NOT_AVAILABLE, prefix + "address "
                    + socketAddress.getAddress().getHostAddress()
                    + " is not assigned to any interface of this host; use one of its addresses or 0.0.0.0", cause);
        }
        return new TcpBindException(TcpBindException.Reason.OTHER, prefix + reason(cause), cause);
    }

    private static String reason(Throwable cause) {
        if (cause == null) {
            return "unknown error";
        }
        if (cause instanceof io.netty.channel.ConnectTimeoutException) {
            return "connect timed out";
        }
        if (cause instanceof java.net.UnknownHostException) {
            return "unknown host " + cause.getMessage();
        }
        String m = cause.getMessage();
        if (m != null && m.startsWith("Connection refused")) {
            return "connection refused";
        }
        if (cause instanceof SocketException || cause instanceof IOException) {
            return m == null ? cause.getClass().getSimpleName() : m;
        }
        return cause.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    /** Closes every listener and shuts the event loops down, waiting at most 5 s. */
    @Override
    public void close() {
        for (TcpListener listener : listeners) {
            listener.close();
        }
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        bossGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workerGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
