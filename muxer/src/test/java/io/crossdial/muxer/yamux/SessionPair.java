package io.crossdial.muxer.yamux;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** Two yamux sessions on EmbeddedChannels, wired by pumping each one's outbound bytes into the other. */
final class SessionPair {
    final EmbeddedChannel a = new EmbeddedChannel();
    final EmbeddedChannel b = new EmbeddedChannel();
    final List<Throwable> errorsA = new ArrayList<>();
    final List<Throwable> errorsB = new ArrayList<>();
    final MuxedSession sessionA;
    final MuxedSession sessionB;

    SessionPair(YamuxConfig config, ChannelHandler inboundA, ChannelHandler inboundB, int maxInboundB) {
        a.pipeline().addLast("app", errorSink(errorsA));
        b.pipeline().addLast("app", errorSink(errorsB));
        sessionA = new YamuxStreamMuxer(config).install(a.pipeline(), "app", new MuxerContext(Role.INITIATOR, inboundA, 1000));
        sessionB = new YamuxStreamMuxer(config).install(b.pipeline(), "app", new MuxerContext(Role.RESPONDER, inboundB, maxInboundB));
    }

    static YamuxConfig noKeepAlive() {
        return YamuxConfig.builder().keepAliveIntervalMillis(0).build();
    }

    /** Moves bytes both ways until nothing moves. */
    void pump() {
        boolean moved;
        do {
            moved = move(a, b) | move(b, a);
            a.runPendingTasks();
            b.runPendingTasks();
        } while (moved);
    }

    /** Moves the bytes written so far from one side to the other, once. */
    static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        Object msg;
        while ((msg = from.readOutbound()) != null) {
            moved = true;
            if (to.isOpen()) {
                to.writeInbound(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }
        return moved;
    }

    MuxedStream open(ChannelHandler handler) {
        Future<MuxedStream> f = sessionA.openStream(handler);
        pump();
        if (!f.isSuccess()) {
            throw new AssertionError("open failed", f.cause());
        }
        return f.getNow();
    }

    void finish() {
        pump();
        a.finishAndReleaseAll();
        b.finishAndReleaseAll();
        pump();
    }

    private static ChannelInboundHandlerAdapter errorSink(List<Throwable> errors) {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
            }
        };
    }

    /** Echoes what it reads; half-closes when the remote half-closed. */
    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ((DuplexChannel) ctx.channel()).shutdownOutput();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // resets are expected in some tests
        }
    }

    /** Records what one stream reads and sees. Not sharable: one per stream. */
    static class Collector extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final List<Object> events = new ArrayList<>();
        final List<Throwable> errors = new ArrayList<>();
        MuxedStream stream;
        boolean active;
        boolean inactive;
        int writabilityChanges;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            stream = (MuxedStream) ctx.channel();
            active = true;
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            received.writeBytes(ByteBufUtil.getBytes(buf));
            buf.release();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent || evt instanceof ChannelInputShutdownReadComplete) {
                events.add(evt);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            writabilityChanges++;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inactive = true;
        }

        boolean sawEof() {
            return events.contains(ChannelInputShutdownEvent.INSTANCE)
                    && events.contains(ChannelInputShutdownReadComplete.INSTANCE);
        }

        String text() {
            return received.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** Creates a fresh {@link Collector} per inbound stream and remembers them. */
    @ChannelHandler.Sharable
    static final class Collectors extends ChannelInboundHandlerAdapter {
        final List<Collector> all = new ArrayList<>();
        final boolean autoRead;

        Collectors(boolean autoRead) {
            this.autoRead = autoRead;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            Collector c = new Collector();
            all.add(c);
            ctx.channel().config().setAutoRead(autoRead);
            ctx.pipeline().replace(this, null, c);
        }
    }

    static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, java.nio.charset.StandardCharsets.UTF_8);
    }
}
