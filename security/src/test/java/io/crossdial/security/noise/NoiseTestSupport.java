package io.crossdial.security.noise;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecureSession;
import io.crossdial.core.spi.SecurityContext;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** Shared fixtures: channels with a Noise handler in front of a recording application handler. */
final class NoiseTestSupport {
    static final String APP = "app";
    static final long TIMEOUT_MILLIS = 10_000;

    private NoiseTestSupport() {}

    /** Records what reaches the end of the pipeline; owns and releases every inbound buffer. */
    static final class Recorder extends ChannelInboundHandlerAdapter {
        final List<String> order = new ArrayList<>();
        final List<SecureSession> sessions = new ArrayList<>();
        final List<Throwable> exceptions = new ArrayList<>();
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        int reads;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                data.writeBytes(ByteBufUtil.getBytes(buf));
                reads++;
                order.add("data");
            } finally {
                buf.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SecureSession s) {
                sessions.add(s);
                order.add("session");
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exceptions.add(cause);
            order.add("exception");
        }

        byte[] takeData() {
            byte[] b = data.toByteArray();
            data.reset();
            return b;
        }

        NoiseException onlyNoiseException() {
            if (exceptions.size() != 1 || !(exceptions.get(0) instanceof NoiseException e)) {
                throw new AssertionError("expected exactly one NoiseException, got " + exceptions);
            }
            return e;
        }
    }

    /** One side of a connection: its channel, recorder and identity. */
    record Side(EmbeddedChannel channel, Recorder recorder, PrivateKey key, PeerId peer) {}

    static SecurityContext context(Role role, PrivateKey key, PeerId expected, List<String> muxers) {
        return new SecurityContext(role, key, expected, muxers, TIMEOUT_MILLIS);
    }

    static Side side(Role role, PeerId expected, List<String> muxers) {
        PrivateKey key = Keys.generateEd25519();
        return side(context(role, key, expected, muxers), NoiseFrames.MAX_MESSAGE_BYTES);
    }

    static Side side(SecurityContext context, int maxFrameBytes) {
        Recorder recorder = new Recorder();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(APP, recorder);
        if (maxFrameBytes == NoiseFrames.MAX_MESSAGE_BYTES) {
            new NoiseSecurityTransport().install(channel.pipeline(), APP, context);
        } else {
            channel.pipeline().addBefore(APP, NoiseSecurityTransport.HANDLER_NAME,
                    new NoiseHandler(context, maxFrameBytes));
        }
        return new Side(channel, recorder, context.localKey(), PeerId.fromPublicKey(context.localKey().publicKey()));
    }

    /** Moves written bytes between the two channels until neither has anything left to send. */
    static void pump(EmbeddedChannel a, EmbeddedChannel b) {
        boolean moved = true;
        while (moved) {
            moved = move(a, b) | move(b, a);
        }
    }

    /** Moves everything {@code from} has written into {@code to}'s inbound side. */
    static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        for (ByteBuf out; (out = from.readOutbound()) != null; ) {
            moved = true;
            if (to.isOpen()) {
                to.writeInbound(out);
            } else {
                out.release();
            }
        }
        return moved;
    }

    /** @return the frames {@code from} has written, one buffer each (the caller releases them) */
    static List<ByteBuf> drain(EmbeddedChannel from) {
        List<ByteBuf> out = new ArrayList<>();
        for (ByteBuf b; (b = from.readOutbound()) != null; ) {
            out.add(b);
        }
        return out;
    }
}
