package io.crossdial.muxer.mplex;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.muxer.SessionSupport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.LongObjectHashMap;
import io.netty.util.collection.LongObjectMap;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One mplex session over a connection: the two stream tables (streams this side opened, streams the
 * remote opened, each keyed by the opener's stream ID), stream numbering, the inbound stream limit and
 * the read backpressure described in {@link MplexStreamMuxer}. The protocol work happens in
 * {@link #handler()}, a pipeline handler that receives plaintext {@code ByteBuf}s, cuts them into frames
 * with {@link MplexFrameDecoder} and writes frames through {@link MplexFrameEncoder}.
 *
 * <p>Thread-safety: the {@link MuxedSession} methods may be called from any thread; everything else runs
 * on the connection's event loop.
 *
 * <h2>Reference counting</h2>
 * The handler owns its cumulation buffer (released when the connection closes or the session fails).
 * Message contents are retained slices of it, handed to their stream (which passes them to its pipeline)
 * or released.
 */
final class MplexSession implements MuxedSession {
    private final Channel channel;
    private final MplexConfig config;
    private final MuxerContext context;
    private final int maxInboundStreams;
    private final Handler handler = new Handler();
    private final MplexFrameDecoder decoder = new MplexFrameDecoder();
    private ChannelHandlerContext ctx;

    /** Streams this side opened, by stream ID. */
    private final LongObjectMap<MplexStream> outbound = new LongObjectHashMap<>();
    /** Streams the remote opened, by stream ID. */
    private final LongObjectMap<MplexStream> inbound = new LongObjectHashMap<>();
    private volatile int streamCount;
    private long nextStreamId;

    private ByteBuf cumulation;
    /** Streams holding more unread bytes than allowed; while any, the session does not decode. */
    private final Set<MplexStream> blocking = new LinkedHashSet<>();
    private boolean paused;
    private boolean autoReadTurnedOff;
    private boolean decoding;
    private boolean decodeScheduled;

    private boolean closing;
    private boolean closed;
    private boolean failed;
    private boolean reading;
    private boolean flushPending;

    MplexSession(Channel channel, MplexConfig config, MuxerContext context) {
        this.channel = channel;
        this.config = config;
        this.context = context;
        this.maxInboundStreams = Math.min(config.maxInboundStreams(), context.maxInboundStreams());
    }

    /** @return the pipeline handler of this session */
    ChannelHandler handler() {
        return handler;
    }

    @Override
    public String protocolId() {
        return MplexStreamMuxer.PROTOCOL_ID;
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
        return SessionSupport.openOnLoop(channel, streamHandler, this::openNow);
    }

    /** Closes the connection; mplex has no goodbye frame. Open streams are closed without frames. */
    @Override
    public ChannelFuture close() {
        channel.close();
        return channel.closeFuture();
    }

    /** @return true while the session has stopped reading for a slow stream reader */
    boolean isReadPaused() {
        return paused;
    }

    private void openNow(ChannelHandler streamHandler, Promise<MuxedStream> promise) {
        if (ctx == null) {
            promise.tryFailure(new MplexException("openStream: session not installed"));
            return;
        }
        if (closing || closed || failed || !channel.isActive()) {
            promise.tryFailure(new MplexException("openStream: session is closed"));
            return;
        }
        if (nextStreamId > MplexFrame.MAX_STREAM_ID) {
            promise.tryFailure(new MplexException("openStream: stream IDs exhausted"));
            return;
        }
        long id = nextStreamId++;
        MplexStream stream = new MplexStream(this, id, true, config);
        stream.pipeline().addLast(streamHandler);
        outbound.put(id, stream);
        updateCount();
        write(new MplexFrame.NewStream(id, Long.toString(id)), null);
        ChannelFuture registered = channel.eventLoop().register(stream);
        flush();
        SessionSupport.completeOpen(registered, stream, promise);
    }

    // ---- calls from streams ----

    void write(MplexFrame frame, ChannelPromise promise) {
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

    void streamBlocking(MplexStream stream) {
        if (closed || !blocking.add(stream)) {
            return;
        }
        long resetMillis = config.stalledReaderResetMillis();
        if (resetMillis > 0) {
            stream.stallTimer = channel.eventLoop().schedule(() -> {
                stream.stallTimer = null;
                if (stream.isOpen() && stream.isBlocking()) {
                    stream.pipeline().fireExceptionCaught(new MplexException("stream " + stream.streamId()
                            + " reset: its reader left " + stream.unreadBytes() + " bytes unread for "
                            + resetMillis + " ms while the connection waited"));
                    stream.reset();
                }
            }, resetMillis, TimeUnit.MILLISECONDS);
        }
        if (!paused) {
            paused = true;
            ChannelConfig channelConfig = channel.config();
            if (channelConfig.isAutoRead()) {
                autoReadTurnedOff = true;
                channelConfig.setAutoRead(false);
            }
        }
    }

    void streamDrained(MplexStream stream) {
        if (!blocking.remove(stream)) {
            return;
        }
        if (stream.stallTimer != null) {
            stream.stallTimer.cancel(false);
            stream.stallTimer = null;
        }
        if (blocking.isEmpty() && paused && !closed) {
            paused = false;
            if (autoReadTurnedOff) {
                autoReadTurnedOff = false;
                channel.config().setAutoRead(true);
            }
            if (!decoding && !decodeScheduled && cumulation != null) {
                decodeScheduled = true;
                channel.eventLoop().execute(() -> {
                    decodeScheduled = false;
                    decodeAndFlush();
                });
            }
        }
    }

    void streamClosed(MplexStream stream) {
        LongObjectMap<MplexStream> table = stream.isOutbound() ? outbound : inbound;
        if (table.get(stream.streamId()) == stream) {
            table.remove(stream.streamId());
            updateCount();
        }
    }

    private void updateCount() {
        streamCount = outbound.size() + inbound.size();
    }

    // ---- inbound ----

    private void decodeAndFlush() {
        boolean wasReading = reading;
        reading = true;
        try {
            decode();
        } finally {
            reading = wasReading;
        }
        if (!reading && flushPending && ctx != null) {
            flushPending = false;
            ctx.flush();
        }
    }

    private void decode() {
        if (decoding) {
            return;
        }
        decoding = true;
        try {
            while (!paused && !failed && !closed && cumulation != null && cumulation.isReadable()) {
                MplexFrame frame;
                try {
                    frame = decoder.decode(cumulation);
                } catch (MplexException e) {
                    fail(e);
                    return;
                }
                if (frame == null) {
                    break;
                }
                onFrame(frame);
            }
        } finally {
            decoding = false;
            if (cumulation != null) {
                if (!cumulation.isReadable() || failed || closed) {
                    cumulation.release();
                    cumulation = null;
                } else if (cumulation.refCnt() == 1) {
                    // no retained slices alive: moving bytes cannot corrupt delivered messages
                    cumulation.discardSomeReadBytes();
                }
            }
        }
    }

    private void onFrame(MplexFrame frame) {
        if (frame instanceof MplexFrame.NewStream open) {
            onNewStream(open.streamId());
            return;
        }
        MplexStream stream = (frame.fromInitiator() ? inbound : outbound).get(frame.streamId());
        if (frame instanceof MplexFrame.Message message) {
            if (stream == null) {
                message.release();
            } else {
                stream.onData(message.content());
            }
        } else if (stream != null && frame instanceof MplexFrame.Close) {
            stream.onClose();
        } else if (stream != null && frame instanceof MplexFrame.Reset) {
            stream.onRemoteReset();
        }
    }

    private void onNewStream(long id) {
        if (inbound.containsKey(id)) {
            fail(new MplexException("NewStream for stream " + id + ", which the remote already opened"));
            return;
        }
        if (closing || inbound.size() >= maxInboundStreams) {
            write(new MplexFrame.Reset(id, false), null);
            flush();
            return;
        }
        MplexStream stream = new MplexStream(this, id, false, config);
        stream.pipeline().addLast(context.inboundStreamHandler());
        inbound.put(id, stream);
        updateCount();
        ChannelFuture registered = channel.eventLoop().register(stream);
        if (registered.cause() != null) {
            stream.unsafe().closeForcibly();
            streamClosed(stream);
            write(new MplexFrame.Reset(id, false), null);
            flush();
        }
    }

    private void fail(MplexException cause) {
        if (failed) {
            return;
        }
        failed = true;
        releaseCumulation();
        ctx.fireExceptionCaught(cause);
        ctx.close();
    }

    private void releaseCumulation() {
        if (cumulation != null && !decoding) {
            cumulation.release();
            cumulation = null;
        }
    }

    private void shutdown() {
        if (closed) {
            return;
        }
        closed = true;
        List<MplexStream> all = new ArrayList<>(outbound.values());
        all.addAll(inbound.values());
        for (MplexStream stream : all) {
            stream.onParentClosed();
        }
        outbound.clear();
        inbound.clear();
        blocking.clear();
        updateCount();
        releaseCumulation();
    }

    /** The session's pipeline handler; consumes bytes, passes other events on. */
    private final class Handler extends ChannelDuplexHandler {
        @Override
        public void handlerAdded(ChannelHandlerContext context) {
            ctx = context;
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext context) {
            shutdown();
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            shutdown();
            context.fireChannelInactive();
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object msg) {
            if (!(msg instanceof ByteBuf buf) || failed || closed) {
                ReferenceCountUtil.release(msg);
                return;
            }
            cumulation = cumulation == null ? buf
                    : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(context.alloc(), cumulation, buf);
            reading = true;
            decode();
            if (failed) {
                releaseCumulation();
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
            List<MplexStream> all = new ArrayList<>(outbound.values());
            all.addAll(inbound.values());
            for (MplexStream stream : all) {
                stream.onParentWritability(writable);
            }
            context.fireChannelWritabilityChanged();
        }

        @Override
        public void close(ChannelHandlerContext context, ChannelPromise promise) {
            closing = true;
            context.close(promise);
        }
    }
}
