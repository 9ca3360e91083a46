package io.crossdial.core.crypto;

/**
 * A libp2p public key (peer-ids spec, "Keys"). Immutable and thread-safe.
 */
public interface PublicKey {
    /** @return the key type */
    KeyType type();

    /** @return the raw key bytes as they stand in the protobuf {@code Data} field (a fresh copy) */
    byte[] raw();

    /**
     * The protobuf {@code PublicKey} encoding (deterministic: field 1 then field 2), the form peer IDs hash
     * and Noise and identify carry.
     *
     * @return the encoded key
     */
    byte[] marshal();

    /**
     * @param data the signed bytes
     * @param signature the signature, in the type's format
     * @return whether {@code signature} is valid for {@code data} under this key; malformed signatures give false
     */
    boolean verify(byte[] data, byte[] signature);
}
