package io.crossdial.security.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crossdial.core.crypto.KeyType;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The TLS handshake and an echoed 200 KiB over real loopback TCP on Netty event loops. */
class TlsLoopbackTest {
    private static final int BYTES = 200 * 1024;
    private static final String YAMUX = "/yamux/1.0.0";

    private EventLoopGroup group;

    @BeforeEach
    void start() {
        group = new NioEventLoopGroup(2);
    }

    @AfterEach
    void stop() throws InterruptedException {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** The listener echoes; the dialer sends {@link #BYTES} random bytes once secured and collects the echo. */
    private record Run(CompletableFuture<SecureSession> client, CompletableFuture<SecureSession> server,
            CompletableFuture<byte[]> echoed, Channel clientChannel, Channel serverChannel) {}

    private Run run(PrivateKey clientKey, PeerId clientExpects, PrivateKey serverKey, byte[] payload)
            throws InterruptedException {
        CompletableFuture<SecureSession> serverSession = new CompletableFuture<>();
        CompletableFuture<SecureSession> clientSession = new CompletableFuture<>();
        CompletableFuture<byte[]> echoed = new CompletableFuture<>();
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
                                ctx.writeAndFlush(msg); // echo; the SslHandler takes ownership
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                serverSession.completeExceptionally(cause);
                            }
                        });
                        new TlsSecurityTransport().install(ch.pipeline(), "app",
                                new SecurityContext(Role.RESPONDER, serverKey, null, List.of(YAMUX), 10_000));
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
                                new TlsSecurityTransport().install(ctx.pipeline(), "app", new SecurityContext(
                                        Role.INITIATOR, clientKey, clientExpects, List.of(YAMUX), 10_000));
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
                                    received.write(io.netty.buffer.ByteBufUtil.getBytes(buf), 0, buf.readableBytes());
                                } finally {
                                    buf.release();
                                }
                                if (received.size() >= payload.length) {
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
        return new Run(clientSession, serverSession, echoed, client, server);
    }

    @ParameterizedTest
    @EnumSource(value = KeyType.class, names = {"ED25519", "SECP256K1"})
    void echoesDataOverLoopbackTcpAfterTheHandshake(KeyType type) throws Exception {
        PrivateKey serverKey = Keys.generate(type);
        PrivateKey clientKey = Keys.generate(type);
        PeerId serverPeer = PeerId.fromPublicKey(serverKey.publicKey());
        byte[] payload = new byte[BYTES];
        new Random(7).nextBytes(payload);
        Run run = run(clientKey, serverPeer, serverKey, payload);

        SecureSession c = run.client().get(10, TimeUnit.SECONDS);
        SecureSession s = run.server().get(10, TimeUnit.SECONDS);
        assertEquals(serverPeer, c.remotePeer());
        assertEquals(PeerId.fromPublicKey(clientKey.publicKey()), s.remotePeer());
        assertEquals(YAMUX, c.earlyMuxer());
        assertEquals(YAMUX, s.earlyMuxer());
        assertArrayEquals(payload, run.echoed().get(10, TimeUnit.SECONDS));
        run.clientChannel().close().sync();
        run.serverChannel().close().sync();
    }

    @Test
    void dialerExpectingAnotherPeerFailsOverLoopback() throws Exception {
        PeerId someoneElse = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        Run run = run(Keys.generateEd25519(), someoneElse, Keys.generateEd25519(), new byte[1]);
        ExecutionException e = assertThrows(ExecutionException.class, () -> run.client().get(10, TimeUnit.SECONDS));
        assertInstanceOf(TlsSecurityException.class, e.getCause());
        run.clientChannel().closeFuture().await(10, TimeUnit.SECONDS);
        run.serverChannel().close().sync();
    }
}
