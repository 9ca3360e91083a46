package io.crossdial.security.noise;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Noise {@code SymmetricState} (Noise Protocol Framework rev 34, section 5.2) with the SHA256 hash
 * functions (section 12.5): chaining key {@code ck}, handshake hash {@code h} (both 32 bytes) and a
 * {@link CipherState}. {@code HKDF} is the Noise definition (section 4.3) over HMAC-SHA256.
 *
 * <p>Not thread-safe: owned by one {@link HandshakeState}.
 */
final class SymmetricState {
    /** {@code HASHLEN} of SHA-256. */
    static final int HASH_BYTES = 32;

    private final MessageDigest sha256;
    private final Mac hmac;
    private final CipherState cipher = new CipherState();
    private byte[] ck;
    private byte[] h;

    /**
     * {@code InitializeSymmetric(protocol_name)}.
     *
     * @param protocolName the Noise protocol name, ASCII
     */
    SymmetricState(String protocolName) {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
            hmac = Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK provides no SHA-256 or HmacSHA256", e);
        }
        byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
        if (name.length <= HASH_BYTES) {
            h = new byte[HASH_BYTES];
            System.arraycopy(name, 0, h, 0, name.length);
        } else {
            h = sha256.digest(name);
        }
        ck = h.clone();
    }

    /** {@code MixKey(input_key_material)}: {@code ck, temp_k = HKDF(ck, ikm, 2)}; the cipher takes temp_k. */
    void mixKey(byte[] inputKeyMaterial) {
        byte[][] out = hkdf(ck, inputKeyMaterial, 2);
        ck = out[0];
        cipher.initializeKey(out[1]);
    }

    /** {@code MixHash(data)}: {@code h = HASH(h || data)}. */
    void mixHash(byte[] data) {
        sha256.update(h);
        sha256.update(data);
        h = sha256.digest();
    }

    /** @return {@code EncryptAndHash(plaintext)}: the ciphertext, which is then mixed into {@code h} */
    byte[] encryptAndHash(byte[] plaintext) {
        byte[] ciphertext = cipher.encryptWithAd(h, plaintext);
        mixHash(ciphertext);
        return ciphertext;
    }

    /**
     * @return {@code DecryptAndHash(ciphertext)}: the plaintext; the ciphertext is mixed into {@code h}
     * @throws NoiseException if authentication fails
     */
    byte[] decryptAndHash(byte[] ciphertext) {
        byte[] plaintext = cipher.decryptWithAd(h, ciphertext);
        mixHash(ciphertext);
        return plaintext;
    }

    /** @return whether the cipher has a key, i.e. whether static keys and payloads are encrypted */
    boolean hasKey() {
        return cipher.hasKey();
    }

    /** @return the handshake hash {@code h} (a copy) */
    byte[] handshakeHash() {
        return h.clone();
    }

    /**
     * {@code Split()}: derives the two transport cipher states.
     *
     * @return {@code [c1, c2]}: c1 encrypts initiator-to-responder messages, c2 the other direction
     */
    CipherState[] split() {
        byte[][] out = hkdf(ck, new byte[0], 2);
        CipherState c1 = new CipherState();
        CipherState c2 = new CipherState();
        c1.initializeKey(out[0]);
        c2.initializeKey(out[1]);
        cipher.destroy();
        return new CipherState[] {c1, c2};
    }

    /**
     * Noise {@code HKDF(chaining_key, input_key_material, num_outputs)} (section 4.3).
     *
     * @return 2 or 3 outputs of 32 bytes each
     */
    byte[][] hkdf(byte[] chainingKey, byte[] inputKeyMaterial, int outputs) {
        byte[] tempKey = hmac(chainingKey, inputKeyMaterial);
        byte[][] out = new byte[outputs][];
        byte[] previous = new byte[0];
        for (int i = 0; i < outputs; i++) {
            byte[] input = new byte[previous.length + 1];
            System.arraycopy(previous, 0, input, 0, previous.length);
            input[previous.length] = (byte) (i + 1);
            previous = hmac(tempKey, input);
            out[i] = previous;
        }
        return out;
    }

    private byte[] hmac(byte[] key, byte[] data) {
        try {
            hmac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 rejected a 32-byte key", e);
        }
        return hmac.doFinal(data);
    }
}
