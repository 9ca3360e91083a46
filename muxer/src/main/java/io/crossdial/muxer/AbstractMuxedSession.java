package io.crossdial.muxer;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.MuxerContext;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.LongObjectHashMap;
import io.netty.util.collection.LongObjectMap;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * What every muxed session over one connection does the same way, whatever its frames: the stream table,
 * the inbound stream limit, registering streams as child channels, the {@link SessionState} with the
 * close and GoAway plumbing, and flush batching while reading. The muxer's subclass decodes its frames,
 * numbers its streams and says which frames open, refuse and end things. Used by yamux and mplex.
 *
 * <p>Thread-safety: the {@link MuxedSession} methods may be called from any thread; everything else runs
 * on the connection's event loop.
 *
 * <h2>Stream table</h2>
 * Two tables, streams this side opened and streams the remote opened, each keyed by stream ID: in mplex
 * each side numbers its own streams, so one ID can name two streams; in yamux the ID's parity says which
 * table. The inbound stream limit is {@code min(muxer's limit, MuxerContext.maxInboundStreams())}, counted
 * over the inbound table.
 *
 * <h2>Closing</h2>
 * Closing the connection through the pipeline takes an {@link SessionState#ACTIVE} session to {@link
 * SessionState#GOING_AWAY} and calls {@link #onGoingAway(ChannelHandlerContext)} (yamux writes GoAway 0
 * there) before the close goes on. {@link #fail(Throwable, Object)} sends the protocol's goodbye, if it
 * has one, fires the cause and closes. When the connection goes inactive or the handler is removed, the
 * session is {@link SessionState#CLOSED} and every stream closes without a frame.
 *
 * <h2>Reference counting</h2>
 * {@link #write(Object, ChannelPromise)} hands its frame to the connection, or releases it once the
 * session is closed or not installed.
 *
 * @param <S> the muxer's stream channel
 * @param <F> the muxer's frame type, as its encoder takes it
 */
public abstract class AbstractMuxedSession<S extends AbstractMuxedStreamChannel, F> implements MuxedSession {
    /**
     * The most refusals (resets of inbound streams beyond the limits) written but not yet taken by the
     * socket. A remote that keeps opening streams without reading the refusals fails the connection there
     * ({@link #refusalBacklogFull(int)}) instead of queueing refusals without bound.
     */
    public static final int MAX_UNWRITTEN_REFUSALS = 1024;

    /**
     * How long a failed session waits for its goodbye (yamux GoAway) to be written before it closes the
     * connection without it, in milliseconds: a remote that does not read cannot hold the connection open.
     */
    public static final long GOODBYE_TIMEOUT_MILLIS = 1_000;

    private final Channel channel;
    private final MuxerContext context;
    private final int maxInboundStreams;
    private final Handler handler = new Handler();
    private ChannelHandlerContext ctx;

    /** Streams this side opened, by stream ID. */
    private final LongObjectMap<S> outbound = new LongObjectHashMap<>();
    /** Streams the remote opened, by stream ID. */
    private final LongObjectMap<S> inbound = new LongObjectHashMap<>();
    private volatile int streamCount;

    private SessionState state = SessionState.ACTIVE;
    private int unwrittenRefusals;
    /** Inside channelRead: flushes wait for channelReadComplete. */
    private boolean reading;
    private boolean flushPending;

    /**
     * @param channel the connection
     * @param context from {@code StreamMuxer.install}
     * @param maxInboundStreams the muxer's own inbound stream limit
     */
    protected AbstractMuxedSession(Channel channel, MuxerContext context, int maxInboundStreams) {
        this.channel = channel;
        this.context = context;
        this.maxInboundStreams = Math.min(maxInboundStreams, context.maxInboundStreams());
    }

    /**
     * Adds {@code handler} as {@code name} before {@code beforeName}, or at the end of the pipeline when
     * {@code beforeName} is null (the contract of {@code StreamMuxer.install}). On the event loop.
     */
    public static void addHandler(ChannelPipeline pipeline, String beforeName, String name, ChannelHandler handler) {
        if (beforeName == null) {
            pipeline.addLast(name, handler);
        } else {
            pipeline.addBefore(beforeName, name, handler);
        }
    }

    // ---- hooks for the muxer ----

    /**
     * Opens an outbound stream (on the event loop, {@code handler} not null): check the session with
     * {@link #isInstalled()} and {@link #acceptsStreams()}, number the stream, then {@link #registerOutbound}.
     */
    protected abstract void open(ChannelHandler handler, Promise<MuxedStream> promise);

    /** A message read from the connection (a frame, or bytes for a muxer that decodes itself). */
    protected abstract void onRead(ChannelHandlerContext ctx, Object msg);

    /** @return the frame that refuses (resets) inbound stream {@code id} */
    protected abstract F refuseFrame(long id);

    /**
     * {@link #MAX_UNWRITTEN_REFUSALS} refusals wait to be written and the remote opens another stream: the
     * remote does not read. By default the session fails with a connection-level {@link MuxerException} and
     * no goodbye; override to send the protocol's own ({@link #fail(Throwable, Object)}).
     *
     * @param unwritten the refusals waiting
     */
    protected void refusalBacklogFull(int unwritten) {
        fail(new MuxerException("remote keeps opening streams while " + unwritten
                + " refusals of earlier ones wait to be written: it does not read", true, null), null);
    }

    /** The connection is active (or was when the handler was added). May be called more than once. */
    protected void onActive() {}

    /** The session went from active to going away; write the protocol's goodbye here, if it has one. */
    protected void onGoingAway(ChannelHandlerContext ctx) {}

    /** The session failed with {@code cause}, before the goodbye is sent and the cause fired. */
    protected void onFailed(Throwable cause) {}

    /** The session closed, before its streams are closed. */
    protected void onClosed() {}

    /** {@code stream} was removed from the stream table (it closed). */
    protected void onStreamRemoved(S stream) {}

    /** The connection's writability changed; by default the stream is told. */
    protected void parentWritabilityChanged(S stream, boolean writable) {
        stream.parentWritabilityChanged(writable);
    }

    /** An exception reached the session handler; by default it is passed on. */
    protected void onException(ChannelHandlerContext ctx, Throwable cause) {
        ctx.fireExceptionCaught(cause);
    }

    // ---- MuxedSession ----

    @Override
    public final Channel connection() {
        return channel;
    }

    @Override
    public final int streamCount() {
        return streamCount;
    }

    /** Runs {@link #open} on the connection's event loop (at once when already there). Any thread. */
    @Override
    public final Future<MuxedStream> openStream(ChannelHandler streamHandler) {
        Promise<MuxedStream> promise = channel.eventLoop().newPromise();
        if (streamHandler == null) {
            return promise.setFailure(new IllegalArgumentException("stream handler is required"));
        }
        if (channel.eventLoop().inEventLoop()) {
            open(streamHandler, promise);
        } else {
            channel.eventLoop().execute(() -> open(streamHandler, promise));
        }
        return promise;
    }

    /** Closes the connection through the pipeline: the session goes away first (yamux: GoAway 0). */
    @Override
    public final ChannelFuture close() {
        channel.close();
        return channel.closeFuture();
    }

    // ---- calls from the streams ----

    /**
     * Writes one frame to the connection (not flushed).
     *
     * <p>Reference counting: {@code frame} is handed to the connection, or released when the session handler
     * is not installed or the session is closed; {@code promise} then fails with a
     * {@link ClosedChannelException}.
     *
     * @param promise completed with the write's outcome, or null to write with the void promise
     */
    public final void write(F frame, ChannelPromise promise) {
        if (ctx == null || state == SessionState.CLOSED) {
            ReferenceCountUtil.release(frame);
            if (promise != null) {
                promise.tryFailure(new ClosedChannelException());
            }
            return;
        }
        if (promise == null) {
            // Not the void promise: a write that fails because the connection just closed would fire that
            // failure through the pipeline as a ClosedChannelException, which is not a protocol error.
            ctx.write(frame);
        } else {
            ctx.write(frame).addListener(f -> {
                if (f.isSuccess()) {
                    promise.trySuccess();
                } else {
                    promise.tryFailure(f.cause());
                }
            });
        }
    }

    /** Flushes the connection, or at the end of the read in progress. */
    public final void flush() {
        if (ctx == null) {
            return;
        }
        if (reading) {
            flushPending = true;
        } else {
            ctx.flush();
        }
    }

    /** {@code stream} closed: forget it. Does nothing for a stream the table no longer holds. */
    public final void streamClosed(S stream) {
        LongObjectMap<S> table = stream.isOutbound() ? outbound : inbound;
        if (table.get(stream.streamId()) != stream) {
            return;
        }
        table.remove(stream.streamId());
        updateCount();
        onStreamRemoved(stream);
    }

    // ---- for the muxer ----

    /** @return the pipeline handler of this session */
    public final ChannelHandler handler() {
        return handler;
    }

    protected final SessionState state() {
        return state;
    }

    protected final MuxerContext context() {
        return context;
    }

    /** @return true once the session handler is in the pipeline */
    protected final boolean isInstalled() {
        return ctx != null;
    }

    /** @return true while new outbound streams may open: active, and the connection too */
    protected final boolean acceptsStreams() {
        return state == SessionState.ACTIVE && channel.isActive();
    }

    /** @return the stream with {@code id} that this side ({@code outbound}) or the remote opened, or null */
    protected final S stream(long id, boolean outbound) {
        return (outbound ? this.outbound : inbound).get(id);
    }

    /** @return true when the remote already opened a stream with {@code id} */
    protected final boolean hasInbound(long id) {
        return inbound.containsKey(id);
    }

    /** @return true while an inbound stream may be accepted: active and below the inbound stream limit */
    protected final boolean acceptsInbound() {
        return state == SessionState.ACTIVE && inbound.size() < maxInboundStreams;
    }

    /**
     * Refuses inbound stream {@code id} with {@link #refuseFrame(long)}, or calls {@link
     * #refusalBacklogFull(int)} when {@link #MAX_UNWRITTEN_REFUSALS} refusals are still unwritten.
     */
    protected final void refuseInbound(long id) {
        if (unwrittenRefusals >= MAX_UNWRITTEN_REFUSALS) {
            refusalBacklogFull(unwrittenRefusals);
            return;
        }
        unwrittenRefusals++;
        ChannelPromise written = channel.newPromise();
        written.addListener(f -> unwrittenRefusals--);
        write(refuseFrame(id), written);
        flush();
    }

    /** @return refusals written but not yet taken by the socket */
    protected final int unwrittenRefusals() {
        return unwrittenRefusals;
    }

    /**
     * Adds an outbound stream: its handler, the table, {@code openFrame} written before the stream is
     * registered (so the stream's first frames follow it), the flush; completes {@code promise} once
     * registered, or resets the stream if {@code promise} was cancelled meanwhile.
     */
    protected final void registerOutbound(S stream, ChannelHandler streamHandler, F openFrame,
            Promise<MuxedStream> promise) {
        stream.pipeline().addLast(streamHandler);
        outbound.put(stream.streamId(), stream);
        updateCount();
        write(openFrame, null);
        ChannelFuture registered = channel.eventLoop().register(stream);
        flush();
        registered.addListener(f -> {
            if (f.isSuccess()) {
                if (!promise.trySuccess(stream)) {
                    stream.reset();
                }
            } else {
                promise.tryFailure(f.cause());
                stream.unsafe().closeForcibly();
            }
        });
    }

    /**
     * Adds an inbound stream the remote opened (the caller checked {@link #acceptsInbound()}): the context's
     * inbound handler, the table, the registration. A stream that fails to register is forgotten and
     * refused.
     *
     * @return the stream, or null when it failed to register or closed while registering
     */
    protected final S registerInbound(S stream) {
        stream.pipeline().addLast(context.inboundStreamHandler());
        inbound.put(stream.streamId(), stream);
        updateCount();
        ChannelFuture registered = channel.eventLoop().register(stream);
        if (registered.cause() != null) {
            stream.unsafe().closeForcibly();
            streamClosed(stream);
            refuseInbound(stream.streamId());
            return null;
        }
        return stream.isOpen() ? stream : null;
    }

    /**
     * Runs {@code work} (outside {@code channelRead}, e.g. resumed decoding) with flushes batched until it
     * returns.
     */
    protected final void batchingFlushes(Runnable work) {
        boolean wasReading = reading;
        reading = true;
        try {
            work.run();
        } finally {
            reading = wasReading;
        }
        if (!reading && flushPending && ctx != null) {
            flushPending = false;
            ctx.flush();
        }
    }

    /**
     * Fails the session, once: {@link #onFailed}, then, if {@code goAway} is not null and the session had not
     * gone away yet, writes and flushes it, fires {@code cause} and closes the connection once it is written
     * (or after {@link #GOODBYE_TIMEOUT_MILLIS} if it is not);
     * otherwise fires {@code cause} and closes at once. Does nothing when already failed or closed.
     *
     * @param goAway the protocol's goodbye carrying the error (yamux GoAway), or null to send none
     */
    protected final void fail(Throwable cause, F goAway) {
        if (!state.readsFrames()) {
            ReferenceCountUtil.release(goAway);
            return;
        }
        boolean send = goAway != null && state == SessionState.ACTIVE && channel.isActive();
        state = state.fail();
        onFailed(cause);
        if (send) {
            ChannelFuture written = ctx.writeAndFlush(goAway);
            ctx.fireExceptionCaught(cause);
            written.addListener(ChannelFutureListener.CLOSE);
            if (!written.isDone()) {
                // a remote that does not read never lets the goodbye out: close without it after a while
                ChannelHandlerContext c = ctx;
                ScheduledFuture<?> timer = c.executor().schedule(() -> {
                    c.close();
                }, GOODBYE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                written.addListener(f -> timer.cancel(false));
            }
        } else {
            ReferenceCountUtil.release(goAway);
            ctx.fireExceptionCaught(cause);
            ctx.close();
        }
    }

    private void updateCount() {
        streamCount = outbound.size() + inbound.size();
    }

    private List<S> streams() {
        List<S> all = new ArrayList<>(outbound.values());
        all.addAll(inbound.values());
        return all;
    }

    private void shutdown() {
        if (state == SessionState.CLOSED) {
            return;
        }
        state = state.close();
        onClosed();
        for (S stream : streams()) {
            stream.parentClosed();
        }
        outbound.clear();
        inbound.clear();
        updateCount();
    }

    /** The session's pipeline handler: passes on what it does not consume. */
    private final class Handler extends ChannelDuplexHandler {
        @Override
        public void handlerAdded(ChannelHandlerContext context) {
            ctx = context;
            if (context.channel().isActive()) {
                onActive();
            }
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext context) {
            shutdown();
        }

        @Override
        public void channelActive(ChannelHandlerContext context) {
            onActive();
            context.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            shutdown();
            context.fireChannelInactive();
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object msg) {
            reading = true;
            onRead(context, msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext context) {
            reading = false;
            if (flushPending) {
                flushPending = false;
                context.flush();
            }
            context.fireChannelReadComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext context) {
            boolean writable = context.channel().isWritable();
            for (S stream : streams()) {
                parentWritabilityChanged(stream, writable);
            }
            context.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            onException(context, cause);
        }

        @Override
        public void close(ChannelHandlerContext context, ChannelPromise promise) {
            if (state == SessionState.ACTIVE && context.channel().isActive()) {
                state = state.goAway();
                onGoingAway(context);
            }
            context.close(promise);
        }
    }
}
