package io.crossdial.core.crypto;

import java.security.MessageDigest;
import java.security.SecureRandom;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * An Ed25519 private key (peer-ids spec, "Ed25519"). The protobuf {@code Data} is written as 64 bytes,
 * {@code seed(32) || public key(32)}; on input 64 bytes (public half checked against the seed), a bare
 * 32-byte seed and the legacy 96-byte {@code seed || public || public} form are accepted.
 * Signing uses BouncyCastle's low-level {@link Ed25519} (pure Ed25519, RFC 8032 section 5.1).
 * Immutable and thread-safe.
 */
final class Ed25519PrivateKey implements PrivateKey {
    static final int SEED_BYTES = Ed25519.SECRET_KEY_SIZE;

    private final byte[] seed;
    private final byte[] publicBytes;
    private final Ed25519PublicKey publicKey;

    private Ed25519PrivateKey(byte[] seed) {
        this.seed = seed;
        this.publicBytes = new byte[Ed25519PublicKey.KEY_BYTES];
        Ed25519.generatePublicKey(seed, 0, publicBytes, 0);
        this.publicKey = new Ed25519PublicKey(publicBytes);
    }

    /**
     * @param random source of the seed
     * @return a new key
     */
    static Ed25519PrivateKey generate(SecureRandom random) {
        byte[] seed = new byte[SEED_BYTES];
        Ed25519.generatePrivateKey(random, seed);
        return new Ed25519PrivateKey(seed);
    }

    /**
     * @param data 32-byte seed, 64-byte {@code seed || public} or legacy 96-byte {@code seed || public || public}
     * @return the key
     * @throws KeyFormatException on another length, or when an included public key does not match the seed
     */
    static Ed25519PrivateKey fromData(byte[] data) {
        if (data.length != SEED_BYTES && data.length != 2 * SEED_BYTES && data.length != 3 * SEED_BYTES) {
            throw new KeyFormatException("Ed25519 private key must be 32, 64 or 96 bytes, got " + data.length);
        }
        byte[] seed = java.util.Arrays.copyOfRange(data, 0, SEED_BYTES);
        Ed25519PrivateKey key = new Ed25519PrivateKey(seed);
        for (int off = SEED_BYTES; off < data.length; off += Ed25519PublicKey.KEY_BYTES) {
            byte[] included = java.util.Arrays.copyOfRange(data, off, off + Ed25519PublicKey.KEY_BYTES);
            if (!MessageDigest.isEqual(included, key.publicBytes)) {
                throw new KeyFormatException("Ed25519 private key: included public key does not match the seed");
            }
        }
        return key;
    }

    @Override
    public KeyType type() {
        return KeyType.ED25519;
    }

    @Override
    public byte[] raw() {
        byte[] out = new byte[SEED_BYTES + Ed25519PublicKey.KEY_BYTES];
        System.arraycopy(seed, 0, out, 0, SEED_BYTES);
        System.arraycopy(publicBytes, 0, out, SEED_BYTES, publicBytes.length);
        return out;
    }

    @Override
    public byte[] marshal() {
        return KeyEncoding.marshal(KeyType.ED25519, raw());
    }

    @Override
    public PublicKey publicKey() {
        return publicKey;
    }

    @Override
    public byte[] sign(byte[] data) {
        byte[] sig = new byte[Ed25519PublicKey.SIGNATURE_BYTES];
        Ed25519.sign(seed, 0, publicBytes, 0, data, 0, data.length, sig, 0);
        return sig;
    }

    @Override
    public String toString() {
        return "Ed25519PrivateKey[" + PeerId.fromPublicKey(publicKey) + "]";
    }
}
