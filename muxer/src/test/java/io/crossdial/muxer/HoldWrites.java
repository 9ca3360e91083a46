package io.crossdial.muxer;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * Stands for a socket whose peer does not read: holds every write, its promise incomplete, until
 * {@link #writeAll()} passes them on.
 */
public final class HoldWrites extends ChannelOutboundHandlerAdapter {
    private final List<Object> messages = new ArrayList<>();
    private final List<ChannelPromise> promises = new ArrayList<>();
    private ChannelHandlerContext ctx;

    @Override
    public void handlerAdded(ChannelHandlerContext c) {
        ctx = c;
    }

    @Override
    public void write(ChannelHandlerContext c, Object msg, ChannelPromise promise) {
        messages.add(msg);
        promises.add(promise);
    }

    @Override
    public void flush(ChannelHandlerContext c) {
        // held: nothing reaches the socket
    }

    public int size() {
        return messages.size();
    }

    public Object last() {
        return messages.get(messages.size() - 1);
    }

    public void writeAll() {
        List<Object> m = new ArrayList<>(messages);
        List<ChannelPromise> p = new ArrayList<>(promises);
        messages.clear();
        promises.clear();
        for (int i = 0; i < m.size(); i++) {
            if (ctx.channel().isOpen()) {
                ctx.write(m.get(i), p.get(i));
            } else {
                ReferenceCountUtil.release(m.get(i));
                p.get(i).tryFailure(new java.nio.channels.ClosedChannelException());
            }
        }
        ctx.flush();
    }

    public void releaseAll() {
        for (Object m : messages) {
            ReferenceCountUtil.release(m);
        }
        messages.clear();
        promises.clear();
    }
}
