package io.crossdial.upgrader;

import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.SecurityTransport;
import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.multistream.MultistreamSelect;
import io.crossdial.simopen.SimopenMode;
import io.crossdial.simopen.StockDialerHold;
import java.util.ArrayList;
import java.util.List;

/**
 * Validated upgrader settings: a record whose compact constructor checks every field (defaults and their
 * validation live together, as {@code DEFAULT_*} constants and the constructor), built with
 * {@link #builder(PrivateKey)} or changed with {@link #toBuilder()}. Immutable and thread-safe.
 *
 * <p>Defaults: negotiation timeout 10 000 ms per multistream-select round (jvm-libp2p and js use 10 s),
 * security handshake timeout 10 000 ms, whole-upgrade timeout 30 000 ms, at most 1000 inbound streams per
 * connection (go-yamux's default), simultaneous-open detection {@link SimopenMode#POISON_BYTE}, stock-dialer
 * hold {@link StockDialerHold#DEFAULT}.
 *
 * @param localKey the local identity key
 * @param securityTransports security transports in preference order (at least one, distinct protocol IDs)
 * @param muxers stream muxers in preference order (at least one, distinct protocol IDs)
 * @param negotiationTimeoutMillis the time limit of one multistream-select negotiation, in ms, &gt; 0
 * @param handshakeTimeoutMillis the time limit of the security handshake, in ms, &gt; 0
 * @param upgradeTimeoutMillis the time limit of the whole upgrade, in ms, &gt; 0
 * @param maxInboundStreams the limit on streams the remote may have open at once, &gt; 0
 * @param simopenMode how connections dialed from a listen port detect a TCP simultaneous open
 * @param stockDialerHold when and how long a dial from a listen port, in {@link SimopenMode#POISON_BYTE} mode,
 *     holds its security handshake back to recognise a stock dialer in a simultaneous open
 * @param connectionGater the gater asked after the security handshake; {@link ConnectionGater#ALLOW_ALL} by
 *     default
 */
public record UpgraderConfig(PrivateKey localKey, List<SecurityTransport> securityTransports,
        List<StreamMuxer> muxers, long negotiationTimeoutMillis, long handshakeTimeoutMillis,
        long upgradeTimeoutMillis, int maxInboundStreams, SimopenMode simopenMode, StockDialerHold stockDialerHold,
        ConnectionGater connectionGater) {
    /** Default time limit of one multistream-select negotiation, in milliseconds. */
    public static final long DEFAULT_NEGOTIATION_TIMEOUT_MILLIS = 10_000;
    /** Default time limit of the security handshake, in milliseconds. */
    public static final long DEFAULT_HANDSHAKE_TIMEOUT_MILLIS = 10_000;
    /** Default time limit of the whole upgrade, in milliseconds. */
    public static final long DEFAULT_UPGRADE_TIMEOUT_MILLIS = 30_000;
    /** Default limit on streams the remote may have open at once. */
    public static final int DEFAULT_MAX_INBOUND_STREAMS = 1000;

    /**
     * Validates every field; the lists are copied.
     *
     * @throws IllegalArgumentException when the key, the mode or the hold is missing, a list is empty, a
     *     protocol ID is invalid or repeats, or a limit is not positive
     */
    public UpgraderConfig {
        if (localKey == null) {
            throw new IllegalArgumentException("localKey is required");
        }
        securityTransports = List.copyOf(securityTransports);
        muxers = List.copyOf(muxers);
        if (securityTransports.isEmpty()) {
            throw new IllegalArgumentException("at least one security transport is required");
        }
        if (muxers.isEmpty()) {
            throw new IllegalArgumentException("at least one stream muxer is required");
        }
        requireDistinct(securityTransports.stream().map(SecurityTransport::protocolId).toList(), "security");
        requireDistinct(muxers.stream().map(StreamMuxer::protocolId).toList(), "muxer");
        requirePositive(negotiationTimeoutMillis, "negotiationTimeoutMillis");
        requirePositive(handshakeTimeoutMillis, "handshakeTimeoutMillis");
        requirePositive(upgradeTimeoutMillis, "upgradeTimeoutMillis");
        requirePositive(maxInboundStreams, "maxInboundStreams");
        if (simopenMode == null) {
            throw new IllegalArgumentException("simopen mode is required");
        }
        if (stockDialerHold == null) {
            throw new IllegalArgumentException("stock dialer hold is required");
        }
        if (connectionGater == null) {
            throw new IllegalArgumentException("connection gater is required (ConnectionGater.ALLOW_ALL for none)");
        }
    }

    /**
     * @param localKey the local identity key
     * @return a builder with the defaults and no security transports or muxers yet
     * @throws IllegalArgumentException when {@code localKey} is null
     */
    public static Builder builder(PrivateKey localKey) {
        return new Builder(localKey);
    }

    /** @return a builder holding this configuration's values */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** @return the protocol IDs of the security transports, in order */
    public List<String> securityProtocolIds() {
        return securityTransports.stream().map(SecurityTransport::protocolId).toList();
    }

    /** @return the protocol IDs of the muxers, in order */
    public List<String> muxerProtocolIds() {
        return muxers.stream().map(StreamMuxer::protocolId).toList();
    }

    private static void requireDistinct(List<String> ids, String what) {
        if (ids.stream().distinct().count() != ids.size()) {
            throw new IllegalArgumentException("duplicate " + what + " protocol IDs: " + ids);
        }
        for (String id : ids) {
            if (id == null || !id.startsWith("/")) {
                throw new IllegalArgumentException(what + " protocol ID must start with '/': " + id);
            }
        }
        MultistreamSelect.checkProtocolIds(ids);
    }

    private static void requirePositive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0: " + value);
        }
    }

    /** Builds an {@link UpgraderConfig}; not thread-safe. */
    public static final class Builder {
        private final PrivateKey localKey;
        private final List<SecurityTransport> securityTransports = new ArrayList<>();
        private final List<StreamMuxer> muxers = new ArrayList<>();
        private long negotiationTimeoutMillis = DEFAULT_NEGOTIATION_TIMEOUT_MILLIS;
        private long handshakeTimeoutMillis = DEFAULT_HANDSHAKE_TIMEOUT_MILLIS;
        private long upgradeTimeoutMillis = DEFAULT_UPGRADE_TIMEOUT_MILLIS;
        private int maxInboundStreams = DEFAULT_MAX_INBOUND_STREAMS;
        private SimopenMode simopenMode = SimopenMode.POISON_BYTE;
        private StockDialerHold stockDialerHold = StockDialerHold.DEFAULT;
        private ConnectionGater connectionGater = ConnectionGater.ALLOW_ALL;

        private Builder(PrivateKey localKey) {
            if (localKey == null) {
                throw new IllegalArgumentException("localKey is required");
            }
            this.localKey = localKey;
        }

        private Builder(UpgraderConfig config) {
            this(config.localKey);
            securityTransports.addAll(config.securityTransports);
            muxers.addAll(config.muxers);
            negotiationTimeoutMillis = config.negotiationTimeoutMillis;
            handshakeTimeoutMillis = config.handshakeTimeoutMillis;
            upgradeTimeoutMillis = config.upgradeTimeoutMillis;
            maxInboundStreams = config.maxInboundStreams;
            simopenMode = config.simopenMode;
            stockDialerHold = config.stockDialerHold;
            connectionGater = config.connectionGater;
        }

        /**
         * @param transport a security transport; the first added is preferred
         * @return this builder
         */
        public Builder security(SecurityTransport transport) {
            securityTransports.add(transport);
            return this;
        }

        /**
         * @param muxer a stream muxer; the first added is preferred
         * @return this builder
         */
        public Builder muxer(StreamMuxer muxer) {
            muxers.add(muxer);
            return this;
        }

        /**
         * @param millis time limit of one multistream-select negotiation, > 0
         * @return this builder
         */
        public Builder negotiationTimeoutMillis(long millis) {
            this.negotiationTimeoutMillis = millis;
            return this;
        }

        /**
         * @param millis time limit of the security handshake, > 0
         * @return this builder
         */
        public Builder handshakeTimeoutMillis(long millis) {
            this.handshakeTimeoutMillis = millis;
            return this;
        }

        /**
         * @param millis time limit of the whole upgrade, > 0
         * @return this builder
         */
        public Builder upgradeTimeoutMillis(long millis) {
            this.upgradeTimeoutMillis = millis;
            return this;
        }

        /**
         * @param max the most streams the remote may have open at once, > 0
         * @return this builder
         */
        public Builder maxInboundStreams(int max) {
            this.maxInboundStreams = max;
            return this;
        }

        /**
         * @param mode how dials from a listen port detect a TCP simultaneous open ({@code specs/simopen.md})
         * @return this builder
         */
        public Builder simopenMode(SimopenMode mode) {
            if (mode == null) {
                throw new IllegalArgumentException("simopen mode is required");
            }
            this.simopenMode = mode;
            return this;
        }

        /**
         * @param hold when and how long a dial from a listen port holds its security handshake back to
         *     recognise a stock dialer ({@code specs/simopen.md}, case 6);
         *     {@link StockDialerHold#NEVER} only recognises one whose first handshake message came with its
         *     proposal
         * @return this builder
         */
        public Builder stockDialerHold(StockDialerHold hold) {
            if (hold == null) {
                throw new IllegalArgumentException("stock dialer hold is required");
            }
            this.stockDialerHold = hold;
            return this;
        }

        /**
         * @param gater asked once the security handshake authenticated the remote, before the muxer
         *     ({@link ConnectionGater}); thread-safe and non-blocking
         * @return this builder
         */
        public Builder connectionGater(ConnectionGater gater) {
            if (gater == null) {
                throw new IllegalArgumentException("connection gater is required (ConnectionGater.ALLOW_ALL for none)");
            }
            this.connectionGater = gater;
            return this;
        }

        /**
         * @return the validated configuration
         * @throws IllegalArgumentException when a list is empty, a protocol ID is invalid or repeats, or a limit
         *     is not positive
         */
        public UpgraderConfig build() {
            return new UpgraderConfig(localKey, securityTransports, muxers, negotiationTimeoutMillis,
                    handshakeTimeoutMillis, upgradeTimeoutMillis, maxInboundStreams, simopenMode, stockDialerHold,
                    connectionGater);
        }
    }
}
