package io.crossdial.muxer.mplex;

import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.core.varint.VarintException;
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
 * <p>Not thread-safe; used on the connection's event loop.
 *
 * <h2>Reference counting</h2>
 * A {@link MplexFrame.Message} carries a retained slice of {@code in}; whoever receives the frame must
 * release it. NewStream names are decoded into Strings.
 */
final class MplexFrameDecoder {
    private boolean failed;

    /**
     * Decodes one frame at the reader index of {@code in} if a whole one is there.
     *
     * @param in the bytes received so far; on success the reader index moves past the frame, otherwise it
     *     is unchanged
     * @return the frame, or null when more bytes are needed
     * @throws MplexException when the bytes are not a valid frame
     */
    MplexFrame decode(ByteBuf in) {
        if (failed) {
            throw new MplexException("mplex decoder already failed");
        }
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
            throw fail("malformed mplex frame varint: " + e.getMessage(), e);
        }
        long streamId = header >>> MplexFrame.FLAG_BITS;
        int flag = (int) (header & 7);
        if (flag > MplexFrame.FLAG_RESET_INITIATOR) {
            in.readerIndex(start);
            throw fail("unknown mplex flag " + flag + " on stream " + streamId, null);
        }
        if (length == UnsignedVarint.INCOMPLETE) {
            in.readerIndex(start);
            return null;
        }
        if (length > MplexFrame.MAX_MESSAGE_BYTES) {
            in.readerIndex(start);
            throw fail(MplexFrame.flagName(flag) + " on stream " + streamId + " of " + length
                    + " bytes exceeds the maximum of " + MplexFrame.MAX_MESSAGE_BYTES, null);
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

    private MplexException fail(String message, Throwable cause) {
        failed = true;
        return cause == null ? new MplexException(message) : new MplexException(message, cause);
    }
}
