package io.crossdial.muxer.yamux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class YamuxFrameCodecTest {

    @Test
    void pinsWireConstants() {
        assertEquals(0, YamuxFrame.VERSION);
        assertEquals(12, YamuxFrame.HEADER_BYTES);
        assertEquals(0, YamuxFrame.TYPE_DATA);
        assertEquals(1, YamuxFrame.TYPE_WINDOW_UPDATE);
        assertEquals(2, YamuxFrame.TYPE_PING);
        assertEquals(3, YamuxFrame.TYPE_GO_AWAY);
        assertEquals(1, YamuxFrame.FLAG_SYN);
        assertEquals(2, YamuxFrame.FLAG_ACK);
        assertEquals(4, YamuxFrame.FLAG_FIN);
        assertEquals(8, YamuxFrame.FLAG_RST);
        assertEquals(256 * 1024, YamuxFrame.INITIAL_WINDOW_BYTES);
        assertEquals(0, YamuxException.GoAwayCode.NORMAL.wire());
        assertEquals(1, YamuxException.GoAwayCode.PROTOCOL_ERROR.wire());
        assertEquals(2, YamuxException.GoAwayCode.INTERNAL_ERROR.wire());
        assertEquals(3, YamuxException.GoAwayCode.values().length, "the spec defines three GoAway codes");
        assertEquals(java.util.Optional.of(YamuxException.GoAwayCode.INTERNAL_ERROR), YamuxException.GoAwayCode.fromWire(2));
        assertEquals(java.util.Optional.empty(), YamuxException.GoAwayCode.fromWire(3));
        assertEquals(0xFFFF_FFFFL, YamuxFrame.MAX_U32);
        assertEquals(0, YamuxFrame.SESSION_ID);
        assertEquals(32, YamuxSession.MAX_PENDING_PONGS);
        assertEquals(1024, io.crossdial.muxer.AbstractMuxedSession.MAX_UNWRITTEN_REFUSALS);
        assertEquals("/yamux/1.0.0", YamuxStreamMuxer.PROTOCOL_ID);
    }

    @Test
    void encodesDataFrameHeaderBigEndianThenPayload() {
        byte[] bytes = encode(new YamuxFrame.Data(3, YamuxFrame.FLAG_SYN | YamuxFrame.FLAG_FIN,
                Unpooled.copiedBuffer("hi", StandardCharsets.US_ASCII)));
        assertEquals("000000050000000300000002" + "6869", ByteBufUtil.hexDump(bytes));
    }

    @Test
    void encodesWindowUpdatePingAndGoAwayHeaders() {
        assertEquals("000100020000000700040000",
                ByteBufUtil.hexDump(encode(new YamuxFrame.WindowUpdate(7, YamuxFrame.FLAG_ACK, 0x40000))));
        assertEquals("000200010000000012345678",
                ByteBufUtil.hexDump(encode(new YamuxFrame.Ping(YamuxFrame.FLAG_SYN, 0x12345678L))));
        assertEquals("000300000000000000000001", ByteBufUtil.hexDump(encode(new YamuxFrame.GoAway(1))));
        assertEquals("00010008fffffffeffffffff",
                ByteBufUtil.hexDump(encode(new YamuxFrame.WindowUpdate(0xFFFFFFFEL, YamuxFrame.FLAG_RST, 0xFFFFFFFFL))));
    }

    @Test
    void decodesHeaderFieldsFromExactBytes() {
        EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameDecoder(1024));
        ch.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(
                "000100010000000100000000" + "000000020000000100000003616263" + "000200020000000000000009"
                        + "000300000000000000000002")));
        assertEquals(new YamuxFrame.WindowUpdate(1, YamuxFrame.FLAG_SYN, 0), ch.readInbound());
        YamuxFrame.Data data = ch.readInbound();
        assertEquals(1, data.streamId());
        assertEquals(YamuxFrame.FLAG_ACK, data.flags());
        assertEquals("abc", data.content().toString(StandardCharsets.US_ASCII));
        data.release();
        assertEquals(new YamuxFrame.Ping(YamuxFrame.FLAG_ACK, 9), ch.readInbound());
        assertEquals(new YamuxFrame.GoAway(2), ch.readInbound());
        assertNull(ch.readInbound());
        assertTrue(!ch.finishAndReleaseAll());
    }

    @Test
    void waitsForAWholeFrameAcrossReads() {
        EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameDecoder(1024));
        byte[] frame = ByteBufUtil.decodeHexDump("0000000000000005000000026869");
        for (byte b : frame) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        YamuxFrame.Data data = ch.readInbound();
        assertEquals("hi", data.content().toString(StandardCharsets.US_ASCII));
        data.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void rejectsDataFrameLongerThanMaximumBeforeItsPayloadArrives() {
        EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameDecoder(1024));
        ByteBuf header = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("000000000000000100000401"));
        DecoderException e = assertThrows(DecoderException.class, () -> ch.writeInbound(header));
        YamuxException cause = assertInstanceOf(YamuxException.class, e.getCause());
        assertEquals(YamuxException.GoAwayCode.PROTOCOL_ERROR.wire(), cause.errorCode());
        assertEquals(0, header.refCnt());
        // everything after the failure is discarded
        ch.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("000200010000000000000001")));
        assertNull(ch.readInbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void rejectsUnknownVersionAndType() {
        for (String hex : new String[] {"010000000000000100000000", "000400000000000100000000"}) {
            EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameDecoder(1024));
            DecoderException e = assertThrows(DecoderException.class,
                    () -> ch.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex))));
            assertInstanceOf(YamuxException.class, e.getCause());
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void ignoresUnknownFlagBits() {
        EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameDecoder(1024));
        ch.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("0001ff130000000100000000")));
        assertEquals(new YamuxFrame.WindowUpdate(1, YamuxFrame.FLAG_SYN | YamuxFrame.FLAG_ACK, 0), ch.readInbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void framesPrintAsLogLines() {
        YamuxFrame.Data data = YamuxFrame.Data.empty(5, YamuxFrame.FLAG_ACK | YamuxFrame.FLAG_FIN);
        assertEquals("DATA stream=5 flags=ACK|FIN length=0", data.toString());
        assertEquals("WINDOW_UPDATE stream=1 flags=SYN delta=0",
                new YamuxFrame.WindowUpdate(1, YamuxFrame.FLAG_SYN, 0).toString());
        assertEquals("PING flags=ACK opaque=7", new YamuxFrame.Ping(YamuxFrame.FLAG_ACK, 7).toString());
        assertEquals("GO_AWAY code=1 (protocol error)", new YamuxFrame.GoAway(1).toString());
    }

    @Test
    void framesRejectFlagsTheSpecDoesNotAllowThere() {
        assertThrows(IllegalArgumentException.class, () -> new YamuxFrame.Ping(YamuxFrame.FLAG_FIN, 0));
        assertThrows(IllegalArgumentException.class, () -> new YamuxFrame.WindowUpdate(1, 16, 0));
        assertThrows(IllegalArgumentException.class, () -> new YamuxFrame.GoAway(-1));
    }

    static byte[] encode(YamuxFrame frame) {
        EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameEncoder());
        ch.writeOutbound(frame);
        ByteBuf all = Unpooled.buffer();
        ByteBuf part;
        while ((part = ch.readOutbound()) != null) {
            all.writeBytes(part);
            part.release();
        }
        ch.finishAndReleaseAll();
        byte[] bytes = ByteBufUtil.getBytes(all);
        all.release();
        return bytes;
    }

    @Test
    void encoderReleasesDataContent() {
        ByteBuf content = Unpooled.copiedBuffer(new byte[] {1, 2, 3});
        byte[] bytes = encode(new YamuxFrame.Data(1, 0, content));
        assertArrayEquals(ByteBufUtil.decodeHexDump("000000000000000100000003010203"), bytes);
        assertEquals(0, content.refCnt());
    }
}
