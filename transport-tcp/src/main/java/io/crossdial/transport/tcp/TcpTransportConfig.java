package io.crossdial.transport.tcp;

/**
 * Validated TCP transport settings; immutable. Defaults: connect timeout 10 000 ms, port reuse on,
 * listen backlog 1024, worker threads = available processors.
 *
 * @param connectTimeoutMillis time limit of a TCP connect, in ms, > 0
 * @param portReuse dial from a listen port of the same address family (SO_REUSEPORT), as NAT traversal wants
 * @param backlog the listen backlog, > 0
 * @param workerThreads event-loop threads for connections, > 0
 */
public record TcpTransportConfig(long connectTimeoutMillis, boolean portReuse, int backlog, int workerThreads) {
    /** Default TCP connect time limit in ms. */
    public static final long DEFAULT_CONNECT_TIMEOUT_MILLIS = 10_000;
    /** Default listen backlog. */
    public static final int DEFAULT_BACKLOG = 1024;

    /** Validates the settings. */
    public TcpTransportConfig {
        if (connectTimeoutMillis <= 0 || connectTimeoutMillis > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("connectTimeoutMillis must be in (0, 2^31): " + connectTimeoutMillis);
        }
        if (backlog <= 0) {
            throw new IllegalArgumentException("backlog must be > 0: " + backlog);
        }
        if (workerThreads <= 0) {
            throw new IllegalArgumentException("workerThreads must be > 0: " + workerThreads);
        }
    }

    /** @return the defaults */
    public static TcpTransportConfig defaults() {
        return new TcpTransportConfig(DEFAULT_CONNECT_TIMEOUT_MILLIS, true, DEFAULT_BACKLOG,
                Runtime.getRuntime().availableProcessors());
    }

    /**
     * @param reuse whether dials use a listen port
     * @return a copy with port reuse set
     */
    public TcpTransportConfig withPortReuse(boolean reuse) {
        return new TcpTransportConfig(connectTimeoutMillis, reuse, backlog, workerThreads);
    }
}
