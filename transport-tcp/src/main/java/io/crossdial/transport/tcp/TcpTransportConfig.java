package io.crossdial.transport.tcp;

/**
 * Validated TCP transport settings: a record whose compact constructor checks every field, built with
 * {@link #builder()} (or {@link #defaults()}, {@link #toBuilder()}, and the {@code with*} shorthands for one
 * field); immutable and thread-safe. Defaults: connect timeout 10 000 ms, port reuse on, listen
 * backlog 1024, worker threads = available processors, 1 shard per listen address, handshake limit derived
 * from the backlog, at most {@value #DEFAULT_MAX_HANDSHAKES_PER_ADDRESS} handshakes from one remote IP address,
 * new connections from one remote address at {@link InboundRateLimit#defaults()}, no connection limit, interfaces re-enumerated every 5 000 ms.
 *
 * <h2>Backlog split (specs/listeners.md)</h2>
 * The {@code backlog} is the number of connections a listener holds before the application has finished
 * with them. Half of it goes to the kernel's accept queue ({@code listen(2)} backlog), half to connections
 * accepted and still in their libp2p handshake (the upgrade); {@link #maxHandshakes()} overrides the second
 * half. A listener whose handshake slots are all taken stops accepting (autoRead off) until one finishes.
 *
 * @param connectTimeoutMillis time limit of a TCP connect, in ms, > 0
 * @param portReuse dial from a listen port of the same address family and scope (SO_REUSEPORT), as NAT
 *     traversal wants
 * @param backlog connections a listener may hold before the application took them: accept queue plus
 *     handshakes, > 1
 * @param workerThreads event-loop threads for connections, > 0
 * @param shards listen sockets per listen address, each on its own accept event loop (SO_REUSEPORT), 1..256
 * @param maxHandshakes accepted connections per listener still in their handshake at once; 0 = backlog / 2
 * @param maxConnections open TCP connections (inbound and outbound) at once; 0 = no limit
 * @param interfacePollMillis how often wildcard listeners re-enumerate interfaces, in ms; 0 = never
 * @param maxHandshakesPerAddress accepted connections per listener from one remote IP address still in their
 *     handshake at once; one more from that address is accepted and closed at once; 0 = no per-address limit;
 *     default {@value #DEFAULT_MAX_HANDSHAKES_PER_ADDRESS} (specs/listeners.md, section 4)
 * @param inboundRateLimit new inbound connections per remote address over time, checked at accept, transport-wide;
 *     default {@link InboundRateLimit#defaults()} (specs/listeners.md, section 4)
 */
public record TcpTransportConfig(long connectTimeoutMillis, boolean portReuse, int backlog, int workerThreads,
        int shards, int maxHandshakes, int maxConnections, long interfacePollMillis, int maxHandshakesPerAddress,
        InboundRateLimit inboundRateLimit) {
    /** Default TCP connect time limit in ms. */
    public static final long DEFAULT_CONNECT_TIMEOUT_MILLIS = 10_000;
    /** Default backlog (accept queue plus handshakes). */
    public static final int DEFAULT_BACKLOG = 1024;
    /** Default interface re-enumeration period in ms. */
    public static final long DEFAULT_INTERFACE_POLL_MILLIS = 5_000;
    /**
     * Default handshakes in progress from one remote IP address: 64, an eighth of the default handshake limit
     * (512), so that slow or stalled handshakes from one address cannot take every slot (go-libp2p's resource
     * manager bounds all connections from one IPv4 address to 8 by default; this bounds only those still in
     * their handshake).
     */
    public static final int DEFAULT_MAX_HANDSHAKES_PER_ADDRESS = 64;
    /** Most shards per listen address. */
    public static final int MAX_SHARDS = 256;

    /** Validates the settings. */
    public TcpTransportConfig {
        if (connectTimeoutMillis <= 0 || connectTimeoutMillis > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("connectTimeoutMillis must be in (0, 2^31): " + connectTimeoutMillis);
        }
        if (backlog <= 1) {
            throw new IllegalArgumentException("backlog must be > 1: " + backlog);
        }
        if (workerThreads <= 0) {
            throw new IllegalArgumentException("workerThreads must be > 0: " + workerThreads);
        }
        if (shards < 1 || shards > MAX_SHARDS) {
            throw new IllegalArgumentException("shards must be in [1, " + MAX_SHARDS + "]: " + shards);
        }
        if (maxHandshakes < 0) {
            throw new IllegalArgumentException("maxHandshakes must be >= 0 (0 = backlog / 2): " + maxHandshakes);
        }
        if (maxConnections < 0) {
            throw new IllegalArgumentException("maxConnections must be >= 0 (0 = no limit): " + maxConnections);
        }
        if (interfacePollMillis < 0) {
            throw new IllegalArgumentException("interfacePollMillis must be >= 0 (0 = never): " + interfacePollMillis);
        }
        if (maxHandshakesPerAddress < 0) {
            throw new IllegalArgumentException(
                    "maxHandshakesPerAddress must be >= 0 (0 = no limit): " + maxHandshakesPerAddress);
        }
        if (inboundRateLimit == null) {
            throw new IllegalArgumentException("inboundRateLimit must not be null (InboundRateLimit.off() for none)");
        }
    }

    /**
     * The settings with the default {@link InboundRateLimit}.
     *
     * @param connectTimeoutMillis as above
     * @param portReuse as above
     * @param backlog as above
     * @param workerThreads as above
     * @param shards as above
     * @param maxHandshakes as above
     * @param maxConnections as above
     * @param interfacePollMillis as above
     * @param maxHandshakesPerAddress as above
     */
    public TcpTransportConfig(long connectTimeoutMillis, boolean portReuse, int backlog, int workerThreads,
            int shards, int maxHandshakes, int maxConnections, long interfacePollMillis, int maxHandshakesPerAddress) {
        this(connectTimeoutMillis, portReuse, backlog, workerThreads, shards, maxHandshakes, maxConnections,
                interfacePollMillis, maxHandshakesPerAddress, InboundRateLimit.defaults());
    }

    /**
     * The settings without a per-address handshake limit.
     *
     * @param connectTimeoutMillis as above
     * @param portReuse as above
     * @param backlog as above
     * @param workerThreads as above
     * @param shards as above
     * @param maxHandshakes as above
     * @param maxConnections as above
     * @param interfacePollMillis as above
     */
    public TcpTransportConfig(long connectTimeoutMillis, boolean portReuse, int backlog, int workerThreads,
            int shards, int maxHandshakes, int maxConnections, long interfacePollMillis) {
        this(connectTimeoutMillis, portReuse, backlog, workerThreads, shards, maxHandshakes, maxConnections,
                interfacePollMillis, DEFAULT_MAX_HANDSHAKES_PER_ADDRESS);
    }

    /**
     * The settings of the first version, with the new ones at their defaults.
     *
     * @param connectTimeoutMillis as above
     * @param portReuse as above
     * @param backlog as above
     * @param workerThreads as above
     */
    public TcpTransportConfig(long connectTimeoutMillis, boolean portReuse, int backlog, int workerThreads) {
        this(connectTimeoutMillis, portReuse, backlog, workerThreads, 1, 0, 0, DEFAULT_INTERFACE_POLL_MILLIS);
    }

    /** @return the defaults */
    public static TcpTransportConfig defaults() {
        return new TcpTransportConfig(DEFAULT_CONNECT_TIMEOUT_MILLIS, true, DEFAULT_BACKLOG,
                Runtime.getRuntime().availableProcessors());
    }

    /** @return the handshake limit per listener: {@link #maxHandshakes()}, or backlog / 2 when that is 0 */
    public int effectiveMaxHandshakes() {
        return maxHandshakes > 0 ? maxHandshakes : Math.max(1, backlog / 2);
    }

    /** @return the kernel accept-queue length given to {@code listen(2)}: the other half of the backlog */
    public int acceptQueueLength() {
        return Math.max(1, backlog - backlog / 2);
    }

    /**
     * @param reuse whether dials use a listen port
     * @return a copy with port reuse set
     */
    public TcpTransportConfig withPortReuse(boolean reuse) {
        return new TcpTransportConfig(connectTimeoutMillis, reuse, backlog, workerThreads, shards, maxHandshakes,
                maxConnections, interfacePollMillis, maxHandshakesPerAddress, inboundRateLimit);
    }

    /**
     * @param n listen sockets per address, 1..{@value #MAX_SHARDS}
     * @return a copy with that many shards
     * @throws IllegalArgumentException when out of range
     */
    public TcpTransportConfig withShards(int n) {
        return new TcpTransportConfig(connectTimeoutMillis, portReuse, backlog, workerThreads, n, maxHandshakes,
                maxConnections, interfacePollMillis, maxHandshakesPerAddress, inboundRateLimit);
    }

    /**
     * @param n handshakes per listener at once; 0 = backlog / 2
     * @return a copy with that limit
     * @throws IllegalArgumentException when negative
     */
    public TcpTransportConfig withMaxHandshakes(int n) {
        return new TcpTransportConfig(connectTimeoutMillis, portReuse, backlog, workerThreads, shards, n,
                maxConnections, interfacePollMillis, maxHandshakesPerAddress, inboundRateLimit);
    }

    /**
     * @param n open connections at once; 0 = no limit
     * @return a copy with that limit
     * @throws IllegalArgumentException when negative
     */
    public TcpTransportConfig withMaxConnections(int n) {
        return new TcpTransportConfig(connectTimeoutMillis, portReuse, backlog, workerThreads, shards, maxHandshakes,
                n, interfacePollMillis, maxHandshakesPerAddress, inboundRateLimit);
    }

    /**
     * @param n the backlog (accept queue plus handshakes), > 1
     * @return a copy with that backlog
     * @throws IllegalArgumentException when out of range
     */
    public TcpTransportConfig withBacklog(int n) {
        return new TcpTransportConfig(connectTimeoutMillis, portReuse, n, workerThreads, shards, maxHandshakes,
                maxConnections, interfacePollMillis, maxHandshakesPerAddress, inboundRateLimit);
    }

    /**
     * @param millis interface re-enumeration period in ms; 0 = never
     * @return a copy with that period
     * @throws IllegalArgumentException when negative
     */
    public TcpTransportConfig withInterfacePollMillis(long millis) {
        return new TcpTransportConfig(connectTimeoutMillis, portReuse, backlog, workerThreads, shards, maxHandshakes,
                maxConnections, millis, maxHandshakesPerAddress, inboundRateLimit);
    }

    /**
     * @param n handshakes per listener at once from one remote IP address; 0 = no per-address limit
     * @return a copy with that limit
     * @throws IllegalArgumentException when negative
     */
    public TcpTransportConfig withMaxHandshakesPerAddress(int n) {
        return new TcpTransportConfig(connectTimeoutMillis, portReuse, backlog, workerThreads, shards, maxHandshakes,
                maxConnections, interfacePollMillis, n, inboundRateLimit);
    }

    /**
     * @param limit new inbound connections per remote address over time; {@link InboundRateLimit#off()} for none
     * @return a copy with that limit
     * @throws IllegalArgumentException when null
     */
    public TcpTransportConfig withInboundRateLimit(InboundRateLimit limit) {
        return new TcpTransportConfig(connectTimeoutMillis, portReuse, backlog, workerThreads, shards, maxHandshakes,
                maxConnections, interfacePollMillis, maxHandshakesPerAddress, limit);
    }

    /** @return a builder holding the defaults */
    public static Builder builder() {
        return defaults().toBuilder();
    }

    /** @return a builder holding this configuration's values */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds a {@link TcpTransportConfig}; every value is checked by {@link #build()}. Not thread-safe. */
    public static final class Builder {
        private long connectTimeoutMillis;
        private boolean portReuse;
        private int backlog;
        private int workerThreads;
        private int shards;
        private int maxHandshakes;
        private int maxConnections;
        private long interfacePollMillis;
        private int maxHandshakesPerAddress;
        private InboundRateLimit inboundRateLimit;

        private Builder(TcpTransportConfig c) {
            connectTimeoutMillis = c.connectTimeoutMillis;
            portReuse = c.portReuse;
            backlog = c.backlog;
            workerThreads = c.workerThreads;
            shards = c.shards;
            maxHandshakes = c.maxHandshakes;
            maxConnections = c.maxConnections;
            interfacePollMillis = c.interfacePollMillis;
            maxHandshakesPerAddress = c.maxHandshakesPerAddress;
            inboundRateLimit = c.inboundRateLimit;
        }

        /**
         * @param millis time limit of a TCP connect, in ms, in (0, 2^31)
         * @return this builder
         */
        public Builder connectTimeoutMillis(long millis) {
            this.connectTimeoutMillis = millis;
            return this;
        }

        /**
         * @param reuse whether dials use a listen port (SO_REUSEPORT)
         * @return this builder
         */
        public Builder portReuse(boolean reuse) {
            this.portReuse = reuse;
            return this;
        }

        /**
         * @param n the backlog (accept queue plus handshakes), &gt; 1
         * @return this builder
         */
        public Builder backlog(int n) {
            this.backlog = n;
            return this;
        }

        /**
         * @param n event-loop threads for connections, &gt; 0
         * @return this builder
         */
        public Builder workerThreads(int n) {
            this.workerThreads = n;
            return this;
        }

        /**
         * @param n listen sockets per address, 1..{@value #MAX_SHARDS}
         * @return this builder
         */
        public Builder shards(int n) {
            this.shards = n;
            return this;
        }

        /**
         * @param n handshakes per listener at once; 0 = backlog / 2
         * @return this builder
         */
        public Builder maxHandshakes(int n) {
            this.maxHandshakes = n;
            return this;
        }

        /**
         * @param n open connections at once; 0 = no limit
         * @return this builder
         */
        public Builder maxConnections(int n) {
            this.maxConnections = n;
            return this;
        }

        /**
         * @param millis interface re-enumeration period in ms; 0 = never
         * @return this builder
         */
        public Builder interfacePollMillis(long millis) {
            this.interfacePollMillis = millis;
            return this;
        }

        /**
         * @param n handshakes in progress from one remote IP address at once; 0 = no per-address limit
         * @return this builder
         */
        public Builder maxHandshakesPerAddress(int n) {
            this.maxHandshakesPerAddress = n;
            return this;
        }

        /**
         * @param limit new inbound connections per remote address over time; {@link InboundRateLimit#off()} for none
         * @return this builder
         */
        public Builder inboundRateLimit(InboundRateLimit limit) {
            this.inboundRateLimit = limit;
            return this;
        }

        /**
         * @return the validated configuration
         * @throws IllegalArgumentException naming the first value out of range
         */
        public TcpTransportConfig build() {
            return new TcpTransportConfig(connectTimeoutMillis, portReuse, backlog, workerThreads, shards,
                    maxHandshakes, maxConnections, interfacePollMillis, maxHandshakesPerAddress, inboundRateLimit);
        }
    }
}
