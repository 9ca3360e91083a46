package io.crossdial.core.crypto;

/**
 * Generates, encodes and decodes libp2p keys (peer-ids spec, "Keys"). Ed25519 and secp256k1 are
 * implemented with BouncyCastle. Stateless and thread-safe.
 */
public final class Keys {
    private Keys() {}

    /** @return a new random Ed25519 private key */
    public static PrivateKey generateEd25519() {
        throw new UnsupportedOperationException("TODO");
    }

    /** @return a new random secp256k1 private key */
    public static PrivateKey generateSecp256k1() {
        throw new UnsupportedOperationException("TODO");
    }

    /**
     * @param type the key type
     * @return a new random private key of that type
     * @throws KeyFormatException if the type is not supported
     */
    public static PrivateKey generate(KeyType type) {
        throw new UnsupportedOperationException("TODO");
    }

    /**
     * @param encoded a protobuf {@code PublicKey}
     * @return the key
     * @throws KeyFormatException if the bytes are not a valid key of a supported type
     */
    public static PublicKey unmarshalPublicKey(byte[] encoded) {
        throw new UnsupportedOperationException("TODO");
    }

    /**
     * @param encoded a protobuf {@code PrivateKey}
     * @return the key
     * @throws KeyFormatException if the bytes are not a valid key of a supported type
     */
    public static PrivateKey unmarshalPrivateKey(byte[] encoded) {
        throw new UnsupportedOperationException("TODO");
    }
}
