package io.crossdial.host.protocol;

/**
 * The protocol IDs of the application protocols in this package, as multistream-select negotiates them
 * on a stream. Constants only.
 */
public final class ProtocolIds {
    /** Ping, libp2p/specs {@code ping/ping.md}: {@value}. */
    public static final String PING = "/ipfs/ping/1.0.0";
    /** Identify, libp2p/specs {@code identify/README.md}: {@value}. */
    public static final String IDENTIFY = "/ipfs/id/1.0.0";
    /**
     * Identify push, libp2p/specs {@code identify/README.md} "identify/push": the opener sends its Identify
     * message unasked (when its protocols or addresses changed) and closes: {@value}.
     */
    public static final String IDENTIFY_PUSH = "/ipfs/id/push/1.0.0";
    /** Echo, a crossdial test protocol (every byte comes back, then EOF after the remote's EOF): {@value}. */
    public static final String ECHO = "/echo/1.0.0";
    /** Perf, libp2p/specs {@code perf/perf.md}: {@value}. */
    public static final String PERF = "/perf/1.0.0";

    private ProtocolIds() {}
}
