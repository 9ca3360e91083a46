package io.crossdial.core.varint;

import io.netty.buffer.ByteBuf;

/**
 * The multiformats unsigned varint (spec: multiformats/unsigned-varint).
 *
 * <pre>
 *   value 300 = 0b1_0010_1100  ->  1010_1100  0000_0010   (0xAC 0x02)
 *                                  ^ more     ^ last
 * </pre>
 *
 * Seven value bits per byte, least significant group first, the high bit set on every byte but the
 * last. Per the spec a varint is at most 9 bytes (63 value bits) and must be minimally encoded: a
 * final byte of 0x00 after a continuation byte is rejected.
 *
 * <p>All methods are static, stateless and thread-safe. Decoding methods never allocate.
 */
public final class UnsignedVarint {
    /** The spec's limit on the encoded length: 9 bytes. */
    public static final int MAX_BYTES = 9;
    /** The largest encodable value: 2^63 - 1. */
    public static final long MAX_VALUE = Long.MAX_VALUE;
    /** Returned by {@link #tryDecode} when the buffer does not yet hold a whole varint. */
    public static final long INCOMPLETE = -1;

    private UnsignedVarint() {}

    /**
     * Number of bytes {@code value} takes encoded.
     *
     * @param value a value in [0, 2^63 - 1]
     * @return 1 to 9
     * @throws VarintException if {@code value} is negative
     */
    public static int encodedLength(long value) {
        checkEncodable(value);
        int n = 1;
        while ((value >>>= 7) != 0) {
            n++;
        }
        return n;
    }

    /**
     * Writes {@code value} at the writer index of {@code out}.
     *
     * @param value a value in [0, 2^63 - 1]
     * @param out the buffer to write to; it grows as needed
     * @throws VarintException if {@code value} is negative
     */
    public static void write(long value, ByteBuf out) {
        checkEncodable(value);
        while ((value & ~0x7FL) != 0) {
            out.writeByte((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.writeByte((int) value);
    }

    /**
     * Encodes {@code value} into a new array.
     *
     * @param value a value in [0, 2^63 - 1]
     * @return 1 to 9 bytes
     * @throws VarintException if {@code value} is negative
     */
    public static byte[] encode(long value) {
        byte[] out = new byte[encodedLength(value)];
        int i = 0;
        while ((value & ~0x7FL) != 0) {
            out[i++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out[i] = (byte) value;
        return out;
    }

    /**
     * Decodes a varint at the reader index of {@code in} if a whole one is there. On success the reader
     * index moves past it; when it returns {@link #INCOMPLETE} the reader index is unchanged.
     *
     * @param in the bytes received so far
     * @param maxValue the largest value the caller accepts (a frame-length limit, for example)
     * @return the value, or {@link #INCOMPLETE} when more bytes are needed
     * @throws VarintException when the varint is longer than 9 bytes, not minimal, or above {@code maxValue};
     *     the reader index is then unchanged
     */
    public static long tryDecode(ByteBuf in, long maxValue) {
        int start = in.readerIndex();
        int available = in.readableBytes();
        long value = 0;
        for (int i = 0; i < MAX_BYTES; i++) {
            if (i >= available) {
                return INCOMPLETE;
            }
            int b = in.getByte(start + i) & 0xFF;
            value |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                if (b == 0 && i > 0) {
                    throw new VarintException("varint is not minimally encoded (" + (i + 1) + " bytes, last 0x00)");
                }
                if (value > maxValue) {
                    throw new VarintException("varint value " + value + " exceeds the limit " + maxValue);
                }
                in.readerIndex(start + i + 1);
                return value;
            }
        }
        throw new VarintException("varint longer than " + MAX_BYTES + " bytes");
    }

    /**
     * Decodes a varint from {@code bytes} starting at {@code offset}.
     *
     * @param bytes the encoded bytes
     * @param offset where the varint starts
     * @return the value and how many bytes it took
     * @throws VarintException when truncated, longer than 9 bytes or not minimal
     */
    public static Decoded decode(byte[] bytes, int offset) {
        long value = 0;
        for (int i = 0; i < MAX_BYTES; i++) {
            if (offset + i >= bytes.length) {
                throw new VarintException("varint truncated after " + i + " bytes");
            }
            int b = bytes[offset + i] & 0xFF;
            value |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                if (b == 0 && i > 0) {
                    throw new VarintException("varint is not minimally encoded (" + (i + 1) + " bytes, last 0x00)");
                }
                return new Decoded(value, i + 1);
            }
        }
        throw new VarintException("varint longer than " + MAX_BYTES + " bytes");
    }

    /**
     * A decoded varint.
     *
     * @param value the value, in [0, 2^63 - 1]
     * @param length how many bytes it took, 1 to 9
     */
    public record Decoded(long value, int length) {}

    private static void checkEncodable(long value) {
        if (value < 0) {
            throw new VarintException("cannot encode negative value " + value + " as an unsigned varint");
        }
    }
}
