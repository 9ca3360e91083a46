package io.crossdial.host;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Raw bytes over one stream, for the tests that play a hostile or hand-written protocol peer. */
public final class RawStreams {
    private RawStreams() {}

    /**
     * Opens a stream for {@code protocolId} on {@code c}, writes {@code raw}, and collects what comes back
     * until the stream closes (the remote's FIN closes it from this side too).
     *
     * @param waitMillis how long the open and the exchange may each take, ms
     * @return the bytes the remote sent before the stream closed
     * @throws Exception if the stream does not open or close within {@code waitMillis}
     */
    public static byte[] exchange(Connection c, String protocolId, byte[] raw, long waitMillis) throws Exception {
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        ByteBuf got = Unpooled.buffer();
        c.newStream(new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                ctx.channel().config().setAutoRead(true);
                ctx.writeAndFlush(Unpooled.wrappedBuffer(raw));
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf b = (ByteBuf) msg;
                got.writeBytes(b);
                b.release();
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof ChannelInputShutdownEvent) {
                    ctx.close();
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                byte[] out = new byte[got.readableBytes()];
                got.readBytes(out);
                got.release();
                done.complete(out);
            }
        }, protocolId).get(waitMillis, TimeUnit.MILLISECONDS);
        return done.get(waitMillis, TimeUnit.MILLISECONDS);
    }
}
