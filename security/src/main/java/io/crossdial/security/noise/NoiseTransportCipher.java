package io.crossdial.security.noise;

import io.netty.buffer.ByteBuf;

/**
 * One direction of a Noise transport session's cipher ({@code ChaChaPoly}, Noise Protocol Framework
 * section 5.1 {@code CipherState} with empty associated data), on its own: what {@link NoiseSecurityTransport}'s
 * record layer runs for every transport message, exposed so that it can be measured (the bench's
 * {@code NoiseBench}) and tested apart from the handshake. Applications do not need it: they get encrypted
 * connections from {@link NoiseSecurityTransport}.
 *
 * <p>Layout of one transport message body: {@code ciphertext (n bytes) || tag (16 bytes)}, n at most
 * {@value #MAX_PLAINTEXT_BYTES}; the 12-byte AEAD nonce is 4 zero bytes and the 64-bit message counter
 * little-endian.
 *
 * <p>Not thread-safe: one cipher per direction and thread.
 */
public final class NoiseTransportCipher {
    /** Bytes of the Poly1305 tag after each ciphertext. */
    public static final int TAG_BYTES = CipherState.TAG_BYTES;
    /** The most plaintext one transport message carries: 65535 - 16. */
    public static final int MAX_PLAINTEXT_BYTES = NoiseFrames.MAX_PLAINTEXT_BYTES;

    private final CipherState state = new CipherState();

    /**
     * @param key the 32-byte ChaCha20-Poly1305 key (copied); the nonce starts at 0
     * @throws IllegalArgumentException if {@code key} is not 32 bytes
     */
    public NoiseTransportCipher(byte[] key) {
        state.initializeKey(key);
    }

    /**
     * Encrypts {@code length} bytes of {@code in} from {@code index} and appends ciphertext and tag to
     * {@code out}; the nonce advances by one. Neither buffer's reference count nor {@code in}'s indices change.
     *
     * @throws NoiseException if the nonce is exhausted or the cipher fails
     */
    public void encrypt(ByteBuf in, int index, int length, ByteBuf out) {
        state.encrypt(in, index, length, out);
    }

    /**
     * Decrypts all readable bytes of {@code in} (ciphertext and tag) and appends the plaintext to {@code out};
     * the nonce advances by one. Neither buffer's reference count nor {@code in}'s indices change.
     *
     * @throws NoiseException if {@code in} is shorter than the tag, authentication fails or the nonce is
     *     exhausted
     */
    public void decrypt(ByteBuf in, ByteBuf out) {
        state.decrypt(in, out);
    }

    /** @param n the message counter the next message uses (unsigned 64-bit, as a Java long) */
    public void setNonce(long n) {
        state.setNonce(n);
    }
}
