package io.crossdial.transport.tcp;

import io.crossdial.core.multiaddr.Multiaddr;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.util.concurrent.EventExecutor;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Binds one address and port as a {@link TcpListener} of {@link TcpTransportConfig#shards()} listen sockets
 * (specs/listeners.md, section 3): each with SO_REUSEADDR and SO_REUSEPORT, shard i on accept event loop i, all
 * sharing one {@link HandshakeGate}, their accepted connections on the connection loops and counted by the
 * {@link ConnectionCounter}. A bind the kernel refuses becomes a {@link TcpBindException} naming the address
 * and the fix ({@link #bindFailure}). Binding blocks; thread-safe.
 */
final class ShardedBinder {
    private final TcpTransportConfig config;
    private final List<EventLoop> acceptLoops;
    private final EventLoopGroup connectionLoops;
    private final ConnectionCounter connections;
    private final InboundRateLimiter rate;

    /**
     * @param config the shard count, backlog and handshake limit
     * @param acceptLoops one loop per shard (at least {@code config.shards()})
     * @param connectionLoops where accepted connections run
     * @param connections counts accepted connections and refuses those over the limit
     */
    ShardedBinder(TcpTransportConfig config, List<EventLoop> acceptLoops, EventLoopGroup connectionLoops,
            ConnectionCounter connections) {
        this.config = config;
        this.acceptLoops = List.copyOf(acceptLoops);
        this.connectionLoops = connectionLoops;
        this.connections = connections;
        this.rate = new InboundRateLimiter(config.inboundRateLimit());
    }

    /**
     * Binds the shards of one address and port, waiting at most {@link TcpTransport#BIND_TIMEOUT_MILLIS} per
     * socket; closes what it bound on failure. With port 0 the first shard picks the port and the others join it.
     *
     * @param shown the address named in errors and in the listener's multiaddr
     * @param address the socket address to bind
     * @param requested the listen address the listener was made for (a wildcard, or {@code shown})
     * @param childHandler added to each accepted connection's pipeline
     * @return the listener, its shards accepting
     * @throws TcpBindException when a shard cannot be bound
     * @throws IllegalStateException when called on one of the transport's event loops
     */
    TcpListener bind(Multiaddr shown, InetSocketAddress address, Multiaddr requested, ChannelHandler childHandler) {
        for (EventLoop loop : acceptLoops) {
            if (loop.inEventLoop()) {
                throw new IllegalStateException("binding blocks: do not call it on an accept event loop");
            }
        }
        if (inLoopOf(connectionLoops)) {
            throw new IllegalStateException("binding blocks: do not call it on a connection event loop");
        }
        HandshakeGate gate = new HandshakeGate(config.effectiveMaxHandshakes(), config.maxHandshakesPerAddress());
        List<Shard> shards = new ArrayList<>();
        InetSocketAddress target = address;
        try {
            for (int i = 0; i < config.shards(); i++) {
                Shard shard = new Shard(i, gate, connections, rate, acceptLoops.get(i % acceptLoops.size()));
                ServerBootstrap bootstrap = new ServerBootstrap()
                        .group(shard.eventLoop, connectionLoops)
                        .channelFactory(() -> new OobNioServerSocketChannel(shard))
                        .option(ChannelOption.SO_BACKLOG, config.acceptQueueLength())
                        .option(ChannelOption.SO_REUSEADDR, true)
                        .option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, false)
                        .childHandler(childHandler);
                ChannelFuture f = bootstrap.bind(target);
                if (!f.awaitUninterruptibly(TcpTransport.BIND_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                    f.channel().close();
                    throw new TcpBindException(TcpBindException.Reason.OTHER, "cannot listen on " + shown
                            + ": bind did not finish within " + TcpTransport.BIND_TIMEOUT_MILLIS + " ms", null);
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
        return new TcpListener(shards, gate, requested);
    }

    /** @return whether the calling thread is one of the group's event loops */
    static boolean inLoopOf(EventLoopGroup group) {
        for (EventExecutor e : group) {
            if (e.inEventLoop()) {
                return true;
            }
        }
        return false;
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
}
