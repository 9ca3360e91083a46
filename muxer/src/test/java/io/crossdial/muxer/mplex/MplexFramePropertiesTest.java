package io.crossdial.muxer.mplex;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.crossdial.core.varint.UnsignedVarint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

class MplexFramePropertiesTest {

    @Property(tries = 300)
    void encodeThenDecodeGivesTheSameFrame(@ForAll("frames") MplexFrame frame) {
        byte[] bytes = MplexFrameCodecTest.encodeBytes(frame instanceof MplexFrame.Message m ? m.copy() : frame);
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        MplexFrame decoded = new MplexFrameDecoder().decode(in);
        assertEquals(0, in.readableBytes());
        assertEquals(frame, decoded);
        assertEquals(frame.toString(), decoded.toString());
        ReferenceCountUtil.release(decoded);
        ReferenceCountUtil.release(frame);
        in.release();
        assertEquals(0, in.refCnt());
    }

    @Property(tries = 300)
    void randomBytesFailOnlyWithMplexExceptionAndLeakNothing(@ForAll @Size(max = 600) List<byte[]> chunks) {
        feedSession(chunks);
    }

    @Property(tries = 300)
    void randomFrameSequencesFailOnlyWithMplexExceptionAndLeakNothing(
            @ForAll @Size(max = 40) List<@From("rawFrames") byte[]> frames) {
        feedSession(frames);
    }

    private static void feedSession(List<byte[]> chunks) {
        EmbeddedChannel ch = new EmbeddedChannel();
        List<Throwable> errors = new ArrayList<>();
        ch.pipeline().addLast("app", new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
            }
        });
        new MplexStreamMuxer(MplexConfig.builder().maxUnreadStreamBytes(100).build())
                .install(ch.pipeline(), "app", new MuxerContext(Role.INITIATOR, new Sink(), 3));
        List<ByteBuf> written = new ArrayList<>();
        for (byte[] chunk : chunks) {
            if (!ch.isOpen()) {
                break;
            }
            if (chunk.length == 0) {
                continue;
            }
            ByteBuf buf = Unpooled.copiedBuffer(chunk);
            written.add(buf);
            ch.writeInbound(buf);
            ch.runPendingTasks();
        }
        for (Throwable t : errors) {
            if (!(t instanceof MplexException)) {
                throw new AssertionError("unexpected exception type", t);
            }
        }
        ch.finishAndReleaseAll();
        for (ByteBuf buf : written) {
            assertEquals(0, buf.refCnt());
        }
    }

    /** Reads some streams, leaves others unread (so the session pauses), writes back now and then. */
    @ChannelHandler.Sharable
    static final class Sink extends ChannelInboundHandlerAdapter {
        private int streams;
        private int reads;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(streams++ % 2 == 0);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            if (reads++ % 3 == 0) {
                ctx.writeAndFlush(Unpooled.copiedBuffer(new byte[] {1, 2}));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // stream resets are expected here
        }
    }

    @Provide
    Arbitrary<MplexFrame> frames() {
        Arbitrary<Long> id = Arbitraries.oneOf(Arbitraries.longs().between(0, 300),
                Arbitraries.longs().between(0, MplexFrame.MAX_STREAM_ID));
        Arbitrary<Boolean> initiator = Arbitraries.of(true, false);
        Arbitrary<MplexFrame> open = Combinators.combine(id, Arbitraries.strings().alpha().numeric().ofMaxLength(40)).as(MplexFrame.NewStream::new);
        Arbitrary<MplexFrame> message = Combinators.combine(id, initiator, Arbitraries.bytes().array(byte[].class).ofMaxSize(300))
                .as((i, init, payload) -> new MplexFrame.Message(i, init, Unpooled.wrappedBuffer(payload)));
        Arbitrary<MplexFrame> close = Combinators.combine(id, initiator).as(MplexFrame.Close::new);
        Arbitrary<MplexFrame> reset = Combinators.combine(id, initiator).as(MplexFrame.Reset::new);
        return Arbitraries.oneOf(open, message, close, reset);
    }

    /** Mostly well-formed frames on a few stream IDs, to reach the session's rules. */
    @Provide
    Arbitrary<byte[]> rawFrames() {
        Arbitrary<Integer> flag = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(30, Arbitraries.integers().between(0, 6)), net.jqwik.api.Tuple.of(1, Arbitraries.just(7)));
        Arbitrary<Integer> id = Arbitraries.integers().between(0, 4);
        Arbitrary<Integer> length = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(30, Arbitraries.integers().between(0, 80)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(MplexFrame.MAX_MESSAGE_BYTES + 1)));
        return Combinators.combine(flag, id, length).as((f, i, l) -> {
            ByteBuf b = Unpooled.buffer();
            UnsignedVarint.write((long) i << 3 | f, b);
            UnsignedVarint.write(l, b);
            b.writeZero(Math.min(l, 80));
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            b.release();
            return out;
        });
    }
}
