package io.crossdial.muxer.yamux;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.muxer.AbstractMuxedSession;
import io.netty.channel.ChannelPipeline;

/**
 * The yamux stream muxer, {@code /yamux/1.0.0} (libp2p/specs {@code yamux/README.md}, hashicorp/yamux
 * {@code spec.md}). Stateless and thread-safe: one instance serves every connection.
 *
 * <p>{@link #install} adds three handlers before {@code beforeName}: {@code yamux-decoder} (bytes to
 * frames, bounded by {@link YamuxConfig#maxWindowBytes()}; each Data frame's length checked against its
 * stream's receive window at the header), {@code yamux-encoder} and {@code
 * yamux-session}. Streams are {@link io.crossdial.core.spi.MuxedStream} child channels on the connection's
 * event loop. An outbound stream is announced at once, when {@code openStream} runs, with a WindowUpdate
 * frame carrying SYN; an inbound stream is acknowledged (ACK) with its first outbound frame. A protocol
 * error sends GoAway code 1, closes the connection and fires {@link YamuxException}; closing the
 * connection sends GoAway code 0; keepalive Pings ({@link YamuxConfig#keepAliveIntervalMillis()}) close a
 * connection whose Ping goes unanswered.
 */
public final class YamuxStreamMuxer implements StreamMuxer {
    /** The multistream-select protocol ID. */
    public static final String PROTOCOL_ID = "/yamux/1.0.0";

    private final YamuxConfig config;

    /** Uses {@link YamuxConfig#defaults()}. */
    public YamuxStreamMuxer() {
        this(YamuxConfig.defaults());
    }

    /** @param config validated settings, not null */
    public YamuxStreamMuxer(YamuxConfig config) {
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
        YamuxSession session = new YamuxSession(pipeline.channel(), config, context);
        int maxDataFrame = Math.max(YamuxFrame.INITIAL_WINDOW_BYTES, config.maxWindowBytes());
        AbstractMuxedSession.addHandler(pipeline, beforeName, "yamux-decoder", new YamuxFrameDecoder(maxDataFrame, session::admitData));
        AbstractMuxedSession.addHandler(pipeline, beforeName, "yamux-encoder", new YamuxFrameEncoder());
        AbstractMuxedSession.addHandler(pipeline, beforeName, "yamux-session", session.handler());
        return session;
    }
}
