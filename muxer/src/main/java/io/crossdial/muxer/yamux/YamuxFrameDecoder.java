package io.crossdial.muxer.yamux;

import static io.crossdial.muxer.yamux.YamuxFrame.HEADER_BYTES;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Turns bytes into {@link YamuxFrame}s (layout in {@link YamuxFrame}). Knows bytes and limits only; what
 * a frame means for the session is {@link YamuxSession}'s business.
 *
 * <p>Bounded: a Data frame whose Length exceeds {@code maxDataFrameBytes} fails before its payload is
 * waited for or allocated. A version other than 0, an unknown type or an oversized Data frame throws
 * {@link YamuxException} ({@link YamuxException#PROTOCOL_ERROR}; Netty wraps it in a {@code
 * DecoderException}); from then on every byte is discarded. Unknown flag bits are ignored; the StreamID
 * of Ping and GoAway frames is ignored.
 *
 * <h2>Reference counting</h2>
 * A {@link YamuxFrame.Data} carries a retained slice of the cumulation buffer; whoever receives the frame
 * must release it.
 */
final class YamuxFrameDecoder extends ByteToMessageDecoder {
    private final int maxDataFrameBytes;
    private boolean failed;

    /** @param maxDataFrameBytes the largest Data payload accepted, greater than 0 */
    YamuxFrameDecoder(int maxDataFrameBytes) {
        if (maxDataFrameBytes <= 0) {
            throw new IllegalArgumentException("maxDataFrameBytes must be > 0: " + maxDataFrameBytes);
        }
        this.maxDataFrameBytes = maxDataFrameBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
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
                if (in.readableBytes() < HEADER_BYTES + length) {
                    return;
                }
                in.skipBytes(HEADER_BYTES);
                out.add(new YamuxFrame.Data(
                        streamId, flags & YamuxFrame.STREAM_FLAGS, in.readRetainedSlice((int) length)));
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
        return new YamuxException(YamuxException.PROTOCOL_ERROR, message);
    }
}
