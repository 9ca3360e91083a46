package io.crossdial.muxer.mplex;

import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.muxer.AbstractMuxedSession;
import io.crossdial.muxer.SessionState;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One mplex session over a connection: stream numbering and the read backpressure described in {@link
 * MplexStreamMuxer}, on top of {@link AbstractMuxedSession} (the two stream tables, streams this side
 * opened and streams the remote opened, each keyed by the opener's stream ID; the inbound stream limit;
 * close plumbing: mplex has no goodbye frame). Its {@link #handler()} receives plaintext {@code ByteBuf}s,
 * cuts them into frames with {@link MplexFrameDecoder} and writes frames through {@link
 * MplexFrameEncoder}.
 *
 * <p>Thread-safety: the {@link io.crossdial.core.spi.MuxedSession} methods may be called from any thread; everything else runs
 * on the connection's event loop.
 *
 * <h2>Reference counting</h2>
 * The handler owns its cumulation buffer (released when the connection closes or the session fails).
 * Message contents are retained slices of it, handed to their stream (which passes them to its pipeline)
 * or released.
 */
final class MplexSession extends AbstractMuxedSession<MplexStream, MplexFrame> {
    private final MplexConfig config;
    private final MplexFrameDecoder decoder = new MplexFrameDecoder(this::wantsMessage);
    private long nextStreamId;

    private ByteBuf cumulation;
    /** Streams holding more unread bytes than allowed; while any, the session does not decode. */
    private final Set<MplexStream> blocking = new LinkedHashSet<>();
    private boolean paused;
    private boolean autoReadTurnedOff;
    private boolean decoding;
    private boolean decodeScheduled;

    MplexSession(Channel channel, MplexConfig config, MuxerContext context) {
        super(channel, context, config.maxInboundStreams());
        this.config = config;
    }

    @Override
    public String protocolId() {
        return MplexStreamMuxer.PROTOCOL_ID;
    }

    /** @return true while the session has stopped reading for a slow stream reader */
    boolean isReadPaused() {
        return paused;
    }

    @Override
    protected void open(ChannelHandler streamHandler, Promise<MuxedStream> promise) {
        if (!isInstalled()) {
            promise.tryFailure(new MplexException(MplexException.Reason.SESSION_CLOSED, "openStream: session not installed"));
            return;
        }
        if (!acceptsStreams()) {
            promise.tryFailure(new MplexException(MplexException.Reason.SESSION_CLOSED, "openStream: session is closed"));
            return;
        }
        if (nextStreamId > MplexFrame.MAX_STREAM_ID) {
            promise.tryFailure(new MplexException(MplexException.Reason.STREAM_IDS_EXHAUSTED, "openStream: stream IDs exhausted"));
            return;
        }
        long id = nextStreamId++;
        registerOutbound(new MplexStream(this, id, true, config), streamHandler,
                new MplexFrame.NewStream(id, Long.toString(id)), promise);
    }

    // ---- calls from streams ----

    void streamBlocking(MplexStream stream) {
        if (state() == SessionState.CLOSED || !blocking.add(stream)) {
            return;
        }
        long resetMillis = config.stalledReaderResetMillis();
        if (resetMillis > 0) {
            stream.stallTimer = connection().eventLoop().schedule(() -> {
                stream.stallTimer = null;
                if (stream.isOpen() && stream.isBlocking()) {
                    stream.pipeline().fireExceptionCaught(new MplexException(MplexException.Reason.STALLED_READER, "stream " + stream.streamId()
                            + " reset: its reader left " + stream.unreadBytes() + " bytes unread for "
                            + resetMillis + " ms while the connection waited"));
                    stream.reset();
                }
            }, resetMillis, TimeUnit.MILLISECONDS);
        }
        if (!paused) {
            paused = true;
            ChannelConfig channelConfig = connection().config();
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
        if (blocking.isEmpty() && paused && state() != SessionState.CLOSED) {
            paused = false;
            if (autoReadTurnedOff) {
                autoReadTurnedOff = false;
                connection().config().setAutoRead(true);
            }
            if (!decoding && !decodeScheduled && cumulation != null) {
                decodeScheduled = true;
                connection().eventLoop().execute(() -> {
                    decodeScheduled = false;
                    batchingFlushes(this::decode);
                });
            }
        }
    }

    // ---- inbound ----

    @Override
    protected void onRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf) || !state().readsFrames()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        cumulation = cumulation == null ? buf
                : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, buf);
        decode();
        if (state() == SessionState.FAILED) {
            releaseCumulation();
        }
    }

    private void decode() {
        if (decoding) {
            return;
        }
        decoding = true;
        try {
            while (!paused && state().readsFrames() && cumulation != null && cumulation.isReadable()) {
                MplexFrame frame;
                try {
                    frame = decoder.decode(cumulation);
                } catch (MplexException e) {
                    fail(e, null);
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
                if (!cumulation.isReadable() || !state().readsFrames()) {
                    cumulation.release();
                    cumulation = null;
                } else if (cumulation.refCnt() == 1) {
                    // no retained slices alive: moving bytes cannot corrupt delivered messages
                    cumulation.discardSomeReadBytes();
                }
            }
        }
    }

    /** The decoder's admission: a Message for a stream not in the table is drained, not buffered. */
    private boolean wantsMessage(long streamId, boolean fromInitiator) {
        return stream(streamId, !fromInitiator) != null;
    }

    private void onFrame(MplexFrame frame) {
        if (frame instanceof MplexFrame.NewStream open) {
            onNewStream(open.streamId());
            return;
        }
        MplexStream stream = stream(frame.streamId(), !frame.fromInitiator());
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
        if (hasInbound(id)) {
            fail(new MplexException(MplexException.Reason.DUPLICATE_STREAM, "NewStream for stream " + id + ", which the remote already opened"), null);
            return;
        }
        if (!acceptsInbound()) {
            refuseInbound(id);
            return;
        }
        registerInbound(new MplexStream(this, id, false, config));
    }

    @Override
    protected MplexFrame refuseFrame(long id) {
        return new MplexFrame.Reset(id, false);
    }

    @Override
    protected void refusalBacklogFull(int unwritten) {
        fail(new MplexException(MplexException.Reason.PEER_NOT_READING, "remote keeps opening streams while "
                + unwritten + " resets refusing earlier ones wait to be written: it does not read"), null);
    }

    /** @return bytes received and held by the session: not yet decoded, or decoded and still referenced */
    int bufferedBytes() {
        return cumulation == null ? 0 : cumulation.readableBytes();
    }

    /** @return Message payload bytes drained for streams not in the table */
    long discardedBytes() {
        return decoder.discardedBytes();
    }

    @Override
    protected void onFailed(Throwable cause) {
        releaseCumulation();
    }

    @Override
    protected void onClosed() {
        releaseCumulation();
    }

    @Override
    protected void parentWritabilityChanged(MplexStream stream, boolean writable) {
        stream.onParentWritability(writable);
    }

    private void releaseCumulation() {
        if (cumulation != null && !decoding) {
            cumulation.release();
            cumulation = null;
        }
    }
}
