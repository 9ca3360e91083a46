package io.crossdial.simopen;

/**
 * How a connection dialed from a listen port detects a TCP simultaneous open ({@code specs/simopen.md}).
 */
public enum SimopenMode {
    /** No detection: the dialer runs plain multistream-select. */
    OFF,
    /**
     * crossdial's default: one TCP urgent byte 0x00 ahead of the multistream header. A stock listener never
     * sees it (no SO_OOBINLINE); a crossdial listener drops it; a crossdial dialer that receives it as the
     * first byte knows the remote is a dialer too. No extra message on an ordinary dial.
     */
    POISON_BYTE,
    /**
     * The libp2p simopen spec (r0): propose {@code /libp2p/simultaneous-connect} before the security
     * protocol on every dial, pipelined ({@code header, /libp2p/simultaneous-connect, /noise}); listeners
     * answer {@code na}. For peers that implemented that spec (go-multistream 0.2.2 to 0.4.1).
     */
    SPEC
}
