package io.crossdial.upgrader;

/**
 * Limits a {@link DefaultResourceManager} enforces, in three scopes: the whole process ("system"), one remote
 * peer (every connection to or from that peer ID) and one connection. Immutable and thread-safe.
 *
 * <p>Connections are counted from the moment the connection passes the gate ({@link UpgradeStage#GATING}:
 * after the security handshake, before the stream muxer) until its channel closes. The direction of a
 * connection is the direction it was dialed in (inbound: the remote dialed), also after a TCP simultaneous
 * open resolved the upgrade roles the other way. Streams are counted from the moment the muxer accepts or
 * opens them until their channel closes; inbound streams are those the remote opened.
 *
 * <p>Memory is a reservation, not a measurement: a connection reserves {@link #connectionMemoryBytes} at the
 * gate (the muxer's read and write buffers: one largest frame each way plus the first stream's window) and
 * each stream reserves {@link #streamMemoryBytes} (its receive window: what the remote may send before the
 * application reads, 256 KiB for yamux's initial window; mplex has no window and buffers up to the same
 * amount per stream). The reservations count against the peer's and the system's memory limits.
 *
 * <p>{@link #defaults()} follows go-libp2p's resource manager defaults ({@code rcmgr}
 * {@code DefaultLimits}: a base plus an increase per GiB of memory given to libp2p, which go-libp2p sets to
 * 1/8 of the machine's memory), scaled to a memory budget of half this JVM's maximum heap, at least 128 MiB:
 * the same 1/8 of the machine's memory for a JVM at its default maximum heap of 1/4 ({@link #scaled(long)}
 * takes another budget). Per peer and per connection go-libp2p's base
 * limits apply unscaled (8 connections and 512 streams per peer, a connection carrying at most the peer's
 * streams), with enough memory per peer for those streams' windows. The relay's limits
 * ({@link #relay}) are {@link RelayResourceLimits#DEFAULT}, unscaled, as go-libp2p's relay resources are.
 *
 * @param maxConnections connections open at once, both directions, whole process; &gt; 0
 * @param maxInboundConnections inbound connections open at once, whole process; 1..maxConnections
 * @param maxOutboundConnections outbound connections open at once, whole process; 1..maxConnections
 * @param maxConnectionsPerPeer connections open at once to or from one peer ID, both directions;
 *     1..maxConnections
 * @param maxStreams streams open at once, both directions, whole process; &gt; 0
 * @param maxInboundStreams inbound streams open at once, whole process; 1..maxStreams
 * @param maxOutboundStreams outbound streams open at once, whole process; 1..maxStreams
 * @param maxStreamsPerPeer streams open at once over all connections with one peer; 1..maxStreams
 * @param maxStreamsPerConnection streams open at once on one connection; 1..maxStreamsPerPeer
 * @param maxMemoryBytes bytes reserved at once, whole process; &gt; 0
 * @param maxMemoryPerPeerBytes bytes reserved at once for one peer's connections and streams;
 *     1..maxMemoryBytes
 * @param connectionMemoryBytes bytes a connection reserves at the gate; 0..maxMemoryPerPeerBytes
 * @param streamMemoryBytes bytes each stream reserves; 0..maxMemoryPerPeerBytes
 * @param relay what a circuit relay v2 server on this host may hold: reservations and circuits, and each
 *     circuit's duration and data limit ({@link RelayResourceLimits}); not null
 */
public record ResourceLimits(int maxConnections, int maxInboundConnections, int maxOutboundConnections,
        int maxConnectionsPerPeer, int maxStreams, int maxInboundStreams, int maxOutboundStreams,
        int maxStreamsPerPeer, int maxStreamsPerConnection, long maxMemoryBytes, long maxMemoryPerPeerBytes,
        long connectionMemoryBytes, long streamMemoryBytes, RelayResourceLimits relay) {
    private static final long MIB = 1L << 20;
    /** The smallest memory budget {@link #defaults()} scales from: go-libp2p's system base, 128 MiB. */
    public static final long MIN_DEFAULT_BUDGET_BYTES = 128 * MIB;
    /** What a stream reserves by default: yamux's initial receive window, 256 KiB. */
    public static final long DEFAULT_STREAM_MEMORY_BYTES = 256 * 1024;
    /** What a connection reserves at the gate by default: a 64 KiB frame each way plus one window, 384 KiB. */
    public static final long DEFAULT_CONNECTION_MEMORY_BYTES = 2 * 64 * 1024 + DEFAULT_STREAM_MEMORY_BYTES;

    /**
     * Validates every limit.
     *
     * @throws IllegalArgumentException naming the first limit that is not positive or exceeds the scope
     *     above it, or when {@code relay} is null
     */
    public ResourceLimits {
        positive(maxConnections, "maxConnections");
        within(maxInboundConnections, maxConnections, "maxInboundConnections", "maxConnections");
        within(maxOutboundConnections, maxConnections, "maxOutboundConnections", "maxConnections");
        within(maxConnectionsPerPeer, maxConnections, "maxConnectionsPerPeer", "maxConnections");
        positive(maxStreams, "maxStreams");
        within(maxInboundStreams, maxStreams, "maxInboundStreams", "maxStreams");
        within(maxOutboundStreams, maxStreams, "maxOutboundStreams", "maxStreams");
        within(maxStreamsPerPeer, maxStreams, "maxStreamsPerPeer", "maxStreams");
        within(maxStreamsPerConnection, maxStreamsPerPeer, "maxStreamsPerConnection", "maxStreamsPerPeer");
        positive(maxMemoryBytes, "maxMemoryBytes");
        within(maxMemoryPerPeerBytes, maxMemoryBytes, "maxMemoryPerPeerBytes", "maxMemoryBytes");
        if (connectionMemoryBytes < 0 || connectionMemoryBytes > maxMemoryPerPeerBytes) {
            throw new IllegalArgumentException("connectionMemoryBytes must be within 0.." + maxMemoryPerPeerBytes
                    + " (maxMemoryPerPeerBytes): " + connectionMemoryBytes);
        }
        if (streamMemoryBytes < 0 || streamMemoryBytes > maxMemoryPerPeerBytes) {
            throw new IllegalArgumentException("streamMemoryBytes must be within 0.." + maxMemoryPerPeerBytes
                    + " (maxMemoryPerPeerBytes): " + streamMemoryBytes);
        }
        if (relay == null) {
            throw new IllegalArgumentException("relay limits are required (RelayResourceLimits.DEFAULT)");
        }
    }

    /**
     * The connection, stream and memory limits with the relay's at {@link RelayResourceLimits#DEFAULT}.
     *
     * @throws IllegalArgumentException as the canonical constructor
     */
    public ResourceLimits(int maxConnections, int maxInboundConnections, int maxOutboundConnections,
            int maxConnectionsPerPeer, int maxStreams, int maxInboundStreams, int maxOutboundStreams,
            int maxStreamsPerPeer, int maxStreamsPerConnection, long maxMemoryBytes, long maxMemoryPerPeerBytes,
            long connectionMemoryBytes, long streamMemoryBytes) {
        this(maxConnections, maxInboundConnections, maxOutboundConnections, maxConnectionsPerPeer, maxStreams,
                maxInboundStreams, maxOutboundStreams, maxStreamsPerPeer, maxStreamsPerConnection, maxMemoryBytes,
                maxMemoryPerPeerBytes, connectionMemoryBytes, streamMemoryBytes, RelayResourceLimits.DEFAULT);
    }

    /**
     * @param newRelay the relay limits
     * @return a copy with these relay limits and every other limit as here
     * @throws IllegalArgumentException when {@code newRelay} is null
     */
    public ResourceLimits withRelay(RelayResourceLimits newRelay) {
        return new ResourceLimits(maxConnections, maxInboundConnections, maxOutboundConnections,
                maxConnectionsPerPeer, maxStreams, maxInboundStreams, maxOutboundStreams, maxStreamsPerPeer,
                maxStreamsPerConnection, maxMemoryBytes, maxMemoryPerPeerBytes, connectionMemoryBytes,
                streamMemoryBytes, newRelay);
    }

    /**
     * go-libp2p's default limits scaled to half this JVM's maximum heap ({@code Runtime.maxMemory()}), at
     * least {@link #MIN_DEFAULT_BUDGET_BYTES}.
     *
     * @return the default limits
     */
    public static ResourceLimits defaults() {
        return scaled(Math.max(MIN_DEFAULT_BUDGET_BYTES, Runtime.getRuntime().maxMemory() / 2));
    }

    /**
     * go-libp2p's {@code DefaultLimits} scaled to a memory budget the way its {@code AutoScale} does: the
     * system scope's base (128 connections, 64 inbound; 2048 streams, 1024 inbound; 128 MiB) plus, per GiB of
     * budget above 128 MiB (pro rata, by whole MiB), 128 connections (64 inbound) and 2048 streams (1024
     * inbound), memory being the budget itself. Per peer: 8 connections and 512 streams (go-libp2p's peer base limits), memory for
     * 8 connections' and 512 streams' reservations (capped by the budget); per connection: 512 streams.
     *
     * @param memoryBudgetBytes bytes the resource manager may reserve in all, at least 16 MiB
     * @return the scaled limits
     * @throws IllegalArgumentException when the budget is below 16 MiB
     */
    public static ResourceLimits scaled(long memoryBudgetBytes) {
        if (memoryBudgetBytes < 16 * MIB) {
            throw new IllegalArgumentException("memory budget must be at least 16 MiB: " + memoryBudgetBytes);
        }
        long extraMib = Math.max(0, memoryBudgetBytes - MIN_DEFAULT_BUDGET_BYTES) / MIB;
        int conns = (int) Math.min(Integer.MAX_VALUE / 2, 128 + 128 * extraMib / 1024);
        int inboundConns = (int) Math.min(conns, 64 + 64 * extraMib / 1024);
        int streams = (int) Math.min(Integer.MAX_VALUE / 2, 2048 + 2048 * extraMib / 1024);
        int inboundStreams = (int) Math.min(streams, 1024 + 1024 * extraMib / 1024);
        int perPeerStreams = Math.min(streams, 512);
        int perPeerConns = Math.min(conns, 8);
        long perPeerMemory = Math.min(memoryBudgetBytes,
                perPeerConns * DEFAULT_CONNECTION_MEMORY_BYTES + perPeerStreams * DEFAULT_STREAM_MEMORY_BYTES);
        return new ResourceLimits(conns, inboundConns, conns, perPeerConns, streams, inboundStreams, streams,
                perPeerStreams, perPeerStreams,
                memoryBudgetBytes, perPeerMemory, DEFAULT_CONNECTION_MEMORY_BYTES, DEFAULT_STREAM_MEMORY_BYTES);
    }

    private static void positive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0: " + value);
        }
    }

    private static void within(long value, long max, String name, String maxName) {
        if (value <= 0 || value > max) {
            throw new IllegalArgumentException(name + " must be within 1.." + max + " (" + maxName + "): " + value);
        }
    }
}
