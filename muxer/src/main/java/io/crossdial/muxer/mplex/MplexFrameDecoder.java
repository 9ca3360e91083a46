package io.crossdial.muxer.mplex;

import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.core.varint.VarintException;
import io.crossdial.muxer.mplex.MplexException.Reason;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Cuts bytes into {@link MplexFrame}s (layout in {@link MplexFrame}). Knows bytes and limits only; what a
 * frame means for the session is {@link MplexSession}'s business. Not a pipeline handler: the session
 * owns the cumulation buffer so that it can stop decoding while a slow reader holds the connection.
 *
 * <p>Bounded: a length above {@link MplexFrame#MAX_MESSAGE_BYTES} fails as soon as its varint is read,
 * before the data is waited for or allocated. A header or length varint longer than 9 bytes or not
 * minimally encoded, or the unused flag 7, fails too. Failures throw {@link MplexException}; the decoder
 * is then failed and every later call throws. A Close or Reset with a non-empty body is accepted and its
 * body skipped (the spec asks senders for an empty body).
 *
 * <p>Draining: once a Message header is complete, {@link Admission#wants(long, boolean)} is asked whether
 * its stream takes data. When it does not (an unknown or reset stream), the payload is skipped as it
 * arrives, without waiting for or holding the whole message, and no frame is returned for it
 * (hashicorp/yamux {@code handleStreamMessage} drains data for a missing stream the same way).
 *
 * <p>Not thread-safe; used on the connection's event loop.
 *
 * <h2>Reference counting</h2>
 * A {@link MplexFrame.Message} carries a retained slice of {@code in}; whoever receives the frame must
 * release it. NewStream names are decoded into Strings.
 */
final class MplexFrameDecoder {
    /** Says, when a Message header is complete, whether its payload is wanted. */
    @FunctionalInterface
    interface Admission {
        /** Every message is wanted. */
        Admission ALL = (streamId, fromInitiator) -> true;

        /**
         * @param streamId the message's stream ID
         * @param fromInitiator true when the stream's initiator sent it
         * @return false to drain the payload without a frame
         */
        boolean wants(long streamId, boolean fromInitiator);
    }

    /** Returned by decodeOne when an unwanted message's payload is to be skipped; never handed out. */
    private static final MplexFrame DRAINING = new MplexFrame.Reset(0, false);

    private final Admission admission;
    private boolean failed;
    /** Payload bytes of an unwanted message still to skip. */
    private long discardBytes;
    private long discardedBytes;

    /** A decoder that wants every message. */
    MplexFrameDecoder() {
        this(Admission.ALL);
    }

    /** @param admission asked per Message header whether its payload is wanted */
    MplexFrameDecoder(Admission admission) {
        this.admission = admission;
    }

    /** @return payload bytes drained, in total, for messages nobody wanted */
    long discardedBytes() {
        return discardedBytes;
    }

    /**
     * Decodes one frame at the reader index of {@code in} if a whole one is there.
     *
     * @param in the bytes received so far; on success the reader index moves past the frame (and past any
     *     drained payload before it), otherwise only past drained payload bytes
     * @return the frame, or null when more bytes are needed
     * @throws MplexException when the bytes are not a valid frame
     */
    MplexFrame decode(ByteBuf in) {
        if (failed) {
            throw new MplexException(Reason.DECODER_FAILED, "mplex decoder already failed");
        }
        for (;;) {
            while (discardBytes > 0) {
                int n = (int) Math.min(discardBytes, in.readableBytes());
                if (n == 0) {
                    return null;
                }
                in.skipBytes(n);
                discardBytes -= n;
                discardedBytes += n;
            }
            MplexFrame frame = decodeOne(in);
            if (frame != DRAINING) {
                return frame;
            }
        }
    }

    /** @return a frame, null when more bytes are needed, or {@link #DRAINING} when a payload is to be skipped */
    private MplexFrame decodeOne(ByteBuf in) {
        int start = in.readerIndex();
        long header;
        long length;
        try {
            header = UnsignedVarint.tryDecode(in, UnsignedVarint.MAX_VALUE);
            if (header == UnsignedVarint.INCOMPLETE) {
                return null;
            }
            length = UnsignedVarint.tryDecode(in, UnsignedVarint.MAX_VALUE);
        } catch (VarintException e) {
            in.readerIndex(start);
            throw fail(Reason.MALFORMED_VARINT, "malformed mplex frame varint: " + e.getMessage(), e);
        }
        long streamId = header >>> MplexFrame.FLAG_BITS;
        int flag = (int) (header & 7);
        if (flag > MplexFrame.FLAG_RESET_INITIATOR) {
            in.readerIndex(start);
            throw fail(Reason.UNKNOWN_FLAG, "unknown mplex flag " + flag + " on stream " + streamId, null);
        }
        if (length == UnsignedVarint.INCOMPLETE) {
            in.readerIndex(start);
            return null;
        }
        if (length > MplexFrame.MAX_MESSAGE_BYTES) {
            in.readerIndex(start);
            throw fail(Reason.FRAME_TOO_LONG, MplexFrame.flagName(flag) + " on stream " + streamId + " of " + length
                    + " bytes exceeds the maximum of " + MplexFrame.MAX_MESSAGE_BYTES, null);
        }
        boolean message = flag == MplexFrame.FLAG_MESSAGE_RECEIVER || flag == MplexFrame.FLAG_MESSAGE_INITIATOR;
        if (message && length > 0 && !admission.wants(streamId, flag == MplexFrame.FLAG_MESSAGE_INITIATOR)) {
            discardBytes = length;
            return DRAINING;
        }
        if (in.readableBytes() < length) {
            in.readerIndex(start);
            return null;
        }
        int bytes = (int) length;
        return switch (flag) {
            case MplexFrame.FLAG_NEW_STREAM -> {
                String name = in.toString(in.readerIndex(), bytes, StandardCharsets.UTF_8);
                in.skipBytes(bytes);
                yield new MplexFrame.NewStream(streamId, name);
            }
            case MplexFrame.FLAG_MESSAGE_RECEIVER, MplexFrame.FLAG_MESSAGE_INITIATOR ->
                    new MplexFrame.Message(streamId, flag == MplexFrame.FLAG_MESSAGE_INITIATOR, in.readRetainedSlice(bytes));
            case MplexFrame.FLAG_CLOSE_RECEIVER, MplexFrame.FLAG_CLOSE_INITIATOR -> {
                in.skipBytes(bytes);
                yield new MplexFrame.Close(streamId, flag == MplexFrame.FLAG_CLOSE_INITIATOR);
            }
            default -> {
                in.skipBytes(bytes);
                yield new MplexFrame.Reset(streamId, flag == MplexFrame.FLAG_RESET_INITIATOR);
            }
        };
    }

    private MplexException fail(Reason reason, String message, Throwable cause) {
        failed = true;
        return new MplexException(reason, message, cause);
    }
}
