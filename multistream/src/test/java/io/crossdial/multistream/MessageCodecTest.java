package io.crossdial.multistream;

import static io.crossdial.multistream.TestSupport.HEADER_HEX;
import static io.crossdial.multistream.TestSupport.LS_HEX;
import static io.crossdial.multistream.TestSupport.NA_HEX;
import static io.crossdial.multistream.TestSupport.NOISE_HEX;
import static io.crossdial.multistream.TestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageCodecTest {

    @Test
    void pinsWireConstants() {
        assertEquals("/multistream/1.0.0", MultistreamSelect.PROTOCOL_ID);
        assertEquals("na", MultistreamSelect.NA);
        assertEquals("ls", MultistreamSelect.LS);
        assertEquals(1024, MultistreamSelect.MAX_MESSAGE_BYTES);
        assertEquals(1000, MultistreamSelect.MAX_PROPOSALS);
        assertEquals("multistream-select: ", MultistreamException.MESSAGE_PREFIX);
    }

    @Test
    void encodesHeaderAsSpecBytes() {
        assertEquals(HEADER_HEX, encode(Message.HEADER));
        assertEquals("132f6d756c746973747265616d2f312e302e300a", encode(Message.HEADER));
    }

    @Test
    void encodesNaAndLsAsSpecBytes() {
        assertEquals("036e610a", encode(Message.NA));
        assertEquals(NA_HEX, encode(Message.NA));
        assertEquals("036c730a", encode(Message.LS));
        assertEquals(LS_HEX, encode(Message.LS));
    }

    @Test
    void encodesProtocolWithLengthCountingTheNewline() {
        assertEquals(NOISE_HEX, encode(new Message.Protocol("/noise")));
    }

    @Test
    void encodesLsResponseAsNestedLengthPrefixedLinesAndOuterNewline() {
        Message.LsResponse ls = new Message.LsResponse(List.of("/noise", "/yamux/1.0.0"));
        assertEquals("17" + "072f6e6f6973650a" + "0d2f79616d75782f312e302e300a" + "0a", encode(ls));
        // an empty list is just the outer newline
        assertEquals("010a", encode(new Message.LsResponse(List.of())));
    }

    @Test
    void parsesEachMessageKind() {
        assertEquals(Message.HEADER, parse(HEADER_HEX));
        assertEquals(Message.NA, parse(NA_HEX));
        assertEquals(Message.LS, parse(LS_HEX));
        assertEquals(new Message.Protocol("/noise"), parse(NOISE_HEX));
        assertEquals(new Message.Other("select:42"), parse(encode(new Message.Other("select:42"))));
        assertEquals(new Message.Other(""), parse("010a"));
    }

    @Test
    void parsesLsResponse() {
        ByteBuf in = hex("17072f6e6f6973650a0d2f79616d75782f312e302e300a0a");
        try {
            ByteBuf frame = MultistreamFrames.readFrame(in, MultistreamSelect.MAX_MESSAGE_BYTES);
            assertEquals(new Message.LsResponse(List.of("/noise", "/yamux/1.0.0")), Message.parseLsResponse(frame));
            assertEquals(0, in.readableBytes());
        } finally {
            in.release();
        }
    }

    @Test
    void rejectsLsResponseWithTruncatedEntry() {
        // outer length 5: entry claims 7 bytes but only 3 follow before the outer newline
        assertMalformed(() -> Message.parseLsResponse(payload("07 2f 6e 6f 0a")));
        assertMalformed(() -> Message.parseLsResponse(payload("03 6e 61 0a 0a"))); // entry is not a protocol ID
        assertMalformed(() -> Message.parseLsResponse(payload("")));
        assertMalformed(() -> Message.parseLsResponse(payload("072f6e6f6973650a"))); // no outer newline
    }

    @Test
    void rejectsMessageWithoutTrailingNewline() {
        assertMalformed(() -> Message.parse(payload("6e 61 00")));
        assertMalformed(() -> Message.parse(payload("")));
    }

    @Test
    void rejectsMessageWithInnerNewline() {
        assertMalformed(() -> Message.parse(payload(TestSupport.hexOf("/a\n/b\n"))));
    }

    @Test
    void rejectsInvalidUtf8() {
        assertMalformed(() -> Message.parse(payload("2f c3 28 0a")));
    }

    @Test
    void rejectsProtocolIdWithoutLeadingSlashOrTooLong() {
        assertMalformed(() -> new Message.Protocol("noise"));
        assertMalformed(() -> new Message.Protocol("/a\nb"));
        String max = "/" + "a".repeat(1022); // 1023 bytes + newline = 1024
        assertEquals(max, new Message.Protocol(max).id());
        assertMalformed(() -> new Message.Protocol(max + "a"));
    }

    @Test
    void lsResponseFittingLeavesOutWhatDoesNotFit() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            ids.add("/protocol/" + i);
        }
        Message.LsResponse ls = Message.LsResponse.fitting(ids);
        ByteBuf out = Unpooled.buffer();
        try {
            ls.encode(out);
            ByteBuf frame = MultistreamFrames.readFrame(out, MultistreamSelect.MAX_MESSAGE_BYTES);
            assertEquals(ls, Message.parseLsResponse(frame));
        } finally {
            out.release();
        }
        assertEquals(ids.subList(0, ls.protocols().size()), ls.protocols());
        assertMalformed(() -> new Message.LsResponse(ids));
    }

    @Test
    void toStringReadsLikeAProtocolLogLine() {
        assertEquals("header /multistream/1.0.0", Message.HEADER.toString());
        assertEquals("protocol /noise", new Message.Protocol("/noise").toString());
        assertEquals("na", Message.NA.toString());
        assertEquals("ls", Message.LS.toString());
        assertEquals("ls-response [/noise, /yamux/1.0.0]",
                new Message.LsResponse(List.of("/noise", "/yamux/1.0.0")).toString());
        assertEquals("other \"select:7\"", new Message.Other("select:7").toString());
    }

    @Test
    void frameReaderWaitsForWholeFrameWithoutMovingReaderIndex() {
        ByteBuf in = Unpooled.buffer().writeBytes(ByteBufUtil.decodeHexDump("072f6e6f"));
        try {
            assertNull(MultistreamFrames.readFrame(in, 1024));
            assertEquals(0, in.readerIndex());
            in.writeBytes(ByteBufUtil.decodeHexDump("6973650a" + "03"));
            assertEquals("2f6e6f6973650a", ByteBufUtil.hexDump(MultistreamFrames.readFrame(in, 1024)));
            assertNull(MultistreamFrames.readFrame(in, 1024));
            assertEquals(1, in.readableBytes());
        } finally {
            in.release();
        }
    }

    @Test
    void frameReaderRejects2000ByteLengthFromPrefixAlone() {
        ByteBuf in = hex("d0 0f"); // 2000, no payload yet
        try {
            MultistreamException e = assertThrows(MultistreamException.class,
                    () -> MultistreamFrames.readFrame(in, 1024));
            assertEquals(MultistreamException.Reason.MESSAGE_TOO_LONG, e.reason());
            assertEquals("multistream-select: message length 2000 exceeds the limit of 1024 bytes", e.getMessage());
            assertEquals(0, in.readerIndex());
        } finally {
            in.release();
        }
    }

    @Test
    void frameReaderAccepts1024AndRejects1025() {
        ByteBuf in = Unpooled.buffer();
        try {
            in.writeBytes(ByteBufUtil.decodeHexDump("8008")); // 1024
            in.writeZero(1024);
            assertEquals(1024, MultistreamFrames.readFrame(in, 1024).readableBytes());
            in.writeBytes(ByteBufUtil.decodeHexDump("8108")); // 1025
            assertEquals(MultistreamException.Reason.MESSAGE_TOO_LONG,
                    assertThrows(MultistreamException.class, () -> MultistreamFrames.readFrame(in, 1024)).reason());
        } finally {
            in.release();
        }
    }

    @Test
    void frameReaderRejectsTenByteVarint() {
        ByteBuf in = hex("ff ff ff ff ff ff ff ff ff 01");
        try {
            assertEquals(MultistreamException.Reason.MESSAGE_TOO_LONG,
                    assertThrows(MultistreamException.class, () -> MultistreamFrames.readFrame(in, 1024)).reason());
            assertEquals(MultistreamException.Reason.MESSAGE_TOO_LONG, assertThrows(MultistreamException.class,
                    () -> MultistreamFrames.readFrame(in, Integer.MAX_VALUE)).reason());
            assertEquals(0, in.readerIndex());
        } finally {
            in.release();
        }
    }

    @Test
    void frameReaderRejectsLongPrefixBeforeItEnds() {
        ByteBuf in = hex("ff ff"); // 2 continuation bytes: at least 2^14, or not minimal
        try {
            assertEquals(MultistreamException.Reason.MESSAGE_TOO_LONG,
                    assertThrows(MultistreamException.class, () -> MultistreamFrames.readFrame(in, 1024)).reason());
        } finally {
            in.release();
        }
    }

    @Test
    void frameReaderRejectsNonMinimalVarint() {
        ByteBuf in = hex("83 00");
        try {
            assertEquals(MultistreamException.Reason.MALFORMED_MESSAGE,
                    assertThrows(MultistreamException.class, () -> MultistreamFrames.readFrame(in, 1024)).reason());
        } finally {
            in.release();
        }
    }

    @Test
    void emptyListsEncodeAndParse() {
        assertEquals(new Message.LsResponse(Collections.emptyList()),
                Message.parseLsResponse(payload("0a")));
    }

    static String encode(Message m) {
        ByteBuf out = Unpooled.buffer();
        try {
            m.encode(out);
            return ByteBufUtil.hexDump(out);
        } finally {
            out.release();
        }
    }

    static Message parse(String frameHex) {
        ByteBuf in = hex(frameHex);
        try {
            ByteBuf frame = MultistreamFrames.readFrame(in, MultistreamSelect.MAX_MESSAGE_BYTES);
            Message m = Message.parse(frame);
            assertEquals(0, in.readableBytes());
            return m;
        } finally {
            in.release();
        }
    }

    /** A payload wrapping a byte array: not reference-tracked, the GC frees it. */
    private static ByteBuf payload(String hex) {
        return hex(hex);
    }

    private static void assertMalformed(org.junit.jupiter.api.function.Executable e) {
        assertEquals(MultistreamException.Reason.MALFORMED_MESSAGE,
                assertThrows(MultistreamException.class, e).reason());
    }
}
