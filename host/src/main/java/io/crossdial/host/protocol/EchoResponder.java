package io.crossdial.host.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening side of echo ({@value ProtocolIds#ECHO}, a crossdial test protocol): every byte read is
 * written back in order; after the remote's EOF, once every echoed byte has been written, the responder
 * half-closes and closes the stream.
 *
 * <p>Backpressure: {@code AUTO_READ} is turned off and the next read is requested only while the stream
 * is writable, so when the remote does not read its echo the responder stops reading instead of
 * buffering (at most one read's worth of bytes is queued beyond the writability limit). A stream with no
 * inbound bytes for {@code idleTimeout} is closed.
 *
 * <p>Reference counting: each inbound {@code ByteBuf} is handed to the channel as the echo, so its
 * ownership passes to the outbound side unchanged. One instance per stream; event-loop confined.
 */
public final class EchoResponder extends ChannelInboundHandlerAdapter {
    /** The idle timeout of {@link #EchoResponder()}: 60 s. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(EchoResponder.class);

    private final Duration idleTimeout;
    private final StreamSupport.IdleTimer idle;
    private ChannelHandlerContext ctx;
    private boolean started;
    private boolean ending;
    private boolean readPending;

    /** A responder that closes a stream idle for {@link #DEFAULT_IDLE_TIMEOUT}. */
    public EchoResponder() {
        this(DEFAULT_IDLE_TIMEOUT);
    }

    /**
     * @param idleTimeout how long to wait for inbound bytes (or for the remote to read its echo) before
     *     closing the stream
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public EchoResponder(Duration idleTimeout) {
        long nanos = StreamSupport.positiveNanos(idleTimeout, "idleTimeout");
        this.idleTimeout = idleTimeout;
        this.idle = new StreamSupport.IdleTimer(nanos, this::onIdle);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ctx.channel().config().setAutoRead(false);
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (!started) {
            started = true;
            idle.start(ctx.executor());
            ctx.read();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (ending || !in.isReadable()) {
            in.release();
            return;
        }
        idle.progress();
        ctx.write(in, ctx.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        readMore();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
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
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && !ending) {
            ending = true;
            idle.stop();
            // Completes after every echo queued before it; then EOF and close.
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> StreamSupport.finish(ctx.channel()));
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void onIdle() {
        LOG.debug("echo stream {}: idle for {}, closing", ctx.channel(), idleTimeout);
        ending = true;
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ending = true;
        idle.stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        idle.stop();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("echo stream {} failed, closing", ctx.channel(), cause);
        ending = true;
        idle.stop();
        ctx.close();
    }
}
