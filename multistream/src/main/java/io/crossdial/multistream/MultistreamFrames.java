package io.crossdial.multistream;

import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.core.varint.VarintException;
import io.netty.buffer.ByteBuf;

/**
 * Length-prefixed framing of multistream-select, bytes only: it knows lengths and limits, not what the
 * bytes mean ({@link Message} parses a frame's payload).
 *
 * <pre>
 * +------------------------+------------------------------+
 * | length L               | payload                      |
 * | unsigned varint, 1-2 B | L bytes (1 &lt;= L &lt;= max)      |
 * +------------------------+------------------------------+
 *   e.g. "na": 03 | 6e 61 0a
 * </pre>
 *
 * The length is a multiformats unsigned varint counting the payload bytes; for multistream-select the
 * payload ends with the newline {@code 0x0a}, which {@link Message#parse} checks.
 *
 * <p><b>Limits.</b> A length above {@code maxFrameBytes} is rejected as soon as the prefix is read, before
 * waiting for or allocating the payload; a prefix that has already used more bytes than
 * {@code maxFrameBytes} needs is rejected without waiting for its end.
 *
 * <p><b>Reference counting.</b> {@link #readFrame} returns a non-retained slice of its input: it shares the
 * input's memory and reference count, must not be released, and is valid only until the input is released
 * or its read bytes are discarded. {@link #writeFrame} does not take ownership of anything.
 *
 * <p>Stateless and thread-safe.
 */
public final class MultistreamFrames {
    private MultistreamFrames() {}

    /**
     * Reads one frame at the reader index of {@code in} if it is complete, moving the reader index past it;
     * otherwise leaves the reader index unchanged.
     *
     * @param in bytes received so far
     * @param maxFrameBytes the largest payload accepted, at least 1
     * @return the payload as a non-retained slice of {@code in}, or null when more bytes are needed
     * @throws MultistreamException {@link MultistreamException.Reason#MALFORMED_MESSAGE} for an invalid
     *     varint (longer than 9 bytes or not minimal), {@link MultistreamException.Reason#MESSAGE_TOO_LONG}
     *     for a length above {@code maxFrameBytes}; the reader index is then unchanged
     */
    public static ByteBuf readFrame(ByteBuf in, int maxFrameBytes) {
        if (maxFrameBytes < 1) {
            throw new IllegalArgumentException("maxFrameBytes must be at least 1: " + maxFrameBytes);
        }
        int start = in.readerIndex();
        // A prefix whose first bytes all carry the continuation bit, as many of them as the largest allowed
        // length needs, encodes a larger length (or is not minimal): reject it without waiting for its end.
        int prefixLimit = UnsignedVarint.encodedLength(maxFrameBytes);
        if (in.readableBytes() >= prefixLimit && allContinuationBytes(in, start, prefixLimit)) {
            throw new MultistreamException(MultistreamException.Reason.MESSAGE_TOO_LONG,
                    "message length prefix longer than " + prefixLimit + " bytes (limit " + maxFrameBytes
                            + " bytes)");
        }
        long length;
        try {
            length = UnsignedVarint.tryDecode(in, UnsignedVarint.MAX_VALUE);
        } catch (VarintException e) {
            throw new MultistreamException(MultistreamException.Reason.MALFORMED_MESSAGE,
                    "invalid message length prefix: " + e.getMessage(), e);
        }
        if (length == UnsignedVarint.INCOMPLETE) {
            return null;
        }
        if (length > maxFrameBytes) {
            in.readerIndex(start);
            throw new MultistreamException(MultistreamException.Reason.MESSAGE_TOO_LONG,
                    "message length " + length + " exceeds the limit of " + maxFrameBytes + " bytes");
        }
        if (in.readableBytes() < length) {
            in.readerIndex(start);
            return null;
        }
        return in.readSlice((int) length);
    }

    private static boolean allContinuationBytes(ByteBuf in, int start, int count) {
        for (int i = 0; i < count; i++) {
            if ((in.getByte(start + i) & 0x80) == 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Writes {@code payload} as one frame: its length as an unsigned varint, then the payload.
     *
     * @param out where to write; grows as needed
     * @param payload the payload, with the trailing newline for a multistream-select message
     */
    public static void writeFrame(ByteBuf out, byte[] payload) {
        UnsignedVarint.write(payload.length, out);
        out.writeBytes(payload);
    }
}
