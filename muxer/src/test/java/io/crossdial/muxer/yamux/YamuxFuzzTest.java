package io.crossdial.muxer.yamux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.crossdial.core.FuzzBound;
import io.crossdial.muxer.MuxerFuzzSupport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes yamux: {@link YamuxFrameDecoder} on raw bytes (frames or a {@link YamuxException}, then silence),
 * and a whole session installed through the {@code StreamMuxer} SPI and fed raw frames by a hostile peer
 * ({@link MuxerFuzzSupport}); what the session wrote back must itself decode as yamux. The first input
 * byte is a control byte (see each target). Corpus: {@code YamuxFuzzTestInputs/}.
 */
class YamuxFuzzTest {
    private static final int MAX_DATA_FRAME_BYTES = 256 * 1024;

    @FuzzTest
    void decoderFramesOrRejectsWithYamuxException(byte[] input) {
        FuzzBound.run(() -> {
            List<YamuxFrame> frames = new ArrayList<>();
            ByteBuf in = ByteBufAllocator.DEFAULT.buffer(input.length + 1).writeBytes(input);
            decode(in, frames, true);
            assertEquals(0, in.refCnt(), "input buffer leaked");
        });
    }

    @FuzzTest
    void sessionSurvivesRawFrames(byte[] input) {
        FuzzBound.run(() -> {
            ByteBuf written = MuxerFuzzSupport.run(new YamuxStreamMuxer(), input, 120_000);
            // our side speaks valid yamux whatever it was sent
            decode(written, new ArrayList<>(), false);
        });
    }

    /** Decodes all of {@code in} (released) into {@code frames}; a protocol error is allowed if {@code hostile}. */
    private static void decode(ByteBuf in, List<YamuxFrame> frames, boolean hostile) {
        EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameDecoder(MAX_DATA_FRAME_BYTES));
        try {
            try {
                ch.writeInbound(in);
            } catch (DecoderException e) {
                if (!hostile || !(e.getCause() instanceof YamuxException y)) {
                    throw new AssertionError("not a YamuxException", e);
                }
                assertEquals(YamuxException.GoAwayCode.PROTOCOL_ERROR.wire(), y.errorCode());
            }
            for (Object frame; (frame = ch.readInbound()) != null; ) {
                frames.add((YamuxFrame) frame);
                if (frame instanceof YamuxFrame.Data data) {
                    assertTrue(data.content().readableBytes() <= MAX_DATA_FRAME_BYTES);
                }
                ReferenceCountUtil.release(frame);
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
