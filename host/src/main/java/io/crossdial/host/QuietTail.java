package io.crossdial.host;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of every connection and stream pipeline the host builds: an exception that no protocol
 * handler took is logged at debug level (the failure already reached whoever waited on it) and closes the
 * channel; stray messages are released.
 */
@ChannelHandler.Sharable
final class QuietTail extends ChannelInboundHandlerAdapter {
    static final QuietTail INSTANCE = new QuietTail();
    private static final Logger log = LoggerFactory.getLogger(QuietTail.class);

    private QuietTail() {}

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{} closed after: {}", ctx.channel(), cause.toString());
        ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        log.debug("{} dropped an unhandled {}", ctx.channel(), msg.getClass().getSimpleName());
        ReferenceCountUtil.release(msg);
    }
}
