package io.crossdial.host.relay;

import com.google.protobuf.MessageLite;
import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.core.varint.VarintException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The framing of circuit relay v2 and DCUtR messages:
 *
 * <pre>
 *   +--------------------------+-----------------------------+
 *   | length (unsigned varint) | protobuf message (length B) |
 *   +--------------------------+-----------------------------+
 * </pre>
 *
 * A length above the bound ({@link RelayProtocols#MAX_MESSAGE_BYTES} for the relay) fails before anything is
 * allocated. Stateless and thread-safe.
 */
public final class RelayFrames {
    private RelayFrames() {}

    /**
     * @param message a protobuf message
     * @param alloc where the frame is allocated
     * @param maxBytes the largest message allowed
     * @return a new buffer holding the length prefix and the message; the caller owns it
     * @throws IllegalArgumentException if the message is larger than {@code maxBytes}
     */
    public static ByteBuf encode(MessageLite message, ByteBufAllocator alloc, int maxBytes) {
        byte[] body = message.toByteArray();
        if (body.length > maxBytes) {
            throw new IllegalArgumentException("message of " + body.length + " bytes exceeds " + maxBytes);
        }
        ByteBuf out = alloc.buffer(UnsignedVarint.encodedLength(body.length) + body.length);
        UnsignedVarint.write(body.length, out);
        return out.writeBytes(body);
    }

    /**
     * Reads one frame if a whole one is there; on success the reader index moves past it, otherwise it is
     * unchanged.
     *
     * @param in bytes received so far
     * @param maxBytes the largest message accepted
     * @return the message bytes, or null when more bytes are needed
     * @throws RelayException {@link RelayException.Reason#TOO_LARGE} when the length prefix exceeds
     *     {@code maxBytes} or is not a valid varint
     */
    public static byte[] tryRead(ByteBuf in, int maxBytes) {
        int start = in.readerIndex();
        long length;
        try {
            length = UnsignedVarint.tryDecode(in, maxBytes);
        } catch (VarintException e) {
            throw new RelayException(RelayException.Reason.TOO_LARGE, null,
                    "message length prefix refused: " + e.getMessage() + " (max " + maxBytes + " bytes)", e);
        }
        if (length == UnsignedVarint.INCOMPLETE) {
            return null;
        }
        if (in.readableBytes() < length) {
            in.readerIndex(start);
            return null;
        }
        byte[] body = new byte[(int) length];
        in.readBytes(body);
        return body;
    }
}
