package io.crossdial.core.varint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Tests of {@link UnsignedVarint} against the multiformats/unsigned-varint spec examples. */
class UnsignedVarintTest {
    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest(name = "{0} <-> {1}")
    @CsvSource({
        "1, 01",
        "127, 7f",
        "128, 8001",
        "255, ff01",
        "300, ac02",
        "16384, 808001",
        "0, 00",
        "9223372036854775807, ffffffffffffffff7f",
    })
    void encodesAndDecodesSpecVectors(long value, String hex) {
        byte[] expected = HEX.parseHex(hex);
        assertArrayEquals(expected, UnsignedVarint.encode(value));
        assertEquals(expected.length, UnsignedVarint.encodedLength(value));

        UnsignedVarint.Decoded decoded = UnsignedVarint.decode(expected, 0);
        assertEquals(value, decoded.value());
        assertEquals(expected.length, decoded.length());

        ByteBuf buf = Unpooled.buffer();
        try {
            UnsignedVarint.write(value, buf);
            assertArrayEquals(expected, bytesOf(buf));
            assertEquals(value, UnsignedVarint.tryDecode(buf, Long.MAX_VALUE));
            assertEquals(0, buf.readableBytes());
        } finally {
            buf.release();
        }
    }

    @Test
    void decodesAtAnOffset() {
        UnsignedVarint.Decoded decoded = UnsignedVarint.decode(HEX.parseHex("ffac02"), 1);
        assertEquals(300, decoded.value());
        assertEquals(2, decoded.length());
    }

    @Test
    void rejectsVarintLongerThanNineBytes() {
        byte[] tenBytes = HEX.parseHex("ffffffffffffffffff01");
        assertThrows(VarintException.class, () -> UnsignedVarint.decode(tenBytes, 0));
        ByteBuf buf = Unpooled.wrappedBuffer(tenBytes);
        try {
            assertThrows(VarintException.class, () -> UnsignedVarint.tryDecode(buf, Long.MAX_VALUE));
            assertEquals(0, buf.readerIndex());
        } finally {
            buf.release();
        }
    }

    @Test
    void rejectsNineContinuationBytesEvenBeforeTheTenthArrives() {
        ByteBuf buf = Unpooled.wrappedBuffer(HEX.parseHex("ffffffffffffffffff"));
        try {
            assertThrows(VarintException.class, () -> UnsignedVarint.tryDecode(buf, Long.MAX_VALUE));
            assertEquals(0, buf.readerIndex());
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest
    @CsvSource({"8000", "ff00", "808000", "81808000"})
    void rejectsNonMinimalEncodings(String hex) {
        byte[] bytes = HEX.parseHex(hex);
        assertThrows(VarintException.class, () -> UnsignedVarint.decode(bytes, 0));
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            assertThrows(VarintException.class, () -> UnsignedVarint.tryDecode(buf, Long.MAX_VALUE));
            assertEquals(0, buf.readerIndex());
        } finally {
            buf.release();
        }
    }

    @Test
    void rejectsValueAboveTheCallersLimitWithoutConsuming() {
        ByteBuf buf = Unpooled.wrappedBuffer(HEX.parseHex("ac02"));
        try {
            assertThrows(VarintException.class, () -> UnsignedVarint.tryDecode(buf, 299));
            assertEquals(0, buf.readerIndex());
            assertEquals(300, UnsignedVarint.tryDecode(buf, 300));
            assertEquals(2, buf.readerIndex());
        } finally {
            buf.release();
        }
    }

    @Test
    void returnsIncompleteAndKeepsReaderIndexWhenBytesAreMissing() {
        ByteBuf buf = Unpooled.buffer();
        try {
            buf.writeByte(0x07); // unrelated byte already consumed
            buf.readByte();
            assertEquals(UnsignedVarint.INCOMPLETE, UnsignedVarint.tryDecode(buf, Long.MAX_VALUE));
            buf.writeByte(0x80);
            buf.writeByte(0x80);
            assertEquals(UnsignedVarint.INCOMPLETE, UnsignedVarint.tryDecode(buf, Long.MAX_VALUE));
            assertEquals(1, buf.readerIndex());
            buf.writeByte(0x01);
            assertEquals(16384, UnsignedVarint.tryDecode(buf, Long.MAX_VALUE));
            assertEquals(4, buf.readerIndex());
        } finally {
            buf.release();
        }
    }

    @Test
    void leavesFollowingBytesUnread() {
        ByteBuf buf = Unpooled.wrappedBuffer(HEX.parseHex("ac02ff"));
        try {
            assertEquals(300, UnsignedVarint.tryDecode(buf, Long.MAX_VALUE));
            assertEquals(1, buf.readableBytes());
        } finally {
            buf.release();
        }
    }

    @Test
    void rejectsTruncatedArrayInput() {
        assertThrows(VarintException.class, () -> UnsignedVarint.decode(HEX.parseHex("8080"), 0));
        assertThrows(VarintException.class, () -> UnsignedVarint.decode(new byte[0], 0));
    }

    @Test
    void rejectsNegativeValues() {
        assertThrows(VarintException.class, () -> UnsignedVarint.encode(-1));
        assertThrows(VarintException.class, () -> UnsignedVarint.encodedLength(Long.MIN_VALUE));
        ByteBuf buf = Unpooled.buffer();
        try {
            assertThrows(VarintException.class, () -> UnsignedVarint.write(-5, buf));
            assertEquals(0, buf.writerIndex());
        } finally {
            buf.release();
        }
    }

    @Test
    void pinsLimits() {
        assertEquals(9, UnsignedVarint.MAX_BYTES);
        assertEquals(Long.MAX_VALUE, UnsignedVarint.MAX_VALUE);
        assertEquals(-1, UnsignedVarint.INCOMPLETE);
    }

    @Property
    void roundTripsEveryEncodableValue(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long value) {
        byte[] encoded = UnsignedVarint.encode(value);
        assertEquals(UnsignedVarint.encodedLength(value), encoded.length);
        UnsignedVarint.Decoded decoded = UnsignedVarint.decode(encoded, 0);
        assertEquals(value, decoded.value());
        assertEquals(encoded.length, decoded.length());

        ByteBuf buf = Unpooled.buffer();
        try {
            UnsignedVarint.write(value, buf);
            assertArrayEquals(encoded, bytesOf(buf));
            // every strict prefix is incomplete and consumes nothing
            for (int cut = 0; cut < encoded.length; cut++) {
                ByteBuf prefix = buf.slice(0, cut);
                assertEquals(UnsignedVarint.INCOMPLETE, UnsignedVarint.tryDecode(prefix, Long.MAX_VALUE));
                assertEquals(0, prefix.readerIndex());
            }
            assertEquals(value, UnsignedVarint.tryDecode(buf, Long.MAX_VALUE));
        } finally {
            buf.release();
        }
    }

    @Property
    void randomBytesOnlyEverFailWithVarintException(@ForAll byte[] bytes) {
        try {
            UnsignedVarint.Decoded d = UnsignedVarint.decode(bytes, 0);
            assertArrayEquals(java.util.Arrays.copyOf(bytes, d.length()), UnsignedVarint.encode(d.value()));
        } catch (VarintException expected) {
            // the only allowed failure
        }
    }

    private static byte[] bytesOf(ByteBuf buf) {
        byte[] out = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), out);
        return out;
    }
}
