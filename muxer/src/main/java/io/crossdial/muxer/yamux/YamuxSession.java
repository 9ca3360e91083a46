package io.crossdial.muxer.yamux;

import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.crossdial.muxer.AbstractMuxedSession;
import io.crossdial.muxer.SessionState;
import io.crossdial.muxer.yamux.YamuxException.GoAwayCode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One yamux session over a connection: stream IDs, the ACK backlog, GoAway, Ping and keepalive, on top
 * of {@link AbstractMuxedSession} (stream table, inbound limit, close plumbing). Its {@link #handler()}
 * receives {@link YamuxFrame}s from {@link YamuxFrameDecoder} and writes frames through {@link
 * YamuxFrameEncoder}.
 *
 * <p>Thread-safety: the {@link io.crossdial.core.spi.MuxedSession} methods may be called from any thread; everything else runs
 * on the connection's event loop.
 *
 * <p>Rules: the initiator opens odd stream IDs, the responder even ones. A SYN for an open stream, a SYN
 * with the local side's parity, a Data or WindowUpdate frame on stream 0, a Data frame longer than the
 * stream's remaining receive window (checked at its header, {@link #admitData}) and a WindowUpdate taking a
 * send window beyond 2^32-1 are protocol errors: GoAway code 1 is sent, the connection closed and {@link
 * YamuxException} fired. Data for unknown (never opened or already forgotten) streams is drained without
 * being buffered; their other frames are dropped. A remote GoAway stops new streams both ways (later SYNs
 * are refused with RST; the connection closes once no stream is left); with a non-zero code it closes the
 * connection at once and fires {@link YamuxException} with that code. Closing the connection through the
 * pipeline sends GoAway code 0.
 *
 * <p>Bounds on what a remote that does not read can make this side queue: {@link #MAX_PENDING_PONGS}
 * unwritten Ping answers (later Pings go unanswered), {@link AbstractMuxedSession#MAX_UNWRITTEN_REFUSALS}
 * unwritten stream refusals (the next one fails the connection with GoAway code 2), and a GoAway that
 * cannot be written closes the connection after {@link AbstractMuxedSession#GOODBYE_TIMEOUT_MILLIS}.
 *
 * <h2>Reference counting</h2>
 * Data frames read are handed to their stream (which passes the content to its pipeline) or released.
 */
final class YamuxSession extends AbstractMuxedSession<YamuxStream, YamuxFrame> {
    /**
     * The most Ping answers written but not yet taken by the socket. A remote that sends Pings and does
     * not read the answers gets no more answers beyond it (go-yamux drops a Ping reply when its pong
     * queue is full); the Pings themselves cost nothing to read.
     */
    static final int MAX_PENDING_PONGS = 32;

    private int pendingPongs;
    private long droppedPongs;
    private final YamuxConfig config;
    private final Role role;

    private long nextStreamId;
    private int unackedInbound;
    private int unackedOutbound;
    private final ArrayDeque<PendingOpen> pendingOpens = new ArrayDeque<>();
    /** The remote sent GoAway: no new outbound streams. */
    private boolean goAwayReceived;

    private ScheduledFuture<?> keepAliveTask;
    private ScheduledFuture<?> pingTimeoutTask;
    private long pingOpaque;
    private boolean pingOutstanding;
    private long pingSentNanos;
    private long rttNanos;

    YamuxSession(Channel channel, YamuxConfig config, MuxerContext context) {
        super(channel, context, config.maxInboundStreams());
        this.config = config;
        this.role = context.role();
        this.nextStreamId = role == Role.INITIATOR ? 1 : 2;
    }

    @Override
    public String protocolId() {
        return YamuxStreamMuxer.PROTOCOL_ID;
    }

    /** @return the last keepalive round-trip time in nanoseconds, 0 when not yet measured */
    long rttNanos() {
        return rttNanos;
    }

    // ---- stream opening ----

    @Override
    protected void open(ChannelHandler streamHandler, Promise<MuxedStream> promise) {
        YamuxException refusal = openRefusal();
        if (refusal != null) {
            promise.tryFailure(refusal);
        } else if (unackedOutbound >= config.maxAckBacklog() || !pendingOpens.isEmpty()) {
            PendingOpen pending = new PendingOpen(streamHandler, promise);
            pending.timeout = connection().eventLoop().schedule(() -> {
                if (pendingOpens.remove(pending)) {
                    promise.tryFailure(new YamuxException(GoAwayCode.INTERNAL_ERROR.wire(), false,
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
        if (!isInstalled()) {
            return new YamuxException(GoAwayCode.INTERNAL_ERROR, "openStream: session not installed");
        }
        if (!acceptsStreams()) {
            return new YamuxException(GoAwayCode.NORMAL, "openStream: session is closed");
        }
        if (goAwayReceived) {
            return new YamuxException(GoAwayCode.NORMAL, "openStream: remote sent GoAway");
        }
        if (nextStreamId > YamuxFrame.MAX_U32) {
            return new YamuxException(GoAwayCode.NORMAL, "openStream: stream IDs exhausted");
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
        unackedOutbound++;
        registerOutbound(stream, streamHandler, stream.synFrame(), promise);
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

    /** Builds the exception only when an open is pending: a normal close has none, and a stack trace costs. */
    private void failPendingOpens(Supplier<? extends Throwable> causes) {
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

    @Override
    protected void onStreamRemoved(YamuxStream stream) {
        if (stream.isOutbound()) {
            if (stream.awaitsAck()) {
                unackedOutbound--;
                drainPendingOpens();
            }
        } else if (stream.owesAck()) {
            unackedInbound--;
        }
        closeIfGoneAway();
    }

    // ---- inbound frames ----

    @Override
    protected void onRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof YamuxFrame frame)) {
            ReferenceCountUtil.release(msg);
        } else if (!state().readsFrames()) {
            ReferenceCountUtil.release(frame);
        } else if (frame instanceof YamuxFrame.Data data) {
            onStreamFrame(data.streamId(), data.flags(), 0, data.content());
        } else if (frame instanceof YamuxFrame.WindowUpdate update) {
            onStreamFrame(update.streamId(), update.flags(), update.delta(), null);
        } else if (frame instanceof YamuxFrame.Ping ping) {
            onPing(ping);
        } else if (frame instanceof YamuxFrame.GoAway goAway) {
            onGoAway(goAway);
        }
    }

    /**
     * The decoder's {@link YamuxFrameDecoder.Admission}, at a Data header before its payload: stream 0, a
     * SYN for an open stream or with the local side's parity, and a length beyond the stream's receive
     * window (for a SYN: the initial 256 KiB) are protocol errors; a SYN that would be refused is refused
     * here and its payload drained; data for a stream not in the table (never opened, reset, closed) is
     * drained.
     */
    YamuxFrameDecoder.Verdict admitData(long id, int flags, long length) {
        if (!state().readsFrames()) {
            return YamuxFrameDecoder.Verdict.DISCARD;
        }
        if (id == YamuxFrame.SESSION_ID) {
            throw new YamuxException(GoAwayCode.PROTOCOL_ERROR, "Data frame on stream 0");
        }
        YamuxStream stream = stream(id, isLocalStreamId(id));
        if ((flags & YamuxFrame.FLAG_SYN) != 0) {
            checkSyn(id, stream);
            if (length > YamuxFrame.INITIAL_WINDOW_BYTES) {
                throw new YamuxException(GoAwayCode.PROTOCOL_ERROR, "Data frame of " + length + " bytes opening stream "
                        + id + " exceeds the initial receive window of " + YamuxFrame.INITIAL_WINDOW_BYTES + " bytes");
            }
            if (!canAcceptInbound()) {
                refuseInbound(id);
                return YamuxFrameDecoder.Verdict.DISCARD;
            }
            return YamuxFrameDecoder.Verdict.DELIVER;
        }
        if (stream == null) {
            return YamuxFrameDecoder.Verdict.DISCARD;
        }
        if (length > stream.recvCredit()) {
            throw new YamuxException(GoAwayCode.PROTOCOL_ERROR, "Data frame of " + length + " bytes on stream " + id
                    + " exceeds its receive window of " + stream.recvCredit() + " bytes");
        }
        return YamuxFrameDecoder.Verdict.DELIVER;
    }

    /** @throws YamuxException for a SYN on an open stream or with the local side's parity */
    private void checkSyn(long id, YamuxStream existing) {
        if (existing != null) {
            throw new YamuxException(GoAwayCode.PROTOCOL_ERROR, "SYN for stream " + id + ", which is already open");
        }
        if (isLocalStreamId(id)) {
            throw new YamuxException(GoAwayCode.PROTOCOL_ERROR, "remote opened stream " + id + ", an ID of the local side");
        }
    }

    private boolean canAcceptInbound() {
        return acceptsInbound() && !goAwayReceived && unackedInbound < config.maxAckBacklog();
    }

    private void onStreamFrame(long id, int flags, long delta, ByteBuf data) {
        if (id == YamuxFrame.SESSION_ID) {
            ReferenceCountUtil.release(data);
            protocolError("Data or WindowUpdate frame on stream 0");
            return;
        }
        YamuxStream stream = stream(id, isLocalStreamId(id));
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
            if (stream.sendWindowBytes() + delta > YamuxFrame.MAX_U32) {
                ReferenceCountUtil.release(data);
                protocolError("WindowUpdate of " + delta + " on stream " + id + " takes its send window of "
                        + stream.sendWindowBytes() + " bytes beyond 2^32-1");
                return;
            }
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
        return (id & 1) == (role == Role.INITIATOR ? 1 : 0);
    }

    private YamuxStream acceptInbound(long id) {
        if (!canAcceptInbound()) {
            refuseInbound(id);
            return null;
        }
        YamuxStream stream = new YamuxStream(this, id, false, config);
        unackedInbound++;
        return registerInbound(stream);
    }

    @Override
    protected YamuxFrame refuseFrame(long id) {
        return new YamuxFrame.WindowUpdate(id, YamuxFrame.FLAG_RST, 0);
    }

    @Override
    protected void refusalBacklogFull(int unwritten) {
        failWithGoAway(new YamuxException(GoAwayCode.INTERNAL_ERROR, "remote keeps opening streams while "
                + unwritten + " refusals of earlier ones wait to be written: it does not read"));
    }

    /** @return Ping answers written but not yet taken by the socket */
    int pendingPongs() {
        return pendingPongs;
    }

    /** @return Ping requests not answered because {@link #MAX_PENDING_PONGS} answers were still unwritten */
    long droppedPongs() {
        return droppedPongs;
    }

    private void onPing(YamuxFrame.Ping ping) {
        if ((ping.flags() & YamuxFrame.FLAG_SYN) != 0) {
            if (pendingPongs >= MAX_PENDING_PONGS) {
                droppedPongs++; // the remote does not read its answers: do not queue more of them
                return;
            }
            pendingPongs++;
            ChannelPromise written = connection().newPromise();
            written.addListener(f -> pendingPongs--);
            write(new YamuxFrame.Ping(YamuxFrame.FLAG_ACK, ping.opaque()), written);
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

    /**
     * The remote's GoAway: no new streams either way from now on. With code 0 the open streams go on and
     * the connection closes once none is left; with any other code the session fails at once (nothing is
     * sent back: the remote is gone). Later frames are handled as before it, but SYNs are refused.
     */
    private void onGoAway(YamuxFrame.GoAway goAway) {
        goAwayReceived = true;
        failPendingOpens(() -> new YamuxException(goAway.code(), true, "openStream: remote sent GoAway"));
        if (goAway.code() != GoAwayCode.NORMAL.wire()) {
            String name = GoAwayCode.fromWire(goAway.code()).map(c -> " (" + c + ")").orElse(" (not in the spec)");
            fail(new YamuxException(goAway.code(), true,
                    "remote sent GoAway with error code " + goAway.code() + name), null);
        } else {
            closeIfGoneAway();
        }
    }

    /** After the remote's normal GoAway, the connection is of no use once no stream is left: close it. */
    private void closeIfGoneAway() {
        if (goAwayReceived && streamCount() == 0 && state() == SessionState.ACTIVE && connection().isActive()) {
            connection().close();
        }
    }

    private void protocolError(String message) {
        failWithGoAway(new YamuxException(GoAwayCode.PROTOCOL_ERROR, message));
    }

    private void failWithGoAway(YamuxException cause) {
        fail(cause, cause.isConnectionError() ? new YamuxFrame.GoAway(cause.errorCode()) : null);
    }

    @Override
    protected void onFailed(Throwable cause) {
        failPendingOpens(() -> cause);
    }

    @Override
    protected void onException(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof YamuxException yamux) {
            failWithGoAway(yamux);
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    @Override
    protected void onGoingAway(ChannelHandlerContext ctx) {
        failPendingOpens(() -> new YamuxException(GoAwayCode.NORMAL, "openStream: session closed"));
        ctx.write(new YamuxFrame.GoAway(GoAwayCode.NORMAL.wire()));
        ctx.flush();
    }

    // ---- keepalive ----

    @Override
    protected void onActive() {
        if (config.keepAliveIntervalMillis() == 0 || keepAliveTask != null || state() == SessionState.CLOSED) {
            return;
        }
        long interval = config.keepAliveIntervalMillis();
        keepAliveTask = connection().eventLoop().scheduleWithFixedDelay(
                this::keepAliveTick, interval, interval, TimeUnit.MILLISECONDS);
        // One Ping right away: its round-trip time is what lets stream windows grow (onBytesConsumed), which
        // would otherwise wait for the first keepalive tick, 30 s by default (bench, specs/benchmarks.md).
        connection().eventLoop().execute(this::keepAliveTick);
    }

    private void keepAliveTick() {
        if (!state().readsFrames() || pingOutstanding) {
            return;
        }
        pingOpaque = (pingOpaque + 1) & YamuxFrame.MAX_U32;
        pingOutstanding = true;
        pingSentNanos = System.nanoTime();
        write(new YamuxFrame.Ping(YamuxFrame.FLAG_SYN, pingOpaque), null);
        flush();
        pingTimeoutTask = connection().eventLoop().schedule(() -> {
            pingTimeoutTask = null;
            if (pingOutstanding && state() != SessionState.CLOSED) {
                fail(new YamuxException(GoAwayCode.INTERNAL_ERROR, "keepalive Ping not answered within "
                        + config.keepAliveTimeoutMillis() + " ms"), null);
            }
        }, config.keepAliveTimeoutMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    protected void onClosed() {
        if (keepAliveTask != null) {
            keepAliveTask.cancel(false);
        }
        if (pingTimeoutTask != null) {
            pingTimeoutTask.cancel(false);
        }
        failPendingOpens(() -> new YamuxException(GoAwayCode.NORMAL, "openStream: session closed"));
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
}
