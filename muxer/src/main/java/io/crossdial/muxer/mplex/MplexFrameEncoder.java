package io.crossdial.muxer.mplex;

import io.crossdial.core.varint.UnsignedVarint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Writes {@link MplexFrame}s as bytes (layout in {@link MplexFrame}): a freshly allocated buffer with the
 * header and length varints (and a NewStream's name), followed for Message frames by the frame's own
 * content buffer (no copy).
 *
 * <h2>Reference counting</h2>
 * Takes ownership of every frame written to it: a Message's content is passed on (retained once for the
 * output, released once by the base class).
 */
@ChannelHandler.Sharable
final class MplexFrameEncoder extends MessageToMessageEncoder<MplexFrame> {
    MplexFrameEncoder() {
        super(MplexFrame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, MplexFrame frame, List<Object> out) {
        if (frame instanceof MplexFrame.Message message) {
            ByteBuf header = ctx.alloc().buffer(UnsignedVarint.MAX_BYTES + 4);
            UnsignedVarint.write(frame.header(), header);
            UnsignedVarint.write(message.content().readableBytes(), header);
            out.add(header);
            if (message.content().isReadable()) {
                out.add(message.content().retain());
            }
        } else {
            ByteBuf buf = ctx.alloc().buffer();
            writeFrame(frame, buf);
            out.add(buf);
        }
    }

    /** Writes a NewStream, Close or Reset frame (whole) into {@code out}. */
    static void writeFrame(MplexFrame frame, ByteBuf out) {
        UnsignedVarint.write(frame.header(), out);
        if (frame instanceof MplexFrame.NewStream open) {
            UnsignedVarint.write(ByteBufUtil.utf8Bytes(open.name()), out);
            ByteBufUtil.writeUtf8(out, open.name());
        } else if (frame instanceof MplexFrame.Message message) {
            UnsignedVarint.write(message.content().readableBytes(), out);
            out.writeBytes(message.content(), message.content().readerIndex(), message.content().readableBytes());
        } else {
            UnsignedVarint.write(0, out);
        }
    }
}
