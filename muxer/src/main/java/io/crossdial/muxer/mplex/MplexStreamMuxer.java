package io.crossdial.muxer.mplex;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.muxer.AbstractMuxedSession;
import io.netty.channel.ChannelPipeline;

/**
 * The mplex stream muxer, {@code /mplex/6.7.0} (libp2p/specs {@code mplex/README.md}; deprecated in
 * libp2p, kept for peers that speak nothing else). Stateless and thread-safe: one instance serves every
 * connection.
 *
 * <p>{@link #install} adds two handlers before {@code beforeName}: {@code mplex-encoder} and {@code
 * mplex-session} (which decodes, so it can stop decoding, see below). Streams are {@link
 * io.crossdial.core.spi.MuxedStream} child channels on the connection's event loop. Each side numbers
 * the streams it opens 0, 1, 2, ... (as go, rust and js do; the spec's odd/even split is not needed
 * because the flags say whose stream a frame is for). NewStream is sent when {@code openStream} runs,
 * named with the stream ID in decimal. {@code shutdownOutput()} sends Close, {@code reset()} sends Reset.
 * A malformed frame or a NewStream for an open stream fires {@link MplexException} and closes the
 * connection (mplex has no goodbye frame); Messages, Closes and Resets for unknown streams are dropped.
 *
 * <h2>Backpressure</h2>
 * mplex has no flow control. Inbound: each stream holds at most {@link
 * MplexConfig#maxUnreadStreamBytes()} unread bytes (plus one message); when a stream exceeds it the
 * session stops decoding and turns the connection's {@code AUTO_READ} off until the application drains
 * that stream below the limit; TCP then pushes back on the sender. This is head-of-line blocking: every
 * other stream of the connection waits for the slowest reader, as with go-mplex, which blocks its read
 * loop the same way. So that one stuck reader cannot hold the connection for ever, a stream that keeps
 * it stopped for {@link MplexConfig#stalledReaderResetMillis()} is reset (its pipeline first sees an
 * {@link MplexException}). Outbound: a stream writes only while the connection is writable; otherwise its
 * writes wait (the stream turns unwritable and write promises stay pending), bounded by {@link
 * MplexConfig#maxStreamWriteBufferBytes()}.
 */
public final class MplexStreamMuxer implements StreamMuxer {
    /** The multistream-select protocol ID. */
    public static final String PROTOCOL_ID = "/mplex/6.7.0";

    private final MplexConfig config;

    /** Uses {@link MplexConfig#defaults()}. */
    public MplexStreamMuxer() {
        this(MplexConfig.defaults());
    }

    /** @param config validated settings, not null */
    public MplexStreamMuxer(MplexConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config is required");
        }
        this.config = config;
    }

    @Override
    public String protocolId() {
        return PROTOCOL_ID;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Must run on the channel's event loop; {@code beforeName} null appends the handlers at the end.
     */
    @Override
    public MuxedSession install(ChannelPipeline pipeline, String beforeName, MuxerContext context) {
        MplexSession session = new MplexSession(pipeline.channel(), config, context);
        AbstractMuxedSession.addHandler(pipeline, beforeName, "mplex-encoder", new MplexFrameEncoder());
        AbstractMuxedSession.addHandler(pipeline, beforeName, "mplex-session", session.handler());
        return session;
    }
}
