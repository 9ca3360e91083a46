package io.crossdial.muxer.compliance;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.StreamMuxer;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Two sessions of one muxer over a real loopback TCP connection (so backpressure meets real socket
 * buffers): the client is the initiator, the server the responder. Each connection's pipeline ends in a
 * handler that records what reaches it through {@code exceptionCaught}. Close it to free the sockets and
 * the event loops.
 */
final class MuxerPair implements AutoCloseable {
    final EventLoopGroup group = new NioEventLoopGroup(2);
    final List<Throwable> clientErrors = new CopyOnWriteArrayList<>();
    final List<Throwable> serverErrors = new CopyOnWriteArrayList<>();
    final Channel serverListener;
    final Channel clientConnection;
    final MuxedSession client;
    final MuxedSession server;
    final Channel serverConnection;
    /**
     * The allocator of every server-side connection: its metric counts the bytes the server's muxer holds
     * (cumulation, frames, queued stream data all come from it).
     */
    final UnpooledByteBufAllocator serverAllocator = new UnpooledByteBufAllocator(true);
    /** Every session the server installed, in accept order: the pair's first, then raw peers'. */
    final List<MuxedSession> serverSessions = new CopyOnWriteArrayList<>();

    /**
     * @param muxer the muxer under test, installed on both sides
     * @param clientInbound handler for streams the server opens
     * @param serverInbound handler for streams the client opens
     * @param maxInboundStreams passed to both sides' MuxerContext
     * @param timeoutMillis how long to wait for the connection
     */
    MuxerPair(StreamMuxer muxer, ChannelHandler clientInbound, ChannelHandler serverInbound,
            int maxInboundStreams, long timeoutMillis) throws Exception {
        CompletableFuture<MuxedSession> serverSession = new CompletableFuture<>();
        CompletableFuture<Channel> serverChannel = new CompletableFuture<>();
        CompletableFuture<MuxedSession> clientSession = new CompletableFuture<>();
        try {
            serverListener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.ALLOCATOR, serverAllocator)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast("errors", new ErrorSink(serverErrors));
                            serverChannel.complete(ch);
                            MuxedSession session = muxer.install(ch.pipeline(), "errors",
                                    new MuxerContext(Role.RESPONDER, serverInbound, maxInboundStreams));
                            serverSessions.add(session);
                            serverSession.complete(session);
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            clientConnection = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast("errors", new ErrorSink(clientErrors));
                            clientSession.complete(muxer.install(ch.pipeline(), "errors",
                                    new MuxerContext(Role.INITIATOR, clientInbound, maxInboundStreams)));
                        }
                    })
                    .connect(serverListener.localAddress()).sync().channel();
            client = clientSession.get(timeoutMillis, TimeUnit.MILLISECONDS);
            server = serverSession.get(timeoutMillis, TimeUnit.MILLISECONDS);
            serverConnection = serverChannel.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (Exception | Error e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** @return bytes the server's connections hold now, direct and heap */
    long serverBytesHeld() {
        return serverAllocator.metric().usedDirectMemory() + serverAllocator.metric().usedHeapMemory();
    }

    @Override
    public void close() {
        clientConnection.close();
        serverListener.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** Records exceptions that reach the end of a connection's pipeline. */
    static final class ErrorSink extends ChannelInboundHandlerAdapter {
        private final List<Throwable> errors;

        ErrorSink(List<Throwable> errors) {
            this.errors = errors;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    }
}
