package io.crossdial.simopen;

/**
 * Wire constants of simultaneous-open detection and resolution (libp2p/specs {@code connections/simopen.md}
 * r0, and crossdial's poison byte: {@code specs/simopen.md}). Pinned by a test.
 */
public final class SimultaneousConnect {
    /** The multistream protocol ID that announces a simultaneous open. */
    public static final String PROTOCOL_ID = "/libp2p/simultaneous-connect";
    /** Prefix of the tie-break message: {@code select:<unsigned 64-bit decimal>}. */
    public static final String SELECT_PREFIX = "select:";
    /** Sent by the side with the higher number. */
    public static final String INITIATOR = "initiator";
    /** Sent by the side with the lower number. */
    public static final String RESPONDER = "responder";
    /** The urgent byte a dialer from a listen port sends before anything else. */
    public static final int POISON_BYTE = 0x00;
    /** How many times equal numbers are drawn again before giving up (the odds of a second tie are 2^-64). */
    public static final int MAX_SELECT_ROUNDS = 8;
    /** How many pipelined proposals are read and dropped while waiting for {@code select:}. */
    public static final int MAX_DISCARDED_MESSAGES = 4;

    private SimultaneousConnect() {}
}
