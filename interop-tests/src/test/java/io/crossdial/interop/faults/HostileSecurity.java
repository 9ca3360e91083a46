package io.crossdial.interop.faults;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecureSession;
import io.crossdial.core.spi.SecurityContext;
import io.crossdial.core.spi.SecurityTransport;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.security.tls.TlsSecurityTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * The hostile peer's security layer, stepped by hand: crossdial's own security transport (Noise or TLS, through
 * the public {@link SecurityTransport} SPI only) in an {@link EmbeddedChannel}, with the socket kept outside.
 * The hostile script moves bytes between its raw socket and this engine itself, so it decides after which
 * handshake message to stop: {@link #inbound} feeds what arrived, {@link #outbound} returns what the engine
 * would send now (the script may send it, or inject its fault instead).
 *
 * <p>The engine offers no muxer inside the handshake (empty muxer list: no Noise extension, TLS ALPN
 * {@code libp2p} only), so the peer under test always runs the multistream-select muxer round afterwards.
 *
 * <p>Not thread-safe: one script thread.
 */
final class HostileSecurity implements AutoCloseable {
    /** What the engine's handshake may take: longer than any test case. */
    private static final long ENGINE_TIMEOUT_MILLIS = 120_000;

    /** Security transports the hostile peer can speak. */
    enum Kind {
        NOISE(NoiseSecurityTransport.PROTOCOL_ID),
        TLS(TlsSecurityTransport.PROTOCOL_ID);

        final String protocolId;

        Kind(String protocolId) {
            this.protocolId = protocolId;
        }

        SecurityTransport transport() {
            return this == NOISE ? new NoiseSecurityTransport() : new TlsSecurityTransport();
        }
    }

    private final Kind kind;
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final ByteArrayOutputStream plaintext = new ByteArrayOutputStream();
    private SecureSession session;
    private Throwable failure;

    HostileSecurity(Kind kind, Role role) {
        this.kind = kind;
        channel.pipeline().addLast("app", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf buf = (ByteBuf) msg;
                try {
                    plaintext.writeBytes(ByteBufUtil.getBytes(buf));
                } finally {
                    buf.release();
                }
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof SecureSession s) {
                    session = s;
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                failure = cause;
            }
        });
        kind.transport().install(channel.pipeline(), "app",
                new SecurityContext(role, Keys.generateEd25519(), null, List.of(), ENGINE_TIMEOUT_MILLIS));
        channel.runPendingTasks();
    }

    Kind kind() {
        return kind;
    }

    /** @return whether the handshake completed (the engine fired its {@link SecureSession}) */
    boolean secured() {
        return session != null;
    }

    /** @throws IllegalStateException when the engine failed (the peer under test sent something it refused) */
    void checkHealthy() {
        if (failure != null) {
            throw new IllegalStateException("hostile security engine failed: " + failure, failure);
        }
    }

    /** Feeds bytes that arrived from the socket. */
    void inbound(byte[] bytes) {
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        channel.runPendingTasks();
        checkHealthy();
    }

    /** @return everything the engine wants to send now (handshake messages, encrypted records), maybe empty */
    byte[] outbound() {
        channel.runPendingTasks();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object o; (o = channel.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            try {
                out.writeBytes(ByteBufUtil.getBytes(b));
            } finally {
                b.release();
            }
        }
        return out.toByteArray();
    }

    /** @return the records that carry {@code plain} once the handshake is done */
    byte[] seal(byte[] plain) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(plain));
        return outbound();
    }

    /** @return the plaintext received so far, and forgets it */
    byte[] takePlaintext() {
        byte[] b = plaintext.toByteArray();
        plaintext.reset();
        return b;
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
    }
}
