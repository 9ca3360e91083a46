package io.crossdial.core.crypto;

/**
 * A libp2p peer ID (peer-ids spec, "Peer Ids"): the multihash of a protobuf-encoded public key, the
 * identity multihash when the encoding is at most 42 bytes, sha2-256 otherwise. Text form is base58btc
 * ({@code 12D3KooW...} for Ed25519); CIDv1 with the libp2p-key codec (0x72) is accepted when parsing.
 * Immutable and thread-safe; equal when the multihash bytes are equal.
 */
public final class PeerId {
    private final byte[] multihash;

    private PeerId(byte[] multihash) {
        this.multihash = multihash;
    }

    /**
     * @param key a public key
     * @return the peer ID of that key
     */
    public static PeerId fromPublicKey(PublicKey key) {
        throw new UnsupportedOperationException("TODO");
    }

    /**
     * @param multihash the binary peer ID (a multihash)
     * @return the peer ID
     * @throws KeyFormatException if the bytes are not an identity or sha2-256 multihash
     */
    public static PeerId fromBytes(byte[] multihash) {
        throw new UnsupportedOperationException("TODO");
    }

    /**
     * @param text base58btc multihash or a CIDv1 (multibase-prefixed) with the libp2p-key codec
     * @return the peer ID
     * @throws KeyFormatException if the text is neither
     */
    public static PeerId fromString(String text) {
        throw new UnsupportedOperationException("TODO");
    }

    /** @return the multihash bytes (a fresh copy) */
    public byte[] toBytes() {
        return multihash.clone();
    }

    /** @return the public key inlined in an identity multihash, or null for a sha2-256 peer ID */
    public PublicKey extractPublicKey() {
        throw new UnsupportedOperationException("TODO");
    }

    /** @return the base58btc text form */
    public String toBase58() {
        throw new UnsupportedOperationException("TODO");
    }

    @Override
    public String toString() {
        return toBase58();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerId other && java.util.Arrays.equals(multihash, other.multihash);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(multihash);
    }
}
