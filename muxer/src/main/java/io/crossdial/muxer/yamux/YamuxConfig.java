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
 *
 * <p>A record validated in its compact constructor (specs/architecture.md, "Configuration"); the
 * {@link Builder} only collects values.
 *
 * @param initialWindowBytes the receive window granted to each stream, in bytes
 * @param maxWindowBytes the ceiling of a stream's receive window and of an inbound Data frame, in bytes
 * @param maxDataFrameBytes the largest Data payload sent, in bytes
 * @param maxInboundStreams the most inbound streams open at once
 * @param maxAckBacklog the most unacknowledged streams per direction
 * @param streamOpenTimeoutMillis how long openStream waits for the ACK backlog, in milliseconds
 * @param keepAliveIntervalMillis the keepalive Ping interval in milliseconds, 0 when disabled
 * @param keepAliveTimeoutMillis how long a keepalive Ping may stay unanswered, in milliseconds
 * @param maxStreamWriteBufferBytes the most bytes a stream's writes may queue
 * @param streamCloseTimeoutMillis how long a stream's close() waits for queued writes, in milliseconds
 * @throws IllegalArgumentException (from the constructor and {@link Builder#build()}) naming the first
 *     invalid setting
 */
public record YamuxConfig(
        int initialWindowBytes,
        int maxWindowBytes,
        int maxDataFrameBytes,
        int maxInboundStreams,
        int maxAckBacklog,
        long streamOpenTimeoutMillis,
        long keepAliveIntervalMillis,
        long keepAliveTimeoutMillis,
        long maxStreamWriteBufferBytes,
        long streamCloseTimeoutMillis) {

    /** Validates every setting. */
    public YamuxConfig {
        if (initialWindowBytes < MIN_WINDOW) {
            throw new IllegalArgumentException("initialWindowBytes must be >= " + MIN_WINDOW + ": " + initialWindowBytes);
        }
        if (maxWindowBytes < initialWindowBytes) {
            throw new IllegalArgumentException("maxWindowBytes must be >= initialWindowBytes: " + maxWindowBytes);
        }
        if (maxDataFrameBytes <= 0) {
            throw new IllegalArgumentException("maxDataFrameBytes must be > 0: " + maxDataFrameBytes);
        }
        if (maxInboundStreams <= 0) {
            throw new IllegalArgumentException("maxInboundStreams must be > 0: " + maxInboundStreams);
        }
        if (maxAckBacklog <= 0) {
            throw new IllegalArgumentException("maxAckBacklog must be > 0: " + maxAckBacklog);
        }
        if (streamOpenTimeoutMillis <= 0 || keepAliveTimeoutMillis <= 0 || streamCloseTimeoutMillis <= 0) {
            throw new IllegalArgumentException("timeouts must be > 0");
        }
        if (keepAliveIntervalMillis < 0) {
            throw new IllegalArgumentException("keepAliveIntervalMillis must be >= 0: " + keepAliveIntervalMillis);
        }
        if (maxStreamWriteBufferBytes <= 0) {
            throw new IllegalArgumentException("maxStreamWriteBufferBytes must be > 0");
        }
    }

    private static final int MIN_WINDOW = YamuxFrame.INITIAL_WINDOW_BYTES;

    /** @return the default settings (see the class table) */
    public static YamuxConfig defaults() {
        return builder().build();
    }

    /** @return a builder starting from the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder starting from these settings */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.initialWindowBytes = initialWindowBytes;
        b.maxWindowBytes = maxWindowBytes;
        b.maxDataFrameBytes = maxDataFrameBytes;
        b.maxInboundStreams = maxInboundStreams;
        b.maxAckBacklog = maxAckBacklog;
        b.streamOpenTimeoutMillis = streamOpenTimeoutMillis;
        b.keepAliveIntervalMillis = keepAliveIntervalMillis;
        b.keepAliveTimeoutMillis = keepAliveTimeoutMillis;
        b.maxStreamWriteBufferBytes = maxStreamWriteBufferBytes;
        b.streamCloseTimeoutMillis = streamCloseTimeoutMillis;
        return b;
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
            return new YamuxConfig(initialWindowBytes,
                    maxWindowBytes,
                    maxDataFrameBytes,
                    maxInboundStreams,
                    maxAckBacklog,
                    streamOpenTimeoutMillis,
                    keepAliveIntervalMillis,
                    keepAliveTimeoutMillis,
                    maxStreamWriteBufferBytes,
                    streamCloseTimeoutMillis);
        }
    }
}
