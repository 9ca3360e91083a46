package io.crossdial.multistream;

import io.crossdial.core.spi.StageTimer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the dialer and listener handlers share: the negotiation timeout, end-of-input detection, failure
 * reporting, and success (call the {@link NegotiationListener}, remove this handler, let
 * {@link ByteToMessageDecoder#handlerRemoved} forward the bytes read past the last negotiation message).
 *
 * <p>Reference counting: inbound bytes are held in {@link ByteToMessageDecoder}'s cumulation. After a
 * failure every further inbound byte is discarded, so nothing is forwarded when the closed channel removes
 * this handler; after success the unread rest of the cumulation is forwarded to the next handler, which
 * then owns it.
 */
abstract class NegotiationHandler extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(NegotiationHandler.class);

    private final String role;
    private final StageTimer timeout;
    private final NegotiationListener listener;
    private boolean started;

    NegotiationHandler(String role, long timeoutMillis, NegotiationListener listener) {
        this.timeout = new StageTimer(timeoutMillis, "timeoutMillis");
        this.role = role;
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** @return true until the negotiation succeeded or failed */
    abstract boolean negotiating();

    /** Enters the terminal FAILED state. */
    abstract void enterFailed();

    /** Enters the DONE state. */
    abstract void enterDone();

    /** The channel is active: start negotiating (the dialer writes its first messages here). */
    abstract void start(ChannelHandlerContext ctx);

    /** Decodes and handles as many whole messages of {@code in} as the state allows. */
    abstract void handle(ChannelHandlerContext ctx, ByteBuf in);

    /** @return the current state, for error messages and logs */
    abstract String stateName();

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        if (ctx.channel().isActive()) {
            begin(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        begin(ctx);
        super.channelActive(ctx);
    }

    private void begin(ChannelHandlerContext ctx) {
        if (started) {
            return;
        }
        started = true;
        timeout.start(ctx, () -> fail(ctx, new MultistreamException(MultistreamException.Reason.TIMEOUT,
                role + " negotiation timed out after " + timeout.timeoutMillis() + " ms (" + stateName() + ")")));
        start(ctx);
    }

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (negotiating()) {
            try {
                handle(ctx, in);
            } catch (MultistreamException e) {
                fail(ctx, e);
            }
        }
        if (!negotiating() && !ctx.isRemoved()) {
            // FAILED (or DONE but the listener threw): nothing more is read.
            in.skipBytes(in.readableBytes());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(ctx, new MultistreamException(MultistreamException.Reason.CONNECTION_CLOSED,
                "connection closed during " + role + " negotiation (" + stateName() + ")"));
        super.channelInactive(ctx);
    }

    /**
     * An I/O error during the negotiation (a connection reset by the remote) fails it with {@code IO_ERROR},
     * so the stage reports its own typed exception; anything else, or an error after the negotiation ended,
     * is passed on.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (negotiating() && cause instanceof IOException) {
            fail(ctx, new MultistreamException(MultistreamException.Reason.IO_ERROR,
                    role + " negotiation failed (" + stateName() + "): " + cause, cause));
            return;
        }
        super.exceptionCaught(ctx, cause);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            // Every whole message was handled when it arrived; what is left can only be a partial one.
            fail(ctx, new MultistreamException(MultistreamException.Reason.CONNECTION_CLOSED,
                    "input closed during " + role + " negotiation (" + stateName() + ")"));
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        timeout.cancel();
    }

    /** Writes and flushes {@code buf} (taking ownership); a failed write fails the negotiation. */
    final void send(ChannelHandlerContext ctx, ByteBuf buf) {
        ctx.writeAndFlush(buf).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                // A socket error (the remote reset the connection) is the remote's doing, not a local failure.
                fail(ctx, new MultistreamException(f.cause() instanceof IOException
                        ? MultistreamException.Reason.IO_ERROR : MultistreamException.Reason.LOCAL_FAILURE,
                        role + " failed to write a negotiation message: " + f.cause(), f.cause()));
            }
        });
    }

    final void logSent(ChannelHandlerContext ctx, Message m) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} >> {}", ctx.channel(), role, m);
        }
    }

    final void logReceived(ChannelHandlerContext ctx, Message m) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} << {}", ctx.channel(), role, m);
        }
    }

    /** Negotiation succeeded: tell the listener, then remove this handler (which forwards leftover bytes). */
    final void succeed(ChannelHandlerContext ctx, String protocolId) {
        enterDone();
        timeout.cancel();
        LOG.debug("{} {} negotiated {}", ctx.channel(), role, protocolId);
        try {
            listener.onNegotiated(ctx, protocolId);
        } catch (RuntimeException e) {
            report(ctx, new MultistreamException(MultistreamException.Reason.LOCAL_FAILURE,
                    "negotiation listener failed after " + role + " negotiated " + protocolId, e));
            return;
        }
        ctx.pipeline().remove(this);
    }

    /** Fails the negotiation unless it already finished: FAILED, listener, exceptionCaught, close. */
    final void fail(ChannelHandlerContext ctx, MultistreamException cause) {
        if (negotiating()) {
            report(ctx, cause);
        }
    }

    private void report(ChannelHandlerContext ctx, MultistreamException cause) {
        enterFailed();
        timeout.cancel();
        // Drop what was read but not handled, so closing the channel forwards nothing to the next handler.
        ByteBuf unread = internalBuffer();
        unread.skipBytes(unread.readableBytes());
        LOG.debug("{} {} negotiation failed: {}", ctx.channel(), role, cause.getMessage());
        try {
            listener.onFailed(ctx, cause);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
        ctx.fireExceptionCaught(cause);
        ctx.close();
    }
}
