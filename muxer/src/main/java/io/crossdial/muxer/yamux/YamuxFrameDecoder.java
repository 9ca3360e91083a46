package io.crossdial.muxer.yamux;

import static io.crossdial.muxer.yamux.YamuxFrame.HEADER_BYTES;

import io.crossdial.muxer.yamux.YamuxException.GoAwayCode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Turns bytes into {@link YamuxFrame}s (layout in {@link YamuxFrame}). Knows bytes and limits only; what
 * a frame means for the session is {@link YamuxSession}'s business, asked through {@link Admission}.
 *
 * <p>Bounded: a Data frame whose Length exceeds {@code maxDataFrameBytes} fails before its payload is
 * waited for or allocated. A version other than 0, an unknown type or an oversized Data frame throws
 * {@link YamuxException} ({@link GoAwayCode#PROTOCOL_ERROR}; Netty wraps it in a {@code
 * DecoderException}); from then on every byte is discarded. Unknown flag bits are ignored; the StreamID
 * of Ping and GoAway frames is ignored.
 *
 * <p>Admission: as soon as a Data header is complete, before any payload byte is waited for, {@link
 * Admission#admit(long, int, long)} decides: {@link Verdict#DELIVER} waits for the whole payload and
 * emits the frame; {@link Verdict#DISCARD} skips the payload as it arrives (never holding more of it than
 * one read brought) and emits nothing; a thrown {@link YamuxException} fails the decoder as above. So a
 * frame longer than its stream's receive window fails at its header, and data for an unknown or reset
 * stream is drained without being buffered (hashicorp/yamux {@code handleStreamMessage} reads the header,
 * checks the window in {@code readData} and {@code io.CopyN}s a missing stream's data to discard).
 * Frames already decoded are delivered before the next header is read, so the admission sees the
 * session as those frames left it.
 *
 * <h2>Reference counting</h2>
 * A {@link YamuxFrame.Data} carries a retained slice of the cumulation buffer; whoever receives the frame
 * must release it.
 */
final class YamuxFrameDecoder extends ByteToMessageDecoder {
    /** What becomes of a Data frame's payload. */
    enum Verdict {
        /** Wait for the whole payload and emit the frame. */
        DELIVER,
        /** Skip the payload as it arrives; emit nothing. */
        DISCARD
    }

    /** Decides, at a Data header, what becomes of its payload. Called on the event loop. */
    @FunctionalInterface
    interface Admission {
        /** Delivers every frame (codec tests). */
        Admission DELIVER_ALL = (streamId, flags, length) -> Verdict.DELIVER;

        /**
         * @param streamId the StreamID field
         * @param flags the frame's stream flags (SYN, ACK, FIN, RST)
         * @param length the payload length, at most {@code maxDataFrameBytes}
         * @return what becomes of the payload
         * @throws YamuxException to fail the connection (the session sends GoAway with its code)
         */
        Verdict admit(long streamId, int flags, long length);
    }

    private final int maxDataFrameBytes;
    private final Admission admission;
    private boolean failed;
    /** The Data header at the reader index was admitted; its payload is awaited. */
    private boolean admitted;
    /** Payload bytes still to skip. */
    private long discardBytes;
    private long discardedBytes;

    /** @param maxDataFrameBytes the largest Data payload accepted, greater than 0; every frame delivered */
    YamuxFrameDecoder(int maxDataFrameBytes) {
        this(maxDataFrameBytes, Admission.DELIVER_ALL);
    }

    /**
     * @param maxDataFrameBytes the largest Data payload accepted, greater than 0
     * @param admission asked at every Data header
     */
    YamuxFrameDecoder(int maxDataFrameBytes, Admission admission) {
        if (maxDataFrameBytes <= 0) {
            throw new IllegalArgumentException("maxDataFrameBytes must be > 0: " + maxDataFrameBytes);
        }
        this.maxDataFrameBytes = maxDataFrameBytes;
        this.admission = admission;
    }

    /** @return payload bytes skipped, in total, for Data frames the admission discarded */
    long discardedBytes() {
        return discardedBytes;
    }

    /** @return bytes received and held, waiting for the rest of a frame */
    int bufferedBytes() {
        ByteBuf buffer = internalBuffer();
        return buffer.readableBytes();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (discardBytes > 0) {
            int n = (int) Math.min(discardBytes, in.readableBytes());
            in.skipBytes(n);
            discardBytes -= n;
            discardedBytes += n;
            if (discardBytes > 0) {
                return;
            }
        }
        if (in.readableBytes() < HEADER_BYTES) {
            return;
        }
        int at = in.readerIndex();
        int version = in.getUnsignedByte(at);
        int type = in.getUnsignedByte(at + 1);
        int flags = in.getUnsignedShort(at + 2);
        long streamId = in.getUnsignedInt(at + 4);
        long length = in.getUnsignedInt(at + 8);
        if (version != YamuxFrame.VERSION) {
            throw fail(in, "unsupported yamux version " + version);
        }
        switch (type) {
            case YamuxFrame.TYPE_DATA -> {
                if (length > maxDataFrameBytes) {
                    throw fail(in, "Data frame on stream " + streamId + " of " + length
                            + " bytes exceeds the maximum of " + maxDataFrameBytes);
                }
                int streamFlags = flags & YamuxFrame.STREAM_FLAGS;
                if (!admitted) {
                    Verdict verdict;
                    try {
                        verdict = admission.admit(streamId, streamFlags, length);
                    } catch (YamuxException e) {
                        failed = true;
                        in.skipBytes(in.readableBytes());
                        throw e;
                    }
                    if (verdict == Verdict.DISCARD) {
                        in.skipBytes(HEADER_BYTES);
                        discardBytes = length;
                        return; // called again while bytes remain: skips what is there
                    }
                    admitted = true;
                }
                if (in.readableBytes() < HEADER_BYTES + length) {
                    return;
                }
                admitted = false;
                in.skipBytes(HEADER_BYTES);
                out.add(new YamuxFrame.Data(streamId, streamFlags, in.readRetainedSlice((int) length)));
            }
            case YamuxFrame.TYPE_WINDOW_UPDATE -> {
                in.skipBytes(HEADER_BYTES);
                out.add(new YamuxFrame.WindowUpdate(streamId, flags & YamuxFrame.STREAM_FLAGS, length));
            }
            case YamuxFrame.TYPE_PING -> {
                in.skipBytes(HEADER_BYTES);
                out.add(new YamuxFrame.Ping(flags & YamuxFrame.PING_FLAGS, length));
            }
            case YamuxFrame.TYPE_GO_AWAY -> {
                in.skipBytes(HEADER_BYTES);
                out.add(new YamuxFrame.GoAway(length));
            }
            default -> throw fail(in, "unknown yamux frame type " + type);
        }
    }

    private YamuxException fail(ByteBuf in, String message) {
        failed = true;
        in.skipBytes(in.readableBytes());
        return new YamuxException(GoAwayCode.PROTOCOL_ERROR, message);
    }
}
