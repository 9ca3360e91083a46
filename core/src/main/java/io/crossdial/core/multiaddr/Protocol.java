package io.crossdial.core.multiaddr;

/**
 * The multiaddr protocols crossdial understands, with their multicodec codes and value sizes from the
 * multiformats multiaddr protocol table. A fixed-size value is written as is; a variable-size value
 * ({@link #VARIABLE}) is prefixed with its byte length as an unsigned varint.
 *
 * <pre>
 *   name   code  (varint bytes)  value
 *   ip4       4  04              4 bytes, network order
 *   tcp       6  06              2 bytes, big-endian port
 *   ip6      41  29              16 bytes, network order
 *   dns      53  35              varint length + UTF-8 name
 *   dns4     54  36              varint length + UTF-8 name
 *   dns6     55  37              varint length + UTF-8 name
 *   udp     273  91 02           2 bytes, big-endian port
 *   p2p     421  a5 03           varint length + peer ID multihash
 *   p2p-circuit 290  a2 02       no value (a relayed hop, libp2p/specs relay/circuit-v2.md)
 * </pre>
 *
 * Any other protocol is rejected with {@link MultiaddrException}.
 */
public enum Protocol {
    /** IPv4 address, code 4, 32 bits. */
    IP4(4, 32, "ip4"),
    /** TCP port, code 6, 16 bits. */
    TCP(6, 16, "tcp"),
    /** IPv6 address, code 41, 128 bits. */
    IP6(41, 128, "ip6"),
    /** A DNS name resolved to IPv4 and/or IPv6, code 53, variable size. */
    DNS(53, Protocol.VARIABLE, "dns"),
    /** A DNS name resolved to IPv4 only, code 54, variable size. */
    DNS4(54, Protocol.VARIABLE, "dns4"),
    /** A DNS name resolved to IPv6 only, code 55, variable size. */
    DNS6(55, Protocol.VARIABLE, "dns6"),
    /**
     * A DNS name whose {@code _dnsaddr.} TXT records ({@code dnsaddr=<multiaddr>}) list the peer's addresses,
     * code 56, variable size (multiformats/multiaddr {@code protocols/DNSADDR.md}).
     */
    DNSADDR(56, Protocol.VARIABLE, "dnsaddr"),
    /** UDP port, code 273, 16 bits. */
    UDP(273, 16, "udp"),
    /** A peer ID multihash, code 421, variable size; text base58btc (also accepted as {@code /ipfs} and in CID form). */
    P2P(421, Protocol.VARIABLE, "p2p"),
    /** A circuit relay hop, code 290, no value: {@code /p2p/RELAY/p2p-circuit/p2p/PEER} (relay/circuit-v2.md). */
    P2P_CIRCUIT(290, 0, "p2p-circuit");

    /** The {@link #sizeBits()} of a protocol whose value carries a varint length prefix. */
    public static final int VARIABLE = -1;

    private final int code;
    private final int sizeBits;
    private final String protocolName;

    Protocol(int code, int sizeBits, String protocolName) {
        this.code = code;
        this.sizeBits = sizeBits;
        this.protocolName = protocolName;
    }

    /** @return the multicodec code, written as an unsigned varint before the value */
    public int code() {
        return code;
    }

    /** @return the value size in bits, or {@link #VARIABLE} for length-prefixed values */
    public int sizeBits() {
        return sizeBits;
    }

    /** @return whether the component has no value at all (text {@code /name}, binary: the code alone) */
    public boolean hasNoValue() {
        return sizeBits == 0;
    }

    /** @return whether the value is length-prefixed */
    public boolean isVariableLength() {
        return sizeBits == VARIABLE;
    }

    /** @return the name used in the text form, such as {@code ip4} */
    public String protocolName() {
        return protocolName;
    }

    /**
     * @param code a multicodec code
     * @return the protocol, or null if crossdial does not know it
     */
    static Protocol forCode(long code) {
        for (Protocol p : values()) {
            if (p.code == code) {
                return p;
            }
        }
        return null;
    }

    /**
     * @param name a text-form protocol name; {@code ipfs} is the old name of {@code p2p}
     * @return the protocol, or null if crossdial does not know it
     */
    static Protocol forName(String name) {
        if ("ipfs".equals(name)) {
            return P2P;
        }
        for (Protocol p : values()) {
            if (p.protocolName.equals(name)) {
                return p;
            }
        }
        return null;
    }
}
