package io.crossdial.upgrader;

/**
 * What a {@link DefaultResourceManager} has reserved at one moment, for the system or one peer.
 *
 * @param inboundConnections open inbound connections
 * @param outboundConnections open outbound connections
 * @param inboundStreams open inbound streams
 * @param outboundStreams open outbound streams
 * @param memoryBytes reserved bytes
 * @param peers peers with at least one open connection (1 or 0 for a peer's usage)
 */
public record ResourceUsage(int inboundConnections, int outboundConnections, int inboundStreams,
        int outboundStreams, long memoryBytes, int peers) {
    /** Nothing reserved. */
    public static final ResourceUsage NONE = new ResourceUsage(0, 0, 0, 0, 0, 0);

    /** @return open connections, both directions */
    public int connections() {
        return inboundConnections + outboundConnections;
    }

    /** @return open streams, both directions */
    public int streams() {
        return inboundStreams + outboundStreams;
    }
}
