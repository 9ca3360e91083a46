package io.crossdial.host.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.util.function.BiConsumer;

/** Misbehaving remote peers for tests: a read callback, and half-close after the remote's EOF. */
class Scripted extends ChannelInboundHandlerAdapter {
    private final BiConsumer<ChannelHandlerContext, ByteBuf> onRead;
    private final boolean halfCloseOnEof;

    /**
     * @param onRead gets each inbound buffer; Scripted releases it afterwards
     * @param halfCloseOnEof whether to half-close (after pending writes) when the remote half-closes
     */
    Scripted(BiConsumer<ChannelHandlerContext, ByteBuf> onRead, boolean halfCloseOnEof) {
        this.onRead = onRead;
        this.halfCloseOnEof = halfCloseOnEof;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            onRead.accept(ctx, in);
        } finally {
            in.release();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && halfCloseOnEof) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER)
                    .addListener(f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
        }
    }
}
