package io.crossdial.simopen;

/** How a simultaneous open was recognised, if it was. */
public enum Detection {
    /** Not a simultaneous open: the remote answered as a listener. */
    NONE,
    /** The remote's first byte was the poison byte 0x00: it is a crossdial dialer too. */
    POISON_BYTE,
    /** The remote proposed {@code /libp2p/simultaneous-connect} where an answer was expected. */
    SPEC_PROPOSAL
}
