package io.crossdial.host.relay;

import io.crossdial.core.spi.MuxedStream;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's switch between the initiator's hop stream and the target's stop stream: what one sends is
 * written to the other, with backpressure (a side stops reading while the other cannot take more), half-close
 * carried across, and the circuit's limits enforced: once {@link RelayLimit#dataBytes()} passed in one
 * direction, or after {@link RelayLimit#durationSeconds()}, both streams are reset (go-libp2p's relay does
 * the same). Thread-safe: each side's handler runs on its own stream's event loop; the teardown runs once.
 *
 * <p>Reference counting: each read buffer is handed to the other stream's write, which releases it; the part
 * past a data limit is released here.
 */
final class CircuitBridge {
    private static final Logger log = LoggerFactory.getLogger(CircuitBridge.class);

    private final MuxedStream a;
    private final MuxedStream b;
    private final RelayLimit limit;
    private final Runnable onClosed;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger();
    private volatile ScheduledFuture<?> durationTimer;
    private volatile String endReason = "closed";

    /**
     * @param a the initiator's hop stream
     * @param b the target's stop stream
     * @param limit the circuit's limits
     * @param onClosed run once when the circuit ends (frees its slot)
     */
    CircuitBridge(MuxedStream a, MuxedStream b, RelayLimit limit, Runnable onClosed) {
        this.a = a;
        this.b = b;
        this.limit = limit;
        this.onClosed = onClosed;
        if (limit.durationSeconds() > 0) {
            durationTimer = a.eventLoop().schedule(() -> reset("duration limit " + limit.durationSeconds() + " s"),
                    limit.durationSeconds(), TimeUnit.SECONDS);
        }
        a.closeFuture().addListener(f -> closeOther(b));
        b.closeFuture().addListener(f -> closeOther(a));
    }

    /** @return the handler for the side whose stream is {@code from} (a or b) */
    Side side(MuxedStream from) {
        return new Side(from, from == a ? b : a);
    }

    /** @return why the circuit ended so far: "closed", or which limit reset it */
    String endReason() {
        return endReason;
    }

    private void closeOther(Channel other) {
        if (closed.compareAndSet(false, true)) {
            cancelTimer();
            other.close();
            onClosed.run();
        }
    }

    private void reset(String why) {
        if (closed.compareAndSet(false, true)) {
            endReason = why;
            log.debug("circuit {} <-> {} reset: {}", a, b, why);
            cancelTimer();
            a.reset();
            b.reset();
            onClosed.run();
        }
    }

    private void cancelTimer() {
        ScheduledFuture<?> t = durationTimer;
        if (t != null) {
            t.cancel(false);
        }
    }

    /** One direction: reads {@code from}, writes {@code to}. */
    final class Side extends ChannelInboundHandlerAdapter {
        private final Channel from;
        private final Channel to;
        private long passedBytes;

        Side(Channel from, Channel to) {
            this.from = from;
            this.to = to;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            from.config().setAutoRead(true);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf buf) || closed.get()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            long allowed = limit.dataBytes() == 0 ? Long.MAX_VALUE : limit.dataBytes() - passedBytes;
            int n = buf.readableBytes();
            if (n > allowed) {
                ByteBuf head = buf.readRetainedSlice((int) allowed);
                buf.release();
                passedBytes += allowed;
                to.writeAndFlush(head);
                reset("data limit " + limit.dataBytes() + " B");
                return;
            }
            passedBytes += n;
            to.write(buf, to.voidPromise());
            if (!to.isWritable()) {
                to.flush();
                if (!to.isWritable()) {
                    from.config().setAutoRead(false);
                }
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            to.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // our stream (from) drained: the other side may read again
            if (from.isWritable()) {
                to.config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent && to instanceof DuplexChannel d) {
                to.flush();
                if (ended.incrementAndGet() == 2) {
                    from.close(); // both directions ended: the circuit is done
                } else {
                    d.shutdownOutput();
                }
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("circuit stream {} failed: {}", from, cause.toString());
            from.close();
        }
    }
}
