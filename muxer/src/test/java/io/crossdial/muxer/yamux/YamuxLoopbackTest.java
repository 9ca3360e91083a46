package io.crossdial.muxer.yamux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The same echo scenario over real loopback TCP sockets, driven from a non-event-loop thread. */
class YamuxLoopbackTest {

    @Test
    void echoesOneMebibyteOnEightStreamsOverLoopbackTcp() throws Exception {
        EventLoopGroup group = new NioEventLoopGroup(2);
        try {
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            new YamuxStreamMuxer(SessionPair.noKeepAlive()).install(ch.pipeline(), null,
                                    new MuxerContext(Role.RESPONDER, new SessionPair.Echo(), 1000));
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            CompletableFuture<MuxedSession> session = new CompletableFuture<>();
            new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            session.complete(new YamuxStreamMuxer(YamuxConfig.defaults()).install(ch.pipeline(), null,
                                    new MuxerContext(Role.INITIATOR, new SessionPair.Echo(), 1000)));
                        }
                    })
                    .connect(server.localAddress()).sync();
            MuxedSession client = session.get(5, TimeUnit.SECONDS);

            int streams = 8;
            CountDownLatch done = new CountDownLatch(streams);
            byte[][] payloads = new byte[streams][];
            ByteArrayOutputStream[] received = new ByteArrayOutputStream[streams];
            for (int i = 0; i < streams; i++) {
                payloads[i] = new byte[1024 * 1024];
                new Random(i).nextBytes(payloads[i]);
                received[i] = new ByteArrayOutputStream();
                ByteArrayOutputStream sink = received[i];
                MuxedStream stream = client.openStream(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf buf = (ByteBuf) msg;
                        sink.writeBytes(ByteBufUtil.getBytes(buf));
                        buf.release();
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt == ChannelInputShutdownReadComplete.INSTANCE) {
                            done.countDown();
                        }
                    }
                }).get(5, TimeUnit.SECONDS);
                stream.writeAndFlush(Unpooled.wrappedBuffer(payloads[i]));
                stream.shutdownOutput();
            }
            assertTrue(done.await(20, TimeUnit.SECONDS), "every stream echoed and half-closed");
            for (int i = 0; i < streams; i++) {
                assertArrayEquals(payloads[i], received[i].toByteArray(), "stream " + i);
            }
            client.close().await(5, TimeUnit.SECONDS);
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }
}
