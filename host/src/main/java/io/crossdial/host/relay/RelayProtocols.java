package io.crossdial.host.relay;

/** Protocol IDs and wire bounds of circuit relay v2 (libp2p/specs {@code relay/circuit-v2.md}). */
public final class RelayProtocols {
    /** The hop protocol: clients to the relay (RESERVE, CONNECT). */
    public static final String HOP = "/libp2p/circuit/relay/0.2.0/hop";
    /** The stop protocol: the relay to the reserved peer (CONNECT). */
    public static final String STOP = "/libp2p/circuit/relay/0.2.0/stop";
    /** Largest hop or stop message, length prefix excluded: 4 KiB, as go-libp2p and js-libp2p read them. */
    public static final int MAX_MESSAGE_BYTES = 4096;
    /** The signed-envelope domain of a reservation voucher. */
    public static final String VOUCHER_DOMAIN = "libp2p-relay-rsvp";
    /** The envelope payload type of a reservation voucher: multicodec 0x0302, written as the bytes 03 02. */
    static final byte[] VOUCHER_PAYLOAD_TYPE = {0x03, 0x02};

    private RelayProtocols() {}
}
