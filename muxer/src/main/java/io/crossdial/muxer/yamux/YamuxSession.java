package io.crossdial.muxer.yamux;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.muxer.SessionSupport;
import io.crossdial.core.spi.Role;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.LongObjectHashMap;
import io.netty.util.collection.LongObjectMap;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One yamux session over a connection: stream table, stream IDs, ACK backlog, GoAway, Ping and keepalive.
 * The protocol work happens in {@link #handler()}, a pipeline handler that receives {@link YamuxFrame}s
 * from {@link YamuxFrameDecoder} and writes frames through {@link YamuxFrameEncoder}.
 *
 * <p>Thread-safety: the {@link MuxedSession} methods may be called from any thread; everything else runs
 * on the connection's event loop.
 *
 * <p>Rules: the initiator opens odd stream IDs, the responder even ones. A SYN for an open stream, a SYN
 * with the local side's parity, a Data or WindowUpdate frame on stream 0, and a Data frame longer than the
 * stream's remaining receive window are protocol errors: GoAway code 1 is sent, the connection closed and
 * {@link YamuxException} fired. Frames for unknown (already forgotten) streams are dropped. A remote
 * GoAway stops new outbound streams; with a non-zero code it also closes the connection and fires
 * {@link YamuxException} with that code. Closing the connection through the pipeline sends GoAway code 0.
 *
 * <h2>Reference counting</h2>
 * Data frames read are handed to their stream (which passes the content to its pipeline) or released.
 */
final class YamuxSession implements MuxedSession {
    private final Channel channel;
    private final YamuxConfig config;
    private final MuxerContext context;
    private final int maxInboundStreams;
    private final Handler handler = new Handler();
    private ChannelHandlerContext ctx;

    private final LongObjectMap<YamuxStream> streams = new LongObjectHashMap<>();
    private volatile int streamCount;
    private long nextStreamId;
    private int inboundStreams;
    private int unackedInbound;
    private int unackedOutbound;
    private final ArrayDeque<PendingOpen> pendingOpens = new ArrayDeque<>();

    private boolean goAwaySent;
    private boolean goAwayReceived;
    private boolean closed;
    private boolean failed;
    private boolean reading;
    private boolean flushPending;

    private ScheduledFuture<?> keepAliveTask;
    private ScheduledFuture<?> pingTimeoutTask;
    private long pingOpaque;
    private boolean pingOutstanding;
    private long pingSentNanos;
    private long rttNanos;

    YamuxSession(Channel channel, YamuxConfig config, MuxerContext context) {
        this.channel = channel;
        this.config = config;
        this.context = context;
        this.maxInboundStreams = Math.min(config.maxInboundStreams(), context.maxInboundStreams());
        this.nextStreamId = context.role() == Role.INITIATOR ? 1 : 2;
    }

    /** @return the pipeline handler of this session */
    ChannelHandler handler() {
        return handler;
    }

    @Override
    public String protocolId() {
        return YamuxStreamMuxer.PROTOCOL_ID;
    }

    @Override
    public Channel connection() {
        return channel;
    }

    @Override
    public int streamCount() {
        return streamCount;
    }

    @Override
    public Future<MuxedStream> openStream(ChannelHandler streamHandler) {
        return SessionSupport.openOnLoop(channel, streamHandler, this::requestOpen);
    }

    @Override
    public ChannelFuture close() {
        channel.close();
        return channel.closeFuture();
    }

    /** @return the last keepalive round-trip time in nanoseconds, 0 when not yet measured */
    long rttNanos() {
        return rttNanos;
    }

    // ---- stream opening ----

    private void requestOpen(ChannelHandler streamHandler, Promise<MuxedStream> promise) {
        YamuxException refusal = openRefusal();
        if (refusal != null) {
            promise.tryFailure(refusal);
        } else if (unackedOutbound >= config.maxAckBacklog() || !pendingOpens.isEmpty()) {
            PendingOpen pending = new PendingOpen(streamHandler, promise);
            pending.timeout = channel.eventLoop().schedule(() -> {
                if (pendingOpens.remove(pending)) {
                    promise.tryFailure(new YamuxException(YamuxException.INTERNAL_ERROR,
                            "openStream: " + unackedOutbound + " streams still unacknowledged after "
                                    + config.streamOpenTimeoutMillis() + " ms"));
                }
            }, config.streamOpenTimeoutMillis(), TimeUnit.MILLISECONDS);
            pendingOpens.add(pending);
        } else {
            openNow(streamHandler, promise);
        }
    }

    private YamuxException openRefusal() {
        if (ctx == null) {
            return new YamuxException(YamuxException.INTERNAL_ERROR, "openStream: session not installed");
        }
        if (closed || failed || goAwaySent || !channel.isActive()) {
            return new YamuxException(YamuxException.NORMAL, "openStream: session is closed");
        }
        if (goAwayReceived) {
            return new YamuxException(YamuxException.NORMAL, "openStream: remote sent GoAway");
        }
        if (nextStreamId > YamuxFrame.MAX_U32) {
            return new YamuxException(YamuxException.NORMAL, "openStream: stream IDs exhausted");
        }
        return null;
    }

    private void openNow(ChannelHandler streamHandler, Promise<MuxedStream> promise) {
        YamuxException refusal = openRefusal();
        if (refusal != null) {
            promise.tryFailure(refusal);
            return;
        }
        long id = nextStreamId;
        nextStreamId += 2;
        YamuxStream stream = new YamuxStream(this, id, true, config);
        stream.pipeline().addLast(streamHandler);
        streams.put(id, stream);
        streamCount = streams.size();
        unackedOutbound++;
        write(stream.synFrame(), null);
        ChannelFuture registered = channel.eventLoop().register(stream);
        flush();
        SessionSupport.completeOpen(registered, stream, promise);
    }

    private void drainPendingOpens() {
        while (!pendingOpens.isEmpty() && unackedOutbound < config.maxAckBacklog()) {
            PendingOpen pending = pendingOpens.poll();
            pending.timeout.cancel(false);
            if (!pending.promise.isDone()) {
                openNow(pending.handler, pending.promise);
            }
        }
    }

    private void failPendingOpens(Throwable cause) {
        failPendingOpens(() -> cause);
    }

    /** Builds the exception only when an open is pending: a normal close has none, and a stack trace costs. */
    private void failPendingOpens(java.util.function.Supplier<? extends Throwable> causes) {
        if (pendingOpens.isEmpty()) {
            return;
        }
        Throwable cause = causes.get();
        PendingOpen pending;
        while ((pending = pendingOpens.poll()) != null) {
            pending.timeout.cancel(false);
            pending.promise.tryFailure(cause);
        }
    }

    // ---- calls from streams ----

    void write(YamuxFrame frame, ChannelPromise promise) {
        SessionSupport.writeFrame(ctx, closed, frame, promise);
    }

    void flush() {
        if (ctx == null) {
            return;
        }
        if (reading) {
            flushPending = true;
        } else {
            ctx.flush();
        }
    }

    void inboundAcked() {
        unackedInbound--;
    }

    void outboundAcked() {
        unackedOutbound--;
        drainPendingOpens();
    }

    void streamOverflow(YamuxStream stream) {
        stream.reset();
    }

    void streamClosed(YamuxStream stream) {
        if (streams.get(stream.streamId()) != stream) {
            return;
        }
        streams.remove(stream.streamId());
        streamCount = streams.size();
        if (stream.isOutbound()) {
            if (stream.awaitsAck()) {
                unackedOutbound--;
                drainPendingOpens();
            }
        } else {
            inboundStreams--;
            if (stream.owesAck()) {
                unackedInbound--;
            }
        }
    }

    // ---- inbound frames ----

    private void onFrame(YamuxFrame frame) {
        if (failed || closed) {
            ReferenceCountUtil.release(frame);
            return;
        }
        if (frame instanceof YamuxFrame.Data data) {
            onStreamFrame(data.streamId(), data.flags(), 0, data.content());
        } else if (frame instanceof YamuxFrame.WindowUpdate update) {
            onStreamFrame(update.streamId(), update.flags(), update.delta(), null);
        } else if (frame instanceof YamuxFrame.Ping ping) {
            onPing(ping);
        } else if (frame instanceof YamuxFrame.GoAway goAway) {
            onGoAway(goAway);
        }
    }

    private void onStreamFrame(long id, int flags, long delta, ByteBuf data) {
        if (id == YamuxFrame.SESSION_ID) {
            ReferenceCountUtil.release(data);
            protocolError("Data or WindowUpdate frame on stream 0");
            return;
        }
        YamuxStream stream = streams.get(id);
        if ((flags & YamuxFrame.FLAG_SYN) != 0) {
            if (stream != null) {
                ReferenceCountUtil.release(data);
                protocolError("SYN for stream " + id + ", which is already open");
                return;
            }
            if (isLocalStreamId(id)) {
                ReferenceCountUtil.release(data);
                protocolError("remote opened stream " + id + ", an ID of the local side");
                return;
            }
            stream = acceptInbound(id);
        }
        if (stream == null) {
            ReferenceCountUtil.release(data);
            return;
        }
        if ((flags & YamuxFrame.FLAG_ACK) != 0) {
            stream.onAck();
        }
        if (delta > 0) {
            stream.onWindowUpdate(delta);
        }
        if (data != null) {
            if (data.readableBytes() > stream.recvCredit()) {
                long credit = stream.recvCredit();
                int length = data.readableBytes();
                data.release();
                protocolError("Data frame of " + length + " bytes on stream " + id
                        + " exceeds its receive window of " + credit + " bytes");
                return;
            }
            stream.onData(data);
        }
        if ((flags & YamuxFrame.FLAG_FIN) != 0) {
            stream.onFin();
        }
        if ((flags & YamuxFrame.FLAG_RST) != 0) {
            stream.onRemoteReset();
        }
    }

    private boolean isLocalStreamId(long id) {
        return (id & 1) == (context.role() == Role.INITIATOR ? 1 : 0);
    }

    private YamuxStream acceptInbound(long id) {
        if (goAwaySent || inboundStreams >= maxInboundStreams || unackedInbound >= config.maxAckBacklog()) {
            write(new YamuxFrame.WindowUpdate(id, YamuxFrame.FLAG_RST, 0), null);
            flush();
            return null;
        }
        YamuxStream stream = new YamuxStream(this, id, false, config);
        stream.pipeline().addLast(context.inboundStreamHandler());
        streams.put(id, stream);
        streamCount = streams.size();
        inboundStreams++;
        unackedInbound++;
        ChannelFuture registered = channel.eventLoop().register(stream);
        if (registered.cause() != null) {
            stream.unsafe().closeForcibly();
            streamClosed(stream);
            write(new YamuxFrame.WindowUpdate(id, YamuxFrame.FLAG_RST, 0), null);
            flush();
            return null;
        }
        return stream.isOpen() ? stream : null;
    }

    private void onPing(YamuxFrame.Ping ping) {
        if ((ping.flags() & YamuxFrame.FLAG_SYN) != 0) {
            write(new YamuxFrame.Ping(YamuxFrame.FLAG_ACK, ping.opaque()), null);
            flush();
        } else if ((ping.flags() & YamuxFrame.FLAG_ACK) != 0 && pingOutstanding && ping.opaque() == pingOpaque) {
            pingOutstanding = false;
            rttNanos = Math.max(1, System.nanoTime() - pingSentNanos);
            if (pingTimeoutTask != null) {
                pingTimeoutTask.cancel(false);
                pingTimeoutTask = null;
            }
        }
    }

    private void onGoAway(YamuxFrame.GoAway goAway) {
        goAwayReceived = true;
        failPendingOpens(() -> new YamuxException(goAway.code(), "openStream: remote sent GoAway"));
        if (goAway.code() != YamuxException.NORMAL) {
            failed = true;
            goAwaySent = true;
            ctx.fireExceptionCaught(new YamuxException(goAway.code(),
                    "remote sent GoAway with error code " + goAway.code()));
            ctx.close();
        }
    }

    private void protocolError(String message) {
        fail(new YamuxException(YamuxException.PROTOCOL_ERROR, message), true);
    }

    private void fail(YamuxException cause, boolean sendGoAway) {
        if (failed) {
            return;
        }
        failed = true;
        failPendingOpens(cause);
        boolean send = sendGoAway && !goAwaySent && channel.isActive();
        goAwaySent = true;
        if (send) {
            ChannelFuture goAway = ctx.writeAndFlush(new YamuxFrame.GoAway(cause.errorCode()));
            ctx.fireExceptionCaught(cause);
            goAway.addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.fireExceptionCaught(cause);
            ctx.close();
        }
    }

    // ---- keepalive ----

    private void startKeepAlive() {
        if (config.keepAliveIntervalMillis() == 0 || keepAliveTask != null || closed) {
            return;
        }
        long interval = config.keepAliveIntervalMillis();
        keepAliveTask = channel.eventLoop().scheduleWithFixedDelay(
                this::keepAliveTick, interval, interval, TimeUnit.MILLISECONDS);
        // One Ping right away: its round-trip time is what lets stream windows grow (onBytesConsumed), which
        // would otherwise wait for the first keepalive tick, 30 s by default (bench, specs/benchmarks.md).
        channel.eventLoop().execute(this::keepAliveTick);
    }

    private void keepAliveTick() {
        if (closed || failed || pingOutstanding) {
            return;
        }
        pingOpaque = (pingOpaque + 1) & YamuxFrame.MAX_U32;
        pingOutstanding = true;
        pingSentNanos = System.nanoTime();
        write(new YamuxFrame.Ping(YamuxFrame.FLAG_SYN, pingOpaque), null);
        flush();
        pingTimeoutTask = channel.eventLoop().schedule(() -> {
            pingTimeoutTask = null;
            if (pingOutstanding && !closed) {
                fail(new YamuxException(YamuxException.INTERNAL_ERROR, "keepalive Ping not answered within "
                        + config.keepAliveTimeoutMillis() + " ms"), false);
            }
        }, config.keepAliveTimeoutMillis(), TimeUnit.MILLISECONDS);
    }

    private void shutdown() {
        if (closed) {
            return;
        }
        closed = true;
        if (keepAliveTask != null) {
            keepAliveTask.cancel(false);
        }
        if (pingTimeoutTask != null) {
            pingTimeoutTask.cancel(false);
        }
        failPendingOpens(() -> new YamuxException(YamuxException.NORMAL, "openStream: session closed"));
        for (YamuxStream stream : new ArrayList<>(streams.values())) {
            stream.onParentClosed();
        }
        streams.clear();
        streamCount = 0;
    }

    private static final class PendingOpen {
        final ChannelHandler handler;
        final Promise<MuxedStream> promise;
        ScheduledFuture<?> timeout;

        PendingOpen(ChannelHandler handler, Promise<MuxedStream> promise) {
            this.handler = handler;
            this.promise = promise;
        }
    }

    /** The session's pipeline handler; consumes frames, passes other events on. */
    private final class Handler extends ChannelDuplexHandler {
        @Override
        public void handlerAdded(ChannelHandlerContext context) {
            ctx = context;
            if (context.channel().isActive()) {
                startKeepAlive();
            }
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext context) {
            shutdown();
        }

        @Override
        public void channelActive(ChannelHandlerContext context) {
            startKeepAlive();
            context.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            shutdown();
            context.fireChannelInactive();
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object msg) {
            if (msg instanceof YamuxFrame frame) {
                reading = true;
                onFrame(frame);
            } else {
                ReferenceCountUtil.release(msg);
            }
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
            for (YamuxStream stream : new ArrayList<>(streams.values())) {
                stream.onParentWritability(writable);
            }
            context.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
            if (root instanceof YamuxException yamux) {
                fail(yamux, true);
            } else {
                context.fireExceptionCaught(cause);
            }
        }

        @Override
        public void close(ChannelHandlerContext context, ChannelPromise promise) {
            if (!goAwaySent && !failed && context.channel().isActive()) {
                goAwaySent = true;
                failPendingOpens(() -> new YamuxException(YamuxException.NORMAL, "openStream: session closed"));
                context.write(new YamuxFrame.GoAway(YamuxException.NORMAL));
                context.flush();
            }
            context.close(promise);
        }
    }
}
