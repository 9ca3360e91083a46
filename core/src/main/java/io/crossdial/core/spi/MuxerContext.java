package io.crossdial.core.spi;

import io.netty.channel.ChannelHandler;

/**
 * What a {@link StreamMuxer} needs for one connection.
 *
 * @param role initiator (client: yamux odd stream IDs) or responder (server: even stream IDs)
 * @param inboundStreamHandler added to the pipeline of every stream the remote opens, before the stream
 *     becomes active; must be {@link ChannelHandler.Sharable} (typically a {@code ChannelInitializer})
 * @param maxInboundStreams the most streams the remote may have open at once; beyond it new streams are
 *     reset; greater than 0
 */
public record MuxerContext(Role role, ChannelHandler inboundStreamHandler, int maxInboundStreams) {
    /** Validates the arguments. */
    public MuxerContext {
        if (role == null || inboundStreamHandler == null) {
            throw new IllegalArgumentException("role and inboundStreamHandler are required");
        }
        if (maxInboundStreams <= 0) {
            throw new IllegalArgumentException("maxInboundStreams must be > 0: " + maxInboundStreams);
        }
    }
}
