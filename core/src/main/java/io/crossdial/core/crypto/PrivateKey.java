package io.crossdial.core.crypto;

/**
 * A libp2p private key (peer-ids spec, "Keys"). Immutable and thread-safe.
 */
public interface PrivateKey {
    /** @return the key type */
    KeyType type();

    /** @return the raw key bytes as they stand in the protobuf {@code Data} field (a fresh copy) */
    byte[] raw();

    /** @return the protobuf {@code PrivateKey} encoding */
    byte[] marshal();

    /** @return the matching public key */
    PublicKey publicKey();

    /**
     * @param data bytes to sign
     * @return the signature (Ed25519: 64 bytes; secp256k1: DER-encoded ECDSA over SHA-256 of {@code data})
     */
    byte[] sign(byte[] data);
}
