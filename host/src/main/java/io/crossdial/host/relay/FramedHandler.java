package io.crossdial.host.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The base of every handler that runs a message exchange on a relay or DCUtR stream: it reads one
 * length-prefixed message at a time ({@link RelayFrames}) when asked to ({@link #expectMessage}), within a
 * timeout, and otherwise keeps what arrives for the stage it hands the stream to ({@link #handOff}), so bytes
 * pipelined behind the last message (the start of a relayed connection's upgrade) reach that stage.
 *
 * <p>Failures (an oversize or malformed length prefix, EOF, a closed stream, the timeout) reach
 * {@link #onFailure} once, as a {@link RelayException}; the subclass answers with a status where the spec has
 * one and closes the stream. DCUtR ({@code io.crossdial.host.dcutr}) uses it too: its messages have the same
 * framing and bound. Event-loop confined. Reference counting: the cumulation belongs to
 * {@link ByteToMessageDecoder}; frames are copied into arrays.
 */
public abstract class FramedHandler extends ByteToMessageDecoder {
    private final int maxBytes;
    private final long timeoutMillis;
    private boolean awaiting;
    private boolean finished;
    private ScheduledFuture<?> timer;

    /**
     * @param maxBytes the largest message accepted, bytes
     * @param timeoutMillis how long each expected message may take, ms
     */
    protected FramedHandler(int maxBytes, long timeoutMillis) {
        this.maxBytes = maxBytes;
        this.timeoutMillis = timeoutMillis;
    }

    /** A whole message arrived while one was expected. */
    protected abstract void onMessage(ChannelHandlerContext ctx, byte[] frame) throws Exception;

    /** The exchange failed; called at most once. The subclass closes the stream. */
    protected abstract void onFailure(ChannelHandlerContext ctx, RelayException e);

    /** Waits for the next message (within the timeout); one already buffered is delivered now. */
    protected final void expectMessage(ChannelHandlerContext ctx) {
        if (finished) {
            return;
        }
        awaiting = true;
        cancelTimer();
        timer = ctx.executor().schedule(() -> fail(ctx, new RelayException(RelayException.Reason.TIMEOUT,
                "no message within " + timeoutMillis + " ms")), timeoutMillis, TimeUnit.MILLISECONDS);
        ByteBuf buffered = internalBuffer();
        if (buffered.isReadable() && !ctx.isRemoved()) {
            readFrame(ctx, buffered);
        }
    }

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (awaiting && !finished) {
            readFrame(ctx, in);
        }
    }

    private void readFrame(ChannelHandlerContext ctx, ByteBuf in) {
        byte[] frame;
        try {
            frame = RelayFrames.tryRead(in, maxBytes);
        } catch (RelayException e) {
            in.skipBytes(in.readableBytes());
            fail(ctx, e);
            return;
        }
        if (frame == null) {
            return;
        }
        awaiting = false;
        cancelTimer();
        try {
            onMessage(ctx, frame);
        } catch (RelayException e) {
            fail(ctx, e);
        } catch (Exception e) {
            fail(ctx, new RelayException(RelayException.Reason.MALFORMED, null, e.toString(), e));
        }
    }

    /** Ends the exchange here (the stream is closed by the caller or already done). */
    protected final void finish() {
        finished = true;
        awaiting = false;
        cancelTimer();
    }

    /** @return whether the exchange ended (finished, handed off or failed) */
    protected final boolean isFinished() {
        return finished;
    }

    /**
     * Puts {@code next} right behind this handler and removes this one: the bytes read past the last message
     * go to {@code next}. Call on the stream's event loop.
     */
    protected final void handOff(ChannelHandlerContext ctx, ChannelHandler next) {
        finish();
        if (next != null) {
            ctx.pipeline().addAfter(ctx.name(), null, next);
        }
        ctx.pipeline().remove(this);
    }

    /** Fails the exchange once: {@link #onFailure}. */
    protected final void fail(ChannelHandlerContext ctx, RelayException e) {
        if (finished) {
            return;
        }
        finish();
        onFailure(ctx, e);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        super.userEventTriggered(ctx, evt);
        if (evt instanceof ChannelInputShutdownEvent && awaiting && !finished) {
            fail(ctx, new RelayException(RelayException.Reason.CLOSED, "the stream ended before a whole message"));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!finished) {
            fail(ctx, new RelayException(RelayException.Reason.CLOSED, "the stream closed"));
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!finished) {
            fail(ctx, cause instanceof RelayException r ? r
                    : new RelayException(RelayException.Reason.CLOSED, null, "the stream failed: " + cause, cause));
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        cancelTimer();
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
