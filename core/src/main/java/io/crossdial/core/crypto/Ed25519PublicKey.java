package io.crossdial.core.crypto;

import java.util.Arrays;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * An Ed25519 public key: the 32-byte RFC 8032 encoding, used as-is as the protobuf {@code Data}.
 * Verification uses BouncyCastle's low-level {@link Ed25519}. Immutable and thread-safe.
 */
final class Ed25519PublicKey implements PublicKey {
    static final int KEY_BYTES = Ed25519.PUBLIC_KEY_SIZE;
    static final int SIGNATURE_BYTES = Ed25519.SIGNATURE_SIZE;

    private final byte[] key;

    /**
     * @param key the 32-byte encoded point
     * @throws KeyFormatException if the length is not 32
     */
    Ed25519PublicKey(byte[] key) {
        if (key.length != KEY_BYTES) {
            throw new KeyFormatException("Ed25519 public key must be " + KEY_BYTES + " bytes, got " + key.length);
        }
        this.key = key.clone();
    }

    @Override
    public KeyType type() {
        return KeyType.ED25519;
    }

    @Override
    public byte[] raw() {
        return key.clone();
    }

    @Override
    public byte[] marshal() {
        return KeyEncoding.marshal(KeyType.ED25519, key);
    }

    @Override
    public boolean verify(byte[] data, byte[] signature) {
        if (signature == null || signature.length != SIGNATURE_BYTES) {
            return false;
        }
        try {
            return Ed25519.verify(signature, 0, key, 0, data, 0, data.length);
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ed25519PublicKey other && Arrays.equals(key, other.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return "Ed25519PublicKey[" + PeerId.fromPublicKey(this) + "]";
    }
}
