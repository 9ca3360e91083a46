package io.crossdial.muxer.mplex;

/**
 * Validated mplex settings; immutable and thread-safe. Build with {@link #builder()}; {@link #defaults()}
 * gives the defaults.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>maxDataFrameBytes</td><td>64 KiB</td><td>largest Message payload sent, at most 1 MiB (outbound
 *       writes are cut into messages of at most this size, so streams interleave fairly)</td></tr>
 *   <tr><td>maxInboundStreams</td><td>1000</td><td>inbound streams open at once; the effective limit is
 *       the lower of this and {@code MuxerContext.maxInboundStreams()}; beyond it new streams are reset
 *       (ResetReceiver)</td></tr>
 *   <tr><td>maxUnreadStreamBytes</td><td>4 MiB</td><td>received bytes a stream may hold that its
 *       application has not read; above it the whole connection stops reading until the application
 *       drains the stream (see {@link MplexStreamMuxer}, "Backpressure")</td></tr>
 *   <tr><td>stalledReaderResetMillis</td><td>10 000</td><td>how long one stream may hold the connection
 *       that way before it is reset; 0 waits for ever</td></tr>
 *   <tr><td>maxStreamWriteBufferBytes</td><td>16 MiB</td><td>bytes a stream's writes may queue while the
 *       connection is unwritable; a write beyond fails (applications should follow isWritable())</td></tr>
 *   <tr><td>streamCloseTimeoutMillis</td><td>30 000</td><td>how long a stream's close() waits for queued
 *       writes before resetting the stream</td></tr>
 * </table>
 *
 * <p>A record validated in its compact constructor (specs/architecture.md, "Configuration"); the
 * {@link Builder} only collects values.
 *
 * @param maxDataFrameBytes the largest Message payload sent, in bytes
 * @param maxInboundStreams the most inbound streams open at once
 * @param maxUnreadStreamBytes the unread bytes per stream above which the connection stops reading
 * @param stalledReaderResetMillis how long a stream may stop the connection's reading before it is reset, ms; 0 never
 * @param maxStreamWriteBufferBytes the most bytes a stream's writes may queue
 * @param streamCloseTimeoutMillis how long a stream's close() waits for queued writes, in milliseconds
 * @throws IllegalArgumentException (from the constructor and {@link Builder#build()}) naming the first
 *     invalid setting
 */
public record MplexConfig(
        int maxDataFrameBytes,
        int maxInboundStreams,
        long maxUnreadStreamBytes,
        long stalledReaderResetMillis,
        long maxStreamWriteBufferBytes,
        long streamCloseTimeoutMillis) {

    /** Validates every setting. */
    public MplexConfig {
        if (maxDataFrameBytes <= 0 || maxDataFrameBytes > MplexFrame.MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("maxDataFrameBytes must be in 1.." + MplexFrame.MAX_MESSAGE_BYTES
                    + ": " + maxDataFrameBytes);
        }
        if (maxInboundStreams <= 0) {
            throw new IllegalArgumentException("maxInboundStreams must be > 0: " + maxInboundStreams);
        }
        if (maxUnreadStreamBytes <= 0 || maxUnreadStreamBytes > Integer.MAX_VALUE - MplexFrame.MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("maxUnreadStreamBytes must be in 1.."
                    + (Integer.MAX_VALUE - MplexFrame.MAX_MESSAGE_BYTES) + ": " + maxUnreadStreamBytes);
        }
        if (stalledReaderResetMillis < 0) {
            throw new IllegalArgumentException("stalledReaderResetMillis must be >= 0: " + stalledReaderResetMillis);
        }
        if (maxStreamWriteBufferBytes <= 0) {
            throw new IllegalArgumentException("maxStreamWriteBufferBytes must be > 0: " + maxStreamWriteBufferBytes);
        }
        if (streamCloseTimeoutMillis <= 0) {
            throw new IllegalArgumentException("streamCloseTimeoutMillis must be > 0: " + streamCloseTimeoutMillis);
        }
    }

    /** @return the default settings (see the class table) */
    public static MplexConfig defaults() {
        return builder().build();
    }

    /** @return a builder starting from the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder starting from these settings */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxDataFrameBytes = maxDataFrameBytes;
        b.maxInboundStreams = maxInboundStreams;
        b.maxUnreadStreamBytes = maxUnreadStreamBytes;
        b.stalledReaderResetMillis = stalledReaderResetMillis;
        b.maxStreamWriteBufferBytes = maxStreamWriteBufferBytes;
        b.streamCloseTimeoutMillis = streamCloseTimeoutMillis;
        return b;
    }

    /** Builder for {@link MplexConfig}; not thread-safe. {@link #build()} validates. */
    public static final class Builder {
        private int maxDataFrameBytes = 64 * 1024;
        private int maxInboundStreams = 1000;
        private long maxUnreadStreamBytes = 4L * 1024 * 1024;
        private long stalledReaderResetMillis = 10_000;
        private long maxStreamWriteBufferBytes = 16L * 1024 * 1024;
        private long streamCloseTimeoutMillis = 30_000;

        private Builder() {}

        /** @param bytes largest Message payload sent, 1 to 1 MiB; @return this */
        public Builder maxDataFrameBytes(int bytes) {
            this.maxDataFrameBytes = bytes;
            return this;
        }

        /** @param streams most inbound streams open at once, greater than 0; @return this */
        public Builder maxInboundStreams(int streams) {
            this.maxInboundStreams = streams;
            return this;
        }

        /** @param bytes unread bytes per stream before the connection stops reading, greater than 0; @return this */
        public Builder maxUnreadStreamBytes(long bytes) {
            this.maxUnreadStreamBytes = bytes;
            return this;
        }

        /** @param millis how long a stalled reader may hold the connection, 0 for ever; @return this */
        public Builder stalledReaderResetMillis(long millis) {
            this.stalledReaderResetMillis = millis;
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
        public MplexConfig build() {
            return new MplexConfig(maxDataFrameBytes,
                    maxInboundStreams,
                    maxUnreadStreamBytes,
                    stalledReaderResetMillis,
                    maxStreamWriteBufferBytes,
                    streamCloseTimeoutMillis);
        }
    }
}
