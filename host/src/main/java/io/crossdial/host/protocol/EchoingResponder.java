package io.crossdial.host.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.time.Duration;
import org.slf4j.Logger;

/**
 * The stream plumbing of a responder that writes back what it reads ({@link PingResponder},
 * {@link EchoResponder}); the subclass decides in {@link #answer} what to write for each inbound buffer.
 *
 * <p>{@code AUTO_READ} is turned off when the handler is added; the first read is requested once the stream
 * is active, and after each read burst (flushed) the next read is requested only while the stream is
 * writable, otherwise when it becomes writable again. After the remote's EOF every answer queued so far is
 * flushed, then the stream is half-closed and closed. When the subclass reports no {@link #progress()} for
 * {@code idleTimeout}, and on an exception, the stream is closed; both are logged at debug level.
 *
 * <p>Reference counting: non-{@code ByteBuf} messages pass on; every inbound {@code ByteBuf} is handed to
 * {@link #answer}, which owns it. One instance per stream (not {@code @Sharable}); event-loop confined.
 */
abstract class EchoingResponder extends ChannelInboundHandlerAdapter {
    private final Duration idleTimeout;
    private final StreamSupport.IdleTimer idle;
    private final Logger log;
    private final String protocol;
    private final String idleDescription;
    private ChannelHandlerContext ctx;
    private boolean started;
    private boolean ending;
    private boolean readPending;

    /**
     * @param idleTimeout how long the stream may go without {@link #progress()} before it is closed
     * @param log the subclass's logger
     * @param protocol the protocol's name in log lines ("ping")
     * @param idleDescription what the idle log line says was missing ("no ping")
     * @throws IllegalArgumentException if the timeout is not positive
     */
    EchoingResponder(Duration idleTimeout, Logger log, String protocol, String idleDescription) {
        long nanos = StreamSupport.positiveNanos(idleTimeout, "idleTimeout");
        this.idleTimeout = idleTimeout;
        this.idle = new StreamSupport.IdleTimer(nanos, this::onIdle);
        this.log = log;
        this.protocol = protocol;
        this.idleDescription = idleDescription;
    }

    /**
     * Handles one inbound buffer: writes (without flushing) whatever answers it, calls {@link #progress()}
     * for each complete answer, and releases or passes on {@code in}. Stops writing once {@link #ending()}.
     */
    abstract void answer(ChannelHandlerContext ctx, ByteBuf in);

    /** Restarts the idle timeout. */
    final void progress() {
        idle.progress();
    }

    /** @return whether the stream is ending (EOF, idle, closed or failed): no more answers */
    final boolean ending() {
        return ending;
    }

    @Override
    public final void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ctx.channel().config().setAutoRead(false);
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public final void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (started) {
            return;
        }
        started = true;
        idle.start(ctx.executor());
        ctx.read();
    }

    @Override
    public final void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf in) {
            answer(ctx, in);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public final void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        readMore();
    }

    @Override
    public final void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (readPending) {
            readMore();
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void readMore() {
        if (ending) {
            return;
        }
        if (ctx.channel().isWritable()) {
            readPending = false;
            ctx.read();
        } else {
            readPending = true;
        }
    }

    @Override
    public final void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && !ending) {
            ending = true;
            idle.stop();
            // Completes after every answer queued before it; then EOF and close.
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> StreamSupport.finish(ctx.channel()));
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void onIdle() {
        log.debug("{} stream {}: {} for {}, closing", protocol, ctx.channel(), idleDescription, idleTimeout);
        ending = true;
        ctx.close();
    }

    @Override
    public final void channelInactive(ChannelHandlerContext ctx) {
        ending = true;
        idle.stop();
        ctx.fireChannelInactive();
    }

    @Override
    public final void handlerRemoved(ChannelHandlerContext ctx) {
        idle.stop();
    }

    @Override
    public final void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{} stream {} failed, closing", protocol, ctx.channel(), cause);
        ending = true;
        idle.stop();
        ctx.close();
    }
}
