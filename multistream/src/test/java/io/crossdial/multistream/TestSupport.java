package io.crossdial.multistream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Helpers shared by the multistream tests. */
final class TestSupport {
    static final String HEADER_HEX = "132f6d756c746973747265616d2f312e302e300a";
    static final String NOISE_HEX = "072f6e6f6973650a";
    static final String TLS_HEX = "0b2f746c732f312e302e300a";
    static final String NA_HEX = "036e610a";
    static final String LS_HEX = "036c730a";

    private TestSupport() {}

    static ByteBuf hex(String hex) {
        return Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex.replace(" ", "")));
    }

    static String hexOf(String text) {
        return ByteBufUtil.hexDump(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads one outbound buffer as hex and releases it; null when there is none. */
    static String readOutboundHex(EmbeddedChannel ch) {
        ByteBuf buf = ch.readOutbound();
        if (buf == null) {
            return null;
        }
        try {
            return ByteBufUtil.hexDump(buf);
        } finally {
            buf.release();
        }
    }

    /** Moves every outbound buffer of {@code from} into {@code to}'s inbound side; true if any moved. */
    static boolean shuttle(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        for (Object msg; (msg = from.readOutbound()) != null; ) {
            to.writeInbound(msg);
            moved = true;
        }
        return moved;
    }

    /** Records what reaches it: bytes (released on arrival), exceptions, read-complete events. */
    static final class Recorder extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final List<Throwable> exceptions = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                byte[] bytes = new byte[buf.readableBytes()];
                buf.readBytes(bytes);
                received.writeBytes(bytes);
            } finally {
                buf.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exceptions.add(cause);
        }

        String receivedText() {
            return received.toString(StandardCharsets.UTF_8);
        }

        MultistreamException onlyFailure() {
            if (exceptions.size() != 1 || !(exceptions.get(0) instanceof MultistreamException)) {
                throw new AssertionError("expected exactly one MultistreamException, got " + exceptions);
            }
            return (MultistreamException) exceptions.get(0);
        }
    }

    /** A negotiation listener that records the outcome and installs {@code next} on success. */
    static final class Outcome implements NegotiationListener {
        final ChannelHandler next;
        String protocol;
        int negotiatedCalls;
        int failedCalls;
        MultistreamException failure;
        boolean handlerStillInPipeline;

        Outcome(ChannelHandler next) {
            this.next = next;
        }

        Outcome() {
            this(null);
        }

        @Override
        public void onNegotiated(ChannelHandlerContext ctx, String protocolId) {
            negotiatedCalls++;
            protocol = protocolId;
            handlerStillInPipeline = ctx.pipeline().context(ctx.handler()) != null;
            if (next != null) {
                ctx.pipeline().addAfter(ctx.name(), "next", next);
            }
        }

        @Override
        public void onFailed(ChannelHandlerContext ctx, MultistreamException cause) {
            failedCalls++;
            failure = cause;
        }
    }
}
