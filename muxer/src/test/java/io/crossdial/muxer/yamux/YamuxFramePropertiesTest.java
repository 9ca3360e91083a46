package io.crossdial.muxer.yamux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
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

class YamuxFramePropertiesTest {

    @Property(tries = 300)
    void encodeThenDecodeGivesTheSameFrame(@ForAll("frames") YamuxFrame frame) {
        byte[] bytes = YamuxFrameCodecTest.encode(copy(frame));
        EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameDecoder(YamuxFrame.INITIAL_WINDOW_BYTES));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes));
        YamuxFrame decoded = ch.readInbound();
        assertEquals(frame, decoded);
        assertEquals(frame.toString(), decoded.toString());
        ReferenceCountUtil.release(decoded);
        ReferenceCountUtil.release(frame);
        ch.finishAndReleaseAll();
    }

    @Property(tries = 300)
    void randomBytesFailOnlyWithYamuxExceptionAndLeakNothing(@ForAll @Size(max = 600) List<byte[]> chunks) {
        feedSession(chunks);
    }

    @Property(tries = 300)
    void randomFrameSequencesFailOnlyWithYamuxExceptionAndLeakNothing(@ForAll @Size(max = 40) List<@From("rawFrames") byte[]> frames) {
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
        new YamuxStreamMuxer(YamuxConfig.builder().keepAliveIntervalMillis(0).build())
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
        }
        ch.runPendingTasks();
        for (Throwable t : errors) {
            if (!(t instanceof YamuxException)) {
                throw new AssertionError("unexpected exception type", t);
            }
        }
        ch.finishAndReleaseAll();
        for (ByteBuf buf : written) {
            assertEquals(0, buf.refCnt());
        }
    }

    @ChannelHandler.Sharable
    static final class Sink extends ChannelInboundHandlerAdapter {
        private int reads;

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
    Arbitrary<YamuxFrame> frames() {
        Arbitrary<Long> u32 = Arbitraries.longs().between(0, YamuxFrame.MAX_U32);
        Arbitrary<Integer> streamFlags = Arbitraries.integers().between(0, YamuxFrame.STREAM_FLAGS);
        Arbitrary<YamuxFrame> data = Combinators.combine(u32, streamFlags, Arbitraries.bytes().array(byte[].class).ofMaxSize(300))
                .as((id, flags, payload) -> new YamuxFrame.Data(id, flags, Unpooled.wrappedBuffer(payload)));
        Arbitrary<YamuxFrame> update = Combinators.combine(u32, streamFlags, u32).as(YamuxFrame.WindowUpdate::new);
        Arbitrary<YamuxFrame> ping = Combinators.combine(Arbitraries.integers().between(0, YamuxFrame.PING_FLAGS), u32)
                .as(YamuxFrame.Ping::new);
        Arbitrary<YamuxFrame> goAway = u32.map(YamuxFrame.GoAway::new);
        return Arbitraries.oneOf(data, update, ping, goAway);
    }

    /** Mostly well-formed headers with small stream IDs and lengths, to reach the session's rules. */
    @Provide
    Arbitrary<byte[]> rawFrames() {
        Arbitrary<Integer> version = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(30, Arbitraries.just(0)), net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 255)));
        Arbitrary<Integer> type = Arbitraries.integers().between(0, 4);
        Arbitrary<Integer> flags = Arbitraries.integers().between(0, 16);
        Arbitrary<Integer> id = Arbitraries.integers().between(0, 8);
        Arbitrary<Integer> length = Arbitraries.integers().between(0, 40);
        return Combinators.combine(version, type, flags, id, length).as((v, t, f, i, l) -> {
            ByteBuf b = Unpooled.buffer();
            b.writeByte(v).writeByte(t).writeShort(f).writeInt(i).writeInt(t == 0 ? l : l * 10000);
            if (t == 0) {
                b.writeZero(l);
            }
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            b.release();
            return out;
        });
    }

    private static YamuxFrame copy(YamuxFrame frame) {
        return frame instanceof YamuxFrame.Data d ? d.copy() : frame;
    }
}
