package io.crossdial.muxer.yamux;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Writes {@link YamuxFrame}s as bytes (layout in {@link YamuxFrame}): a freshly allocated 12-byte header,
 * followed for Data frames by the frame's own content buffer (no copy).
 *
 * <h2>Reference counting</h2>
 * Takes ownership of every frame written to it: a Data frame's content is passed on (retained once for
 * the output, released once by the base class).
 */
@ChannelHandler.Sharable
final class YamuxFrameEncoder extends MessageToMessageEncoder<YamuxFrame> {
    YamuxFrameEncoder() {
        super(YamuxFrame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, YamuxFrame frame, List<Object> out) {
        ByteBuf header = ctx.alloc().buffer(YamuxFrame.HEADER_BYTES);
        writeHeader(header, frame);
        out.add(header);
        if (frame instanceof YamuxFrame.Data data && data.content().isReadable()) {
            out.add(data.content().retain());
        }
    }

    /** Writes the 12-byte header of {@code frame} into {@code out}. */
    static void writeHeader(ByteBuf out, YamuxFrame frame) {
        out.writeByte(YamuxFrame.VERSION);
        out.writeByte(frame.type());
        out.writeShort(frame.flags());
        out.writeInt((int) frame.streamId());
        out.writeInt((int) frame.length());
    }
}
