package io.crossdial.transport.tcp;

import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.ConnectionAttributes;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;

/**
 * Dials a multiaddr, with port reuse from the listener {@link SourceAddressSelector} picks (the channel then
 * carries {@link ConnectionAttributes#DIALED_FROM_LISTEN_PORT}); when the kernel refuses that 4-tuple
 * (EADDRINUSE, EADDRNOTAVAIL, as {@link SocketError} tells them) it dials once more from an ephemeral port, on a
 * second channel, unless the dial is from the listen port only ({@link TcpTransport#dialFromListenPort}). A dial
 * holds one count of the {@link ConnectionCounter} from the start until its channel closes or it fails.
 * Thread-safe.
 */
final class TcpDialer {
    private final TcpTransportConfig config;
    private final ConnectionCounter connections;
    private final SourceAddressSelector sources;

    /**
     * @param config the connect timeout
     * @param connections counts dialed connections; a dial over the limit fails at once
     * @param sources picks the listen port to dial from
     */
    TcpDialer(TcpTransportConfig config, ConnectionCounter connections, SourceAddressSelector sources) {
        this.config = config;
        this.connections = connections;
        this.sources = sources;
    }

    /** See {@link TcpTransport#dial(Multiaddr, ChannelHandler, boolean, EventLoop)}. */
    Future<Channel> dial(Multiaddr address, ChannelHandler handler, boolean portReuse, EventLoop loop) {
        return dial(address, handler, portReuse, true, loop);
    }

    /**
     * @param ephemeralFallback on a refused 4-tuple from the listen port, dial again from an ephemeral port;
     *     false: fail with {@link TcpDialException#fourTupleTaken()}
     */
    Future<Channel> dial(Multiaddr address, ChannelHandler handler, boolean portReuse, boolean ephemeralFallback,
            EventLoop loop) {
        Promise<Channel> promise = loop.newPromise();
        if (handler instanceof ChannelHandlerAdapter adapter && !adapter.isSharable()) {
            return promise.setFailure(new IllegalArgumentException("the dial handler must be @Sharable (or a"
                    + " ChannelInitializer): a dial from a listen port may be retried on a second channel"));
        }
        InetSocketAddress remote;
        try {
            remote = address.toSocketAddress();
        } catch (RuntimeException e) {
            return promise.setFailure(e);
        }
        ConnectionLimitException full = connections.tryOpen();
        if (full != null) {
            return promise.setFailure(new ConnectionLimitException(full.limit(), full.value(),
                    "cannot dial " + address + ": " + full.getMessage()));
        }
        promise.addListener(f -> {
            if (f.isSuccess()) {
                ((Channel) f.getNow()).closeFuture().addListener(c -> connections.closed());
            } else {
                connections.closed();
            }
        });
        InetSocketAddress local = portReuse ? sources.sourceFor(remote) : null;
        connect(address, remote, local, handler, promise, loop, ephemeralFallback);
        return promise;
    }

    private void connect(Multiaddr address, InetSocketAddress remote, InetSocketAddress local,
            ChannelHandler handler, Promise<Channel> promise, EventLoop loop, boolean ephemeralFallback) {
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
                if (ephemeralFallback) {
                    // The kernel refused the 4-tuple from the listen port: dial again from an ephemeral port.
                    connect(address, remote, null, handler, promise, loop, false);
                } else {
                    promise.tryFailure(new TcpDialException("cannot connect to " + address + " from " + local
                            + ": the 4-tuple is taken (" + SocketError.describe(done.cause()) + ")", done.cause(),
                            true));
                }
            } else {
                promise.tryFailure(new TcpDialException(
                        "cannot connect to " + address + ": " + SocketError.describe(done.cause()), done.cause()));
            }
        });
    }

    /** The kernel refused the 4-tuple from the listen port (EADDRINUSE, EADDRNOTAVAIL): worth a second try. */
    private static boolean isLocalAddressConflict(Throwable cause) {
        SocketError error = SocketError.of(cause);
        return error == SocketError.ADDRESS_IN_USE || error == SocketError.ADDRESS_NOT_AVAILABLE;
    }
}
