package io.crossdial.core.varint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.crossdial.core.FuzzBound;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;

/**
 * Fuzzes both varint decoders: any bytes give a value (that re-encodes to the same bytes), "need more"
 * or a {@link VarintException}, never anything else. Corpus: {@code UnsignedVarintFuzzTestInputs/}.
 */
class UnsignedVarintFuzzTest {

    @FuzzTest
    void decodesOrRejectsWithVarintException(byte[] input) {
        FuzzBound.run(() -> checkDecodesOrRejectsWithVarintException(input));
    }

    private static void checkDecodesOrRejectsWithVarintException(byte[] input) {
        try {
            UnsignedVarint.Decoded decoded = UnsignedVarint.decode(input, 0);
            assertTrue(decoded.length() >= 1 && decoded.length() <= UnsignedVarint.MAX_BYTES);
            assertArrayEquals(Arrays.copyOf(input, decoded.length()), UnsignedVarint.encode(decoded.value()));
        } catch (VarintException expected) {
            // the decoder's documented failure
        }
        ByteBuf buf = Unpooled.buffer(input.length + 1).writeBytes(input);
        try {
            long limit = input.length > 0 && (input[0] & 1) == 1 ? 1L << 24 : UnsignedVarint.MAX_VALUE;
            long value = UnsignedVarint.tryDecode(buf, limit);
            if (value == UnsignedVarint.INCOMPLETE) {
                assertEquals(0, buf.readerIndex());
            } else {
                assertTrue(value >= 0 && value <= limit);
                assertEquals(UnsignedVarint.encodedLength(value), buf.readerIndex());
            }
        } catch (VarintException expected) {
            assertEquals(0, buf.readerIndex(), "a rejected varint leaves the reader index alone");
        } finally {
            assertTrue(buf.release());
        }
    }
}
