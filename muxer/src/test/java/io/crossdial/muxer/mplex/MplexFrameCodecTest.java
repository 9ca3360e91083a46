package io.crossdial.muxer.mplex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.varint.UnsignedVarint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class MplexFrameCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void wireConstantsMatchTheSpec() {
        assertEquals("/mplex/6.7.0", MplexStreamMuxer.PROTOCOL_ID);
        assertEquals(0, MplexFrame.FLAG_NEW_STREAM);
        assertEquals(1, MplexFrame.FLAG_MESSAGE_RECEIVER);
        assertEquals(2, MplexFrame.FLAG_MESSAGE_INITIATOR);
        assertEquals(3, MplexFrame.FLAG_CLOSE_RECEIVER);
        assertEquals(4, MplexFrame.FLAG_CLOSE_INITIATOR);
        assertEquals(5, MplexFrame.FLAG_RESET_RECEIVER);
        assertEquals(6, MplexFrame.FLAG_RESET_INITIATOR);
        assertEquals(3, MplexFrame.FLAG_BITS);
        assertEquals(1_048_576, MplexFrame.MAX_MESSAGE_BYTES);
        assertEquals((1L << 60) - 1, MplexFrame.MAX_STREAM_ID);
    }

    @Test
    void encodesEachFrameKindToExactBytes() {
        assertEquals("000130", encode(new MplexFrame.NewStream(0, "0")));
        assertEquals("0803313233", encode(new MplexFrame.NewStream(1, "123")));
        assertEquals("1a026869", encode(new MplexFrame.Message(3, true, text("hi"))));
        assertEquals("19026869", encode(new MplexFrame.Message(3, false, text("hi"))));
        assertEquals("1a00", encode(new MplexFrame.Message(3, true, Unpooled.EMPTY_BUFFER)));
        assertEquals("8c0100", encode(new MplexFrame.Close(17, true)));
        assertEquals("8b0100", encode(new MplexFrame.Close(17, false)));
        assertEquals("0e00", encode(new MplexFrame.Reset(1, true)));
        assertEquals("0d00", encode(new MplexFrame.Reset(1, false)));
    }

    @Test
    void encodesTheLargestStreamIdAsANineByteHeader() {
        String hex = encode(new MplexFrame.Close(MplexFrame.MAX_STREAM_ID, true));
        assertEquals("fcffffffffffffff7f00", hex);
    }

    @Test
    void decodesTheSameVectors() {
        assertEquals(new MplexFrame.NewStream(0, "0"), decodeOne("000130"));
        assertEquals(new MplexFrame.Close(17, true), decodeOne("8c0100"));
        assertEquals(new MplexFrame.Close(17, false), decodeOne("8b0100"));
        assertEquals(new MplexFrame.Reset(1, true), decodeOne("0e00"));
        assertEquals(new MplexFrame.Reset(1, false), decodeOne("0d00"));
        MplexFrame.Message m = (MplexFrame.Message) decodeOne("19026869");
        assertEquals(3, m.streamId());
        assertEquals(false, m.fromInitiator());
        assertEquals("hi", m.content().toString(StandardCharsets.UTF_8));
        m.release();
        assertEquals(0, m.refCnt());
    }

    @Test
    void waitsForAWholeFrameWithoutMovingTheReaderIndex() {
        byte[] bytes = HEX.parseHex("1a03616263");
        MplexFrameDecoder decoder = new MplexFrameDecoder();
        ByteBuf in = Unpooled.buffer();
        for (int i = 0; i < bytes.length - 1; i++) {
            in.writeByte(bytes[i]);
            assertNull(decoder.decode(in));
            assertEquals(0, in.readerIndex());
        }
        in.writeByte(bytes[bytes.length - 1]);
        MplexFrame.Message m = (MplexFrame.Message) decoder.decode(in);
        assertEquals("abc", m.content().toString(StandardCharsets.UTF_8));
        m.release();
        in.release();
        assertEquals(0, in.refCnt());
    }

    @Test
    void rejectsAMessageLongerThanOneMebibyteBeforeItsDataArrives() {
        ByteBuf in = Unpooled.buffer();
        UnsignedVarint.write(3 << 3 | MplexFrame.FLAG_MESSAGE_INITIATOR, in);
        UnsignedVarint.write(MplexFrame.MAX_MESSAGE_BYTES + 1, in);
        MplexException e = assertThrows(MplexException.class, () -> new MplexFrameDecoder().decode(in));
        assertTrue(e.getMessage().contains("MessageInitiator on stream 3 of 1048577 bytes exceeds"), e.getMessage());
        in.release();
    }

    @Test
    void acceptsAMessageOfExactlyOneMebibyte() {
        ByteBuf in = Unpooled.buffer();
        UnsignedVarint.write(MplexFrame.FLAG_MESSAGE_RECEIVER, in);
        UnsignedVarint.write(MplexFrame.MAX_MESSAGE_BYTES, in);
        in.writeZero(MplexFrame.MAX_MESSAGE_BYTES);
        MplexFrame.Message m = (MplexFrame.Message) new MplexFrameDecoder().decode(in);
        assertEquals(MplexFrame.MAX_MESSAGE_BYTES, m.content().readableBytes());
        m.release();
        in.release();
        assertEquals(0, in.refCnt());
    }

    @Test
    void rejectsTheUnusedFlagSeven() {
        assertDecodeFails("0700", "unknown mplex flag 7 on stream 0");
    }

    @Test
    void rejectsANonMinimalHeaderVarint() {
        assertDecodeFails("820000", "malformed mplex frame varint");
    }

    @Test
    void rejectsAHeaderVarintLongerThanNineBytes() {
        assertDecodeFails("ffffffffffffffffff0100", "malformed mplex frame varint");
    }

    @Test
    void skipsTheBodyOfACloseFrame() {
        MplexFrameDecoder decoder = new MplexFrameDecoder();
        ByteBuf in = Unpooled.wrappedBuffer(HEX.parseHex("0c02aaaa0d00"));
        assertEquals(new MplexFrame.Close(1, true), decoder.decode(in));
        assertEquals(new MplexFrame.Reset(1, false), decoder.decode(in));
        assertEquals(0, in.readableBytes());
        in.release();
    }

    @Test
    void framesPrintAsLogLines() {
        assertEquals("NewStream stream=0 name=\"0\"", new MplexFrame.NewStream(0, "0").toString());
        MplexFrame.Message m = new MplexFrame.Message(3, true, text("hello"));
        assertEquals("MessageInitiator stream=3 length=5", m.toString());
        m.release();
        assertEquals("CloseReceiver stream=4", new MplexFrame.Close(4, false).toString());
        assertEquals("ResetInitiator stream=5", new MplexFrame.Reset(5, true).toString());
    }

    @Test
    void rejectsStreamIdsOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> new MplexFrame.Close(-1, true));
        assertThrows(IllegalArgumentException.class, () -> new MplexFrame.Reset(MplexFrame.MAX_STREAM_ID + 1, true));
    }

    private static void assertDecodeFails(String hex, String expected) {
        ByteBuf in = Unpooled.wrappedBuffer(HEX.parseHex(hex));
        MplexFrameDecoder decoder = new MplexFrameDecoder();
        MplexException e = assertThrows(MplexException.class, () -> decoder.decode(in));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertThrows(MplexException.class, () -> decoder.decode(in), "a failed decoder stays failed");
        in.release();
    }

    static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    static MplexFrame decodeOne(String hex) {
        ByteBuf in = Unpooled.wrappedBuffer(HEX.parseHex(hex));
        MplexFrame frame = new MplexFrameDecoder().decode(in);
        assertEquals(0, in.readableBytes());
        in.release();
        return frame;
    }

    /** Encodes through the pipeline encoder; the frame is consumed. */
    static String encode(MplexFrame frame) {
        return HEX.formatHex(encodeBytes(frame));
    }

    static byte[] encodeBytes(MplexFrame frame) {
        EmbeddedChannel ch = new EmbeddedChannel(new MplexFrameEncoder());
        ch.writeOutbound(frame);
        ByteBuf all = Unpooled.buffer();
        ByteBuf part;
        while ((part = ch.readOutbound()) != null) {
            all.writeBytes(part);
            part.release();
        }
        byte[] bytes = ByteBufUtil.getBytes(all);
        all.release();
        ch.finishAndReleaseAll();
        return bytes;
    }

    @Test
    void theStaticWriterAgreesWithThePipelineEncoder() {
        ByteBuf out = Unpooled.buffer();
        MplexFrame.Message m = new MplexFrame.Message(9, false, text("xyz"));
        MplexFrameEncoder.writeFrame(m, out);
        assertArrayEquals(ByteBufUtil.getBytes(out), encodeBytes(m.retainedDuplicate()));
        m.release();
        out.release();
    }
}
