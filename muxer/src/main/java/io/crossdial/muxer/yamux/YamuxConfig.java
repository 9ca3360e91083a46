package io.crossdial.muxer.yamux;

/**
 * Validated yamux settings; immutable and thread-safe. Defaults follow go-yamux where the spec is silent.
 * Build with {@link #builder()}; {@link #defaults()} gives the defaults.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>initialWindowBytes</td><td>256 KiB</td><td>receive window granted to each stream; at least
 *       256 KiB (the spec's initial window); a larger value is announced with the SYN/ACK frame</td></tr>
 *   <tr><td>maxWindowBytes</td><td>16 MiB</td><td>ceiling for a stream's receive window, which doubles
 *       (from initialWindowBytes) when the application reads a whole window within two round trips
 *       (round-trip time from keepalive pings); also the largest inbound Data frame accepted</td></tr>
 *   <tr><td>maxDataFrameBytes</td><td>64 KiB</td><td>largest Data payload sent (outbound writes are cut
 *       into frames of at most this size, so streams interleave fairly)</td></tr>
 *   <tr><td>maxInboundStreams</td><td>1000</td><td>inbound streams open at once; the effective limit is
 *       the lower of this and {@code MuxerContext.maxInboundStreams()}; beyond it new streams are reset</td></tr>
 *   <tr><td>maxAckBacklog</td><td>256</td><td>streams opened but not yet acknowledged, each direction
 *       (spec "ACK backlog"): more inbound ones are reset, more outbound ones wait in openStream</td></tr>
 *   <tr><td>streamOpenTimeoutMillis</td><td>10 000</td><td>how long openStream waits for the ACK
 *       backlog to shrink</td></tr>
 *   <tr><td>keepAliveIntervalMillis</td><td>30 000</td><td>a Ping is sent this often; 0 disables</td></tr>
 *   <tr><td>keepAliveTimeoutMillis</td><td>10 000</td><td>an unanswered keepalive Ping closes the
 *       connection after this long</td></tr>
 *   <tr><td>maxStreamWriteBufferBytes</td><td>16 MiB</td><td>bytes a stream's writes may queue while
 *       the send window is exhausted; a write beyond fails (applications should follow isWritable())</td></tr>
 *   <tr><td>streamCloseTimeoutMillis</td><td>30 000</td><td>how long a stream's close() waits for queued
 *       writes to fit the send window before resetting the stream</td></tr>
 * </table>
 */
public final class YamuxConfig {
    private static final int MIN_WINDOW = YamuxFrame.INITIAL_WINDOW_BYTES;

    private final int initialWindowBytes;
    private final int maxWindowBytes;
    private final int maxDataFrameBytes;
    private final int maxInboundStreams;
    private final int maxAckBacklog;
    private final long streamOpenTimeoutMillis;
    private final long keepAliveIntervalMillis;
    private final long keepAliveTimeoutMillis;
    private final long maxStreamWriteBufferBytes;
    private final long streamCloseTimeoutMillis;

    private YamuxConfig(Builder b) {
        if (b.initialWindowBytes < MIN_WINDOW) {
            throw new IllegalArgumentException("initialWindowBytes must be >= " + MIN_WINDOW + ": " + b.initialWindowBytes);
        }
        if (b.maxWindowBytes < b.initialWindowBytes) {
            throw new IllegalArgumentException("maxWindowBytes must be >= initialWindowBytes: " + b.maxWindowBytes);
        }
        if (b.maxDataFrameBytes <= 0) {
            throw new IllegalArgumentException("maxDataFrameBytes must be > 0: " + b.maxDataFrameBytes);
        }
        if (b.maxInboundStreams <= 0) {
            throw new IllegalArgumentException("maxInboundStreams must be > 0: " + b.maxInboundStreams);
        }
        if (b.maxAckBacklog <= 0) {
            throw new IllegalArgumentException("maxAckBacklog must be > 0: " + b.maxAckBacklog);
        }
        if (b.streamOpenTimeoutMillis <= 0 || b.keepAliveTimeoutMillis <= 0 || b.streamCloseTimeoutMillis <= 0) {
            throw new IllegalArgumentException("timeouts must be > 0");
        }
        if (b.keepAliveIntervalMillis < 0) {
            throw new IllegalArgumentException("keepAliveIntervalMillis must be >= 0: " + b.keepAliveIntervalMillis);
        }
        if (b.maxStreamWriteBufferBytes <= 0) {
            throw new IllegalArgumentException("maxStreamWriteBufferBytes must be > 0");
        }
        initialWindowBytes = b.initialWindowBytes;
        maxWindowBytes = b.maxWindowBytes;
        maxDataFrameBytes = b.maxDataFrameBytes;
        maxInboundStreams = b.maxInboundStreams;
        maxAckBacklog = b.maxAckBacklog;
        streamOpenTimeoutMillis = b.streamOpenTimeoutMillis;
        keepAliveIntervalMillis = b.keepAliveIntervalMillis;
        keepAliveTimeoutMillis = b.keepAliveTimeoutMillis;
        maxStreamWriteBufferBytes = b.maxStreamWriteBufferBytes;
        streamCloseTimeoutMillis = b.streamCloseTimeoutMillis;
    }

    /** @return the default settings (see the class table) */
    public static YamuxConfig defaults() {
        return builder().build();
    }

    /** @return a builder starting from the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the receive window granted to each stream, in bytes */
    public int initialWindowBytes() {
        return initialWindowBytes;
    }

    /** @return the ceiling of a stream's receive window and of an inbound Data frame, in bytes */
    public int maxWindowBytes() {
        return maxWindowBytes;
    }

    /** @return the largest Data payload sent, in bytes */
    public int maxDataFrameBytes() {
        return maxDataFrameBytes;
    }

    /** @return the most inbound streams open at once */
    public int maxInboundStreams() {
        return maxInboundStreams;
    }

    /** @return the most unacknowledged streams per direction */
    public int maxAckBacklog() {
        return maxAckBacklog;
    }

    /** @return how long openStream waits for the ACK backlog, in milliseconds */
    public long streamOpenTimeoutMillis() {
        return streamOpenTimeoutMillis;
    }

    /** @return the keepalive Ping interval in milliseconds, 0 when disabled */
    public long keepAliveIntervalMillis() {
        return keepAliveIntervalMillis;
    }

    /** @return how long a keepalive Ping may stay unanswered, in milliseconds */
    public long keepAliveTimeoutMillis() {
        return keepAliveTimeoutMillis;
    }

    /** @return the most bytes a stream's writes may queue */
    public long maxStreamWriteBufferBytes() {
        return maxStreamWriteBufferBytes;
    }

    /** @return how long a stream's close() waits for queued writes, in milliseconds */
    public long streamCloseTimeoutMillis() {
        return streamCloseTimeoutMillis;
    }

    @Override
    public String toString() {
        return "YamuxConfig{initialWindowBytes=" + initialWindowBytes + ", maxWindowBytes=" + maxWindowBytes
                + ", maxDataFrameBytes=" + maxDataFrameBytes + ", maxInboundStreams=" + maxInboundStreams
                + ", maxAckBacklog=" + maxAckBacklog + ", streamOpenTimeoutMillis=" + streamOpenTimeoutMillis
                + ", keepAliveIntervalMillis=" + keepAliveIntervalMillis
                + ", keepAliveTimeoutMillis=" + keepAliveTimeoutMillis
                + ", maxStreamWriteBufferBytes=" + maxStreamWriteBufferBytes
                + ", streamCloseTimeoutMillis=" + streamCloseTimeoutMillis + "}";
    }

    /** Builder for {@link YamuxConfig}; not thread-safe. {@link #build()} validates. */
    public static final class Builder {
        private int initialWindowBytes = MIN_WINDOW;
        private int maxWindowBytes = 16 * 1024 * 1024;
        private int maxDataFrameBytes = 64 * 1024;
        private int maxInboundStreams = 1000;
        private int maxAckBacklog = 256;
        private long streamOpenTimeoutMillis = 10_000;
        private long keepAliveIntervalMillis = 30_000;
        private long keepAliveTimeoutMillis = 10_000;
        private long maxStreamWriteBufferBytes = 16L * 1024 * 1024;
        private long streamCloseTimeoutMillis = 30_000;

        private Builder() {}

        /** @param bytes receive window per stream, at least 256 KiB; @return this */
        public Builder initialWindowBytes(int bytes) {
            this.initialWindowBytes = bytes;
            return this;
        }

        /** @param bytes receive window ceiling, at least initialWindowBytes; @return this */
        public Builder maxWindowBytes(int bytes) {
            this.maxWindowBytes = bytes;
            return this;
        }

        /** @param bytes largest Data payload sent, greater than 0; @return this */
        public Builder maxDataFrameBytes(int bytes) {
            this.maxDataFrameBytes = bytes;
            return this;
        }

        /** @param streams most inbound streams open at once, greater than 0; @return this */
        public Builder maxInboundStreams(int streams) {
            this.maxInboundStreams = streams;
            return this;
        }

        /** @param streams most unacknowledged streams per direction, greater than 0; @return this */
        public Builder maxAckBacklog(int streams) {
            this.maxAckBacklog = streams;
            return this;
        }

        /** @param millis openStream's wait for the ACK backlog, greater than 0; @return this */
        public Builder streamOpenTimeoutMillis(long millis) {
            this.streamOpenTimeoutMillis = millis;
            return this;
        }

        /** @param millis keepalive Ping interval, 0 disables; @return this */
        public Builder keepAliveIntervalMillis(long millis) {
            this.keepAliveIntervalMillis = millis;
            return this;
        }

        /** @param millis keepalive Ping answer limit, greater than 0; @return this */
        public Builder keepAliveTimeoutMillis(long millis) {
            this.keepAliveTimeoutMillis = millis;
            return this;
        }

        /** @param bytes most bytes a stream's writes may queue, greater than 0; @return this */
        public Builder maxStreamWriteBufferBytes(long bytes) {
            this.maxStreamWriteBufferBytes = bytes;
            return this;
        }

        /** @param millis close()'s wait for queued writes, greater than 0; @return this */
        public Builder streamCloseTimeoutMillis(long millis) {
            this.streamCloseTimeoutMillis = millis;
            return this;
        }

        /**
         * @return the validated configuration
         * @throws IllegalArgumentException naming the first invalid setting
         */
        public YamuxConfig build() {
            return new YamuxConfig(this);
        }
    }
}
