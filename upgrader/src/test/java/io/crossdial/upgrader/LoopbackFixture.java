package io.crossdial.upgrader;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.UrgentDataChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Real loopback TCP for upgrader tests: a Netty NIO event loop group, a listen socket whose accepted
 * connections are handed to a callback, and dials whose channels are handed to a callback before they
 * connect (so no byte of the remote's can arrive before the upgrader is in the pipeline).
 */
final class LoopbackFixture implements AutoCloseable {
    /** Upper bound of every wait in these tests, in ms. */
    static final long WAIT_MILLIS = 5_000;

    final NioEventLoopGroup group = new NioEventLoopGroup(2);

    /**
     * Binds 127.0.0.1:0; each accepted connection is passed to {@code onAccept} inside its initializer.
     *
     * @return the bound listen channel
     */
    Channel listen(Consumer<Channel> onAccept) throws InterruptedException {
        return listen(NioServerSocketChannel::new, onAccept);
    }

    /** Binds 127.0.0.1:0 with the server channel made by {@code factory}. */
    Channel listen(io.netty.channel.ChannelFactory<? extends io.netty.channel.ServerChannel> factory,
            Consumer<Channel> onAccept) throws InterruptedException {
        return new ServerBootstrap()
                .group(group)
                .channelFactory(factory)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        onAccept.accept(ch);
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .sync()
                .channel();
    }

    /** Dials {@code to}; {@code onInit} runs on the new channel before it connects. */
    Channel dial(InetSocketAddress to, Consumer<Channel> onInit) throws InterruptedException {
        return dial(to, NioSocketChannel::new, onInit);
    }

    /** Dials with the channel made by {@code factory} (e.g. an {@link UrgentNioSocketChannel}). */
    Channel dial(InetSocketAddress to, io.netty.channel.ChannelFactory<? extends Channel> factory,
            Consumer<Channel> onInit) throws InterruptedException {
        return new Bootstrap()
                .group(group)
                .channelFactory(factory)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        onInit.accept(ch);
                    }
                })
                .connect(to)
                .sync()
                .channel();
    }

    /** Starts an upgrade and bridges its outcome into a {@link CompletableFuture}. */
    static CompletableFuture<UpgradedConnection> upgrade(Upgrader upgrader, Channel ch, Role role, PeerId expected,
            ChannelHandler inbound) {
        CompletableFuture<UpgradedConnection> out = new CompletableFuture<>();
        upgrader.upgrade(ch, role, expected, inbound).addListener((Future<UpgradedConnection> f) -> {
            if (f.isSuccess()) {
                out.complete(f.getNow());
            } else {
                out.completeExceptionally(f.cause());
            }
        });
        return out;
    }

    /** The accepted side's future is set on the event loop shortly after the dial connects: waits for it. */
    static <T> CompletableFuture<T> waitFor(java.util.concurrent.atomic.AtomicReference<CompletableFuture<T>> ref)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (ref.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        if (ref.get() == null) {
            throw new AssertionError("no connection accepted within " + WAIT_MILLIS + " ms");
        }
        return ref.get();
    }

    /** Waits at most {@link #WAIT_MILLIS} for a successful result. */
    static <T> T await(CompletableFuture<T> f) throws Exception {
        return await(f, WAIT_MILLIS);
    }

    static <T> T await(CompletableFuture<T> f, long millis) throws Exception {
        try {
            return f.get(millis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("expected success, got " + e.getCause(), e.getCause());
        }
    }

    /** Waits at most {@link #WAIT_MILLIS} for a failure and returns its cause. */
    static Throwable awaitFailure(CompletableFuture<?> f) throws InterruptedException, TimeoutException {
        try {
            Object v = f.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            throw new AssertionError("expected a failure, got " + v);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    static PeerId peerId(PrivateKey key) {
        return PeerId.fromPublicKey(key.publicKey());
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Echoes every buffer a stream receives (the inbound stream handler of the responding side). */
    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
        static final Echo INSTANCE = new Echo();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }
    }

    /** Collects the bytes a stream receives until {@code expected} bytes arrived; releases every buffer. */
    static final class Collect extends ChannelInboundHandlerAdapter {
        final CompletableFuture<byte[]> done = new CompletableFuture<>();
        private final byte[] bytes;
        private int filled;

        Collect(int expected) {
            this.bytes = new byte[expected];
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                int n = Math.min(buf.readableBytes(), bytes.length - filled);
                buf.readBytes(bytes, filled, n);
                filled += n;
                if (filled == bytes.length) {
                    done.complete(bytes);
                }
            } finally {
                buf.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.completeExceptionally(new IllegalStateException("stream closed after " + filled + " bytes"));
        }
    }

    /**
     * A NIO socket channel that can send the poison byte and reads urgent bytes inline, like the TCP
     * transport's channel (which this module cannot see).
     */
    static final class UrgentNioSocketChannel extends NioSocketChannel implements UrgentDataChannel {
        UrgentNioSocketChannel() {
            try {
                javaChannel().socket().setOOBInline(true);
            } catch (SocketException e) {
                throw new IllegalStateException(e);
            }
        }

        UrgentNioSocketChannel(Channel parent, SocketChannel socket) {
            super(parent, socket);
            try {
                socket.socket().setOOBInline(true);
            } catch (SocketException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void sendUrgentByte(int value) throws IOException {
            javaChannel().socket().sendUrgentData(value);
        }
    }

    /** A NIO server channel accepting into {@link UrgentNioSocketChannel}s. */
    static final class UrgentNioServerSocketChannel extends NioServerSocketChannel {
        @Override
        protected int doReadMessages(java.util.List<Object> buf) throws Exception {
            SocketChannel ch = javaChannel().accept();
            if (ch == null) {
                return 0;
            }
            buf.add(new UrgentNioSocketChannel(this, ch));
            return 1;
        }
    }
}
