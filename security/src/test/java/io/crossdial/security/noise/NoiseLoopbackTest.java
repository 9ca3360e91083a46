package io.crossdial.security.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecureSession;
import io.crossdial.core.spi.SecurityContext;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The handshake and an echoed 200 KiB over real loopback TCP on a Netty event loop. */
class NoiseLoopbackTest {
    private static final int BYTES = 200 * 1024;

    @Test
    void echoesDataOverLoopbackTcpAfterTheHandshake() throws Exception {
        PrivateKey serverKey = Keys.generateEd25519();
        PrivateKey clientKey = Keys.generateEd25519();
        PeerId serverPeer = PeerId.fromPublicKey(serverKey.publicKey());
        byte[] payload = new byte[BYTES];
        new Random(7).nextBytes(payload);
        CompletableFuture<SecureSession> serverSession = new CompletableFuture<>();
        CompletableFuture<SecureSession> clientSession = new CompletableFuture<>();
        CompletableFuture<byte[]> echoed = new CompletableFuture<>();

        EventLoopGroup group = new NioEventLoopGroup(2);
        try {
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast("app", new ChannelInboundHandlerAdapter() {
                                @Override
                                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                    if (evt instanceof SecureSession s) {
                                        serverSession.complete(s);
                                    }
                                }

                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ctx.writeAndFlush(msg); // echo; the Noise handler takes ownership
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    serverSession.completeExceptionally(cause);
                                }
                            });
                            new NoiseSecurityTransport().install(ch.pipeline(), "app",
                                    new SecurityContext(Role.RESPONDER, serverKey, null, List.of("/yamux/1.0.0"), 10_000));
                        }
                    })
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();

            ByteArrayOutputStream received = new ByteArrayOutputStream();
            Channel client = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast("app", new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelActive(ChannelHandlerContext ctx) {
                                    new NoiseSecurityTransport().install(ctx.pipeline(), "app", new SecurityContext(
                                            Role.INITIATOR, clientKey, serverPeer, List.of("/yamux/1.0.0"), 10_000));
                                    ctx.fireChannelActive();
                                }

                                @Override
                                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                    if (evt instanceof SecureSession s) {
                                        clientSession.complete(s);
                                        ctx.writeAndFlush(Unpooled.wrappedBuffer(payload));
                                    }
                                }

                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ByteBuf buf = (ByteBuf) msg;
                                    try {
                                        buf.readBytes(received, buf.readableBytes());
                                    } catch (java.io.IOException e) {
                                        throw new IllegalStateException(e);
                                    } finally {
                                        buf.release();
                                    }
                                    if (received.size() >= BYTES) {
                                        echoed.complete(received.toByteArray());
                                    }
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    clientSession.completeExceptionally(cause);
                                    echoed.completeExceptionally(cause);
                                }
                            });
                        }
                    })
                    .connect(server.localAddress()).sync().channel();

            SecureSession c = clientSession.get(10, TimeUnit.SECONDS);
            SecureSession s = serverSession.get(10, TimeUnit.SECONDS);
            assertEquals(serverPeer, c.remotePeer());
            assertEquals(PeerId.fromPublicKey(clientKey.publicKey()), s.remotePeer());
            assertEquals("/yamux/1.0.0", c.earlyMuxer());
            assertEquals("/yamux/1.0.0", s.earlyMuxer());
            assertArrayEquals(payload, echoed.get(10, TimeUnit.SECONDS));
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
