package io.crossdial.muxer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.crossdial.core.FuzzFeed;
import io.crossdial.core.CrossdialException;
import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.StreamMuxer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Drives a {@link StreamMuxer} through its SPI only ({@link StreamMuxer#install} on an
 * {@link EmbeddedChannel}) with raw bytes from a fuzzer, as a hostile peer after the security handshake.
 * Streams the remote opens echo what they read (so windows and writes are exercised); every third one
 * half-closes after its first read. Then the clock passes every keep-alive and stream timeout, the session
 * closes, and the contract is checked: only {@link CrossdialException}s (Netty's {@link DecoderException}
 * around one, too), every stream closed with the connection, every buffer released.
 *
 * <p>Input byte 0: bit 0 the role (initiator/responder), bit 1 whether we open a stream first, bits 4-7 the
 * chunk size (0: one chunk). Returns everything the session wrote, for the protocol's own decoder to check.
 */
public final class MuxerFuzzSupport {
    private MuxerFuzzSupport() {}

    /**
     * @param muxer the muxer under test
     * @param input the fuzzer's bytes
     * @param clockMillis how far to move the channel's clock after the input (past every timeout)
     * @return every byte the session wrote (the caller releases it)
     */
    public static ByteBuf run(StreamMuxer muxer, byte[] input, long clockMillis) {
        int control = input.length == 0 ? 0 : input[0] & 0xFF;
        List<Throwable> errors = new ArrayList<>();
        List<Channel> streams = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ByteBuf written = Unpooled.buffer();
        List<ByteBuf> inputs = new ArrayList<>();
        try {
            ch.pipeline().addLast("app", new ChannelInboundHandlerAdapter() {
                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    errors.add(cause);
                }
            });
            Role role = (control & 1) == 0 ? Role.RESPONDER : Role.INITIATOR;
            MuxedSession session = muxer.install(ch.pipeline(), "app",
                    new MuxerContext(role, new Echo(streams, errors), 64));
            if ((control & 2) != 0) {
                session.openStream(new Echo(streams, errors));
            }
            ch.runPendingTasks();
            drain(ch, written);
            FuzzFeed.chunks(ch, input, inputs, () -> {
                ch.runPendingTasks();
                drain(ch, written);
            });
            ch.advanceTimeBy(clockMillis, TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
            ch.runPendingTasks();
            drain(ch, written);
            session.close();
            ch.runPendingTasks();
            drain(ch, written);
            ch.checkException();
        } finally {
            ch.finishAndReleaseAll();
        }
        for (Throwable t : errors) {
            Throwable cause = t instanceof DecoderException && t.getCause() != null ? t.getCause() : t;
            if (!(cause instanceof CrossdialException)) {
                written.release();
                throw new AssertionError("not a CrossdialException", t);
            }
        }
        for (Channel stream : streams) {
            assertFalse(stream.isOpen(), "stream " + stream + " outlived its connection");
        }
        for (ByteBuf in : inputs) {
            assertEquals(0, in.refCnt(), "input buffer leaked");
        }
        return written;
    }

    private static void drain(EmbeddedChannel ch, ByteBuf into) {
        for (Object msg; (msg = ch.readOutbound()) != null; ) {
            try {
                if (msg instanceof ByteBuf buf) {
                    into.writeBytes(buf);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    /** Echoes every read; every third stream half-closes after its first read. */
    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        private final List<Channel> streams;
        private final List<Throwable> errors;

        Echo(List<Channel> streams, List<Throwable> errors) {
            this.streams = streams;
            this.errors = errors;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            streams.add(ctx.channel());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
            if (streams.indexOf(ctx.channel()) % 3 == 2 && ctx.channel() instanceof io.crossdial.core.spi.MuxedStream stream) {
                stream.shutdownOutput();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    }
}
