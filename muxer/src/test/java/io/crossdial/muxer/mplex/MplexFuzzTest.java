package io.crossdial.muxer.mplex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.crossdial.core.FuzzBound;
import io.crossdial.muxer.MuxerFuzzSupport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ReferenceCountUtil;

/**
 * Fuzzes mplex: {@link MplexFrameDecoder} on raw bytes (frames, "need more", or an {@link MplexException}
 * with the reader index where it was), and a whole session installed through the {@code StreamMuxer} SPI
 * and fed raw frames by a hostile peer ({@link MuxerFuzzSupport}); what the session wrote back must itself
 * decode as mplex. Corpus: {@code MplexFuzzTestInputs/}.
 */
class MplexFuzzTest {

    @FuzzTest
    void decoderFramesOrRejectsWithMplexException(byte[] input) {
        FuzzBound.run(() -> {
            ByteBuf in = ByteBufAllocator.DEFAULT.buffer(input.length + 1).writeBytes(input);
            try {
                decodeAll(in, true);
            } finally {
                assertTrue(in.release());
            }
        });
    }

    @FuzzTest
    void sessionSurvivesRawFrames(byte[] input) {
        FuzzBound.run(() -> {
            ByteBuf written = MuxerFuzzSupport.run(new MplexStreamMuxer(), input, 120_000);
            try {
                decodeAll(written, false);
                assertEquals(0, written.readableBytes(), "our side writes whole frames");
            } finally {
                written.release();
            }
        });
    }

    private static void decodeAll(ByteBuf in, boolean hostile) {
        MplexFrameDecoder decoder = new MplexFrameDecoder();
        for (int frames = 0; in.isReadable(); frames++) {
            int before = in.readerIndex();
            MplexFrame frame;
            try {
                frame = decoder.decode(in);
            } catch (MplexException e) {
                if (!hostile) {
                    throw new AssertionError("our own bytes do not decode", e);
                }
                assertEquals(before, in.readerIndex(), "a rejected frame leaves the reader index alone");
                return;
            }
            if (frame == null) {
                assertEquals(before, in.readerIndex());
                return;
            }
            assertTrue(in.readerIndex() > before, "a frame consumes bytes");
            if (frame instanceof MplexFrame.Message m) {
                assertTrue(m.content().readableBytes() <= MplexFrame.MAX_MESSAGE_BYTES);
            }
            ReferenceCountUtil.release(frame);
        }
    }
}
