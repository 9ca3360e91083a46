package io.crossdial.simopen;

/** How a simultaneous open was recognised, if it was. */
public enum Detection {
    /** Not a simultaneous open: the remote answered as a listener. */
    NONE,
    /** The remote's first byte was the poison byte 0x00: it is a crossdial dialer too. */
    POISON_BYTE,
    /** The remote proposed {@code /libp2p/simultaneous-connect} where an answer was expected. */
    SPEC_PROPOSAL,
    /**
     * The remote is a stock dialer (no poison byte, no {@code /libp2p/simultaneous-connect}): its proposal
     * looked like the echo of ours, and then the first message of its security handshake as initiator (Noise
     * message 1, a TLS ClientHello) arrived where a listener sends nothing. This side went on as the
     * responder on the same connection ({@link StockDialerProbe}).
     */
    STOCK_DIALER
}
