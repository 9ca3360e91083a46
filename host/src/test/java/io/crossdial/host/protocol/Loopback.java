package io.crossdial.host.protocol;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Real loopback TCP pairs standing in for muxed streams: both ends are half-closable
 * {@link io.netty.channel.socket.DuplexChannel}s ({@code ALLOW_HALF_CLOSURE}), as a stream is.
 */
final class Loopback implements AutoCloseable {
    private final NioEventLoopGroup group = new NioEventLoopGroup(2);
    private final BlockingQueue<SocketChannel> accepted = new LinkedBlockingQueue<>();
    private final Channel server;

    /** @param responder makes the handler the listener side installs on each accepted connection */
    Loopback(Function<SocketChannel, ChannelHandler> responder) throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(responder.apply(ch));
                        accepted.add(ch);
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .sync()
                .channel();
    }

    /**
     * @return a connected dialer-side channel with an empty pipeline and {@code AUTO_READ} off, so nothing
     *     is read before the client under test is installed (as a negotiated stream hands over)
     */
    SocketChannel dial() throws InterruptedException {
        Channel ch = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(server.localAddress())
                .sync()
                .channel();
        return (SocketChannel) ch;
    }

    /** @return the next listener-side channel, waiting up to 5 s */
    SocketChannel accepted() throws InterruptedException {
        SocketChannel ch = accepted.poll(5, TimeUnit.SECONDS);
        if (ch == null) {
            throw new AssertionError("no connection accepted within 5 s");
        }
        return ch;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
