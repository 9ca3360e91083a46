package io.crossdial.security.noise;

import io.crossdial.core.crypto.CryptoProvider;
import io.crossdial.security.noise.NoiseException.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Noise {@code CipherState} (Noise Protocol Framework rev 34, section 5.1) for the ChaChaPoly cipher
 * functions (section 12.3): a 32-byte key {@code k} (or none) and a 64-bit nonce {@code n}.
 *
 * <p>The AEAD is {@code ChaCha20-Poly1305} (RFC 8439) from the provider {@link CryptoProvider} has in force
 * (the JDK's or Conscrypt's; both give the same bytes). Its 96-bit nonce is the Noise nonce laid out
 * as:
 * <pre>
 * +----------+----------+----------+----------+------------------------------------------+
 * |    00    |    00    |    00    |    00    | n, 64-bit little-endian (8 bytes)        |
 * +----------+----------+----------+----------+------------------------------------------+
 * </pre>
 * Every ciphertext is the plaintext's length plus a 16-byte Poly1305 tag. Nonce {@code 2^64-1} is reserved
 * (section 5.1): once {@code n} reaches it, encryption and decryption fail with {@link NoiseException}.
 *
 * <p>The JDK {@code Cipher} object is not part of the state: every message initialises a cipher anyway (the
 * nonce changes), so one encrypting and one decrypting {@code Cipher} per thread serve every
 * {@code CipherState} used on that thread, and an idle connection does not hold its own (about 3.8 KB of heap
 * per connection, measured; specs/benchmarks.md, fix 9). The JDK refuses to initialise one {@code Cipher}
 * twice in a row with the same key and nonce; after a failed operation (which leaves {@code n} unchanged, so
 * the same nonce may come again) the thread's ciphers are replaced, and so they are when the provider in force
 * changes ({@link CryptoProvider#generation()}, read once per message).
 *
 * <p>Not thread-safe: one instance per direction of one connection, used on its event loop.
 */
final class CipherState {
    /** Bytes of the Poly1305 authentication tag appended to every ciphertext. */
    static final int TAG_BYTES = 16;
    /** Bytes of a ChaChaPoly key. */
    static final int KEY_BYTES = 32;
    /** Bytes of the AEAD nonce. */
    static final int NONCE_BYTES = 12;
    /** The reserved nonce {@code 2^64-1}, as a Java long. */
    static final long MAX_NONCE = -1L;

    private static final byte[] NO_AD = new byte[0];
    /** Scratch bytes per direction and thread for a native provider: the largest Noise message. */
    private static final int SCRATCH_BYTES = 65535;
    private static final ByteBuffer EMPTY_INPUT = ByteBuffer.allocate(0);

    /**
     * Per thread, one ChaCha20-Poly1305 {@code Cipher} for encryption and one for decryption, initialised
     * afresh for every message (two, so that a connection's two ends in one process, on one event loop, do
     * not initialise one object with the same key and nonce in a row).
     */
    private static final FastThreadLocal<Ciphers> CIPHERS = new FastThreadLocal<>() {
        @Override
        protected Ciphers initialValue() {
            return new Ciphers();
        }
    };

    /**
     * One thread's ciphers and the provider generation they came from; for a native provider also two direct
     * scratch buffers of one transport message each (see {@link #viaDirect}).
     */
    private static final class Ciphers {
        final Cipher[] bySlot = new Cipher[2];
        int generation = Integer.MIN_VALUE;
        boolean nativeProvider;
        ByteBuffer scratchIn;
        ByteBuffer scratchOut;

        /** @return the ciphers, new ones if the provider in force changed since they were made */
        Cipher[] current() {
            int g = CryptoProvider.generation();
            if (g != generation) {
                generation = g;
                bySlot[0] = newCipher();
                bySlot[1] = newCipher();
                nativeProvider = !"jdk".equals(CryptoProvider.active());
            }
            return bySlot;
        }

        ByteBuffer scratchIn(int bytes) {
            if (scratchIn == null || scratchIn.capacity() < bytes) {
                scratchIn = ByteBuffer.allocateDirect(Math.max(bytes, SCRATCH_BYTES));
            }
            return scratchIn.clear().limit(bytes);
        }

        ByteBuffer scratchOut(int bytes) {
            if (scratchOut == null || scratchOut.capacity() < bytes) {
                scratchOut = ByteBuffer.allocateDirect(Math.max(bytes, SCRATCH_BYTES));
            }
            return scratchOut.clear().limit(bytes);
        }
    }

    private SecretKeySpec key;
    private long nonce;

    /** Creates a state with no key (encryption is the identity until {@link #initializeKey}). */
    CipherState() {}

    /**
     * {@code InitializeKey(k)}: sets the key and resets the nonce to 0.
     *
     * @param k 32 key bytes (copied)
     */
    void initializeKey(byte[] k) {
        if (k.length != KEY_BYTES) {
            throw new IllegalArgumentException("ChaChaPoly key must be 32 bytes: " + k.length);
        }
        key = new SecretKeySpec(k.clone(), "ChaCha20");
        nonce = 0;
    }

    private static Cipher newCipher() {
        return CryptoProvider.newChaCha20Poly1305();
    }

    /** @return whether a key is set ({@code HasKey()}) */
    boolean hasKey() {
        return key != null;
    }

    /** @return the next nonce (unsigned 64-bit, as a Java long) */
    long nonce() {
        return nonce;
    }

    /** @param n the next nonce to use ({@code SetNonce(n)}; unsigned 64-bit, as a Java long) */
    void setNonce(long n) {
        nonce = n;
    }

    /**
     * @param n a Noise nonce (unsigned 64-bit)
     * @return the 12-byte AEAD nonce: 4 zero bytes, then {@code n} little-endian
     */
    static byte[] nonceBytes(long n) {
        byte[] iv = new byte[NONCE_BYTES];
        for (int i = 0; i < 8; i++) {
            iv[4 + i] = (byte) (n >>> (8 * i));
        }
        return iv;
    }

    /**
     * {@code EncryptWithAd(ad, plaintext)}: returns the plaintext unchanged (a copy) when there is no key.
     *
     * @param ad associated data
     * @param plaintext bytes to encrypt
     * @return ciphertext and tag ({@code plaintext.length + 16} bytes)
     * @throws NoiseException if the nonce is exhausted
     */
    byte[] encryptWithAd(byte[] ad, byte[] plaintext) {
        if (key == null) {
            return plaintext.clone();
        }
        Cipher cipher = init(Cipher.ENCRYPT_MODE, ad);
        try {
            byte[] out = cipher.doFinal(plaintext);
            nonce++;
            return out;
        } catch (GeneralSecurityException e) {
            throw new NoiseException(Reason.LOCAL_FAILURE, "noise: encryption failed", e);
        }
    }

    /**
     * {@code DecryptWithAd(ad, ciphertext)}: returns the ciphertext unchanged (a copy) when there is no key.
     * The nonce advances only on success.
     *
     * @param ad associated data
     * @param ciphertext ciphertext and tag
     * @return the plaintext ({@code ciphertext.length - 16} bytes)
     * @throws NoiseException if the ciphertext is shorter than the tag, fails authentication, or the nonce
     *     is exhausted
     */
    byte[] decryptWithAd(byte[] ad, byte[] ciphertext) {
        if (key == null) {
            return ciphertext.clone();
        }
        if (ciphertext.length < TAG_BYTES) {
            throw new NoiseException(Reason.MALFORMED_MESSAGE,
                    "noise: ciphertext of " + ciphertext.length + " bytes is shorter than the tag");
        }
        Cipher cipher = init(Cipher.DECRYPT_MODE, ad);
        try {
            byte[] out = cipher.doFinal(ciphertext);
            nonce++;
            return out;
        } catch (AEADBadTagException e) {
            discardCipher();
            throw new NoiseException(Reason.DECRYPTION_FAILED, "noise: decryption failed (bad authentication tag)", e);
        } catch (GeneralSecurityException e) {
            discardCipher();
            throw new NoiseException(Reason.DECRYPTION_FAILED, "noise: decryption failed", e);
        }
    }

    /**
     * Encrypts {@code length} readable bytes of {@code in} starting at {@code index} with empty associated
     * data (a Noise transport message) and appends ciphertext and tag to {@code out}. Neither buffer's
     * reference count nor {@code in}'s indices change. A composite {@code in} is encrypted component by
     * component (one AEAD run, no copy of the plaintext).
     *
     * @throws NoiseException if there is no key or the nonce is exhausted
     */
    void encrypt(ByteBuf in, int index, int length, ByteBuf out) {
        requireKey();
        Cipher cipher = init(Cipher.ENCRYPT_MODE, NO_AD);
        out.ensureWritable(length + TAG_BYTES);
        if (viaDirect()) {
            try {
                nativeDoFinal(cipher, in, index, length, out, length + TAG_BYTES);
                nonce++;
            } catch (GeneralSecurityException e) {
                discardCipher();
                throw new NoiseException(Reason.LOCAL_FAILURE, "noise: encryption failed", e);
            }
            return;
        }
        if (out.hasArray()) {
            // Array path: the JDK's ByteBuffer path allocates a temporary array per message and copies through
            // it; here a direct plaintext is copied once into out's array and encrypted in place.
            byte[] dstArray = out.array();
            int dstOffset = out.arrayOffset() + out.writerIndex();
            byte[] srcArray = dstArray;
            int srcOffset = dstOffset;
            if (in.hasArray()) {
                srcArray = in.array();
                srcOffset = in.arrayOffset() + index;
            } else {
                in.getBytes(index, dstArray, dstOffset, length);
            }
            try {
                int written = cipher.doFinal(srcArray, srcOffset, length, dstArray, dstOffset);
                out.writerIndex(out.writerIndex() + written);
                nonce++;
            } catch (GeneralSecurityException e) {
                discardCipher();
                throw new NoiseException(Reason.LOCAL_FAILURE, "noise: encryption failed", e);
            }
            return;
        }
        ByteBuffer dst = out.nioBuffer(out.writerIndex(), length + TAG_BYTES);
        try {
            int written;
            if (in.nioBufferCount() == 1) {
                written = cipher.doFinal(in.nioBuffer(index, length), dst);
            } else {
                written = 0;
                for (ByteBuffer segment : in.nioBuffers(index, length)) {
                    written += cipher.update(segment, dst);
                }
                written += cipher.doFinal(EMPTY_INPUT.duplicate(), dst);
            }
            out.writerIndex(out.writerIndex() + written);
            nonce++;
        } catch (GeneralSecurityException e) {
            discardCipher();
            throw new NoiseException(Reason.LOCAL_FAILURE, "noise: encryption failed", e);
        }
    }

    /**
     * Decrypts all readable bytes of {@code in} (ciphertext and tag, empty associated data) and appends the
     * plaintext to {@code out}. Neither buffer's reference count nor {@code in}'s indices change.
     *
     * @throws NoiseException if there is no key, the input is shorter than the tag, authentication fails
     *     or the nonce is exhausted
     */
    void decrypt(ByteBuf in, ByteBuf out) {
        requireKey();
        int length = in.readableBytes();
        if (length < TAG_BYTES) {
            throw new NoiseException(Reason.MALFORMED_MESSAGE,
                    "noise: transport message of " + length + " bytes is shorter than the 16-byte tag");
        }
        Cipher cipher = init(Cipher.DECRYPT_MODE, NO_AD);
        if (viaDirect()) {
            out.ensureWritable(length - TAG_BYTES);
            try {
                nativeDoFinal(cipher, in, in.readerIndex(), length, out, length - TAG_BYTES);
                nonce++;
            } catch (AEADBadTagException e) {
                discardCipher();
                throw new NoiseException(Reason.DECRYPTION_FAILED,
                        "noise: transport message " + Long.toUnsignedString(nonce)
                        + " failed authentication", e);
            } catch (GeneralSecurityException e) {
                discardCipher();
                throw new NoiseException(Reason.DECRYPTION_FAILED, "noise: decryption failed", e);
            }
            return;
        }
        if (out.hasArray()) {
            // Array path (see encrypt): a direct ciphertext is copied once into out's array (room for the tag
            // too, which is never exposed: writerIndex only moves by the plaintext length) and decrypted in place.
            out.ensureWritable(length);
            byte[] dstArray = out.array();
            int dstOffset = out.arrayOffset() + out.writerIndex();
            byte[] srcArray = dstArray;
            int srcOffset = dstOffset;
            if (in.hasArray()) {
                srcArray = in.array();
                srcOffset = in.arrayOffset() + in.readerIndex();
            } else {
                in.getBytes(in.readerIndex(), dstArray, dstOffset, length);
            }
            try {
                int written = cipher.doFinal(srcArray, srcOffset, length, dstArray, dstOffset);
                out.writerIndex(out.writerIndex() + written);
                nonce++;
            } catch (AEADBadTagException e) {
                discardCipher();
                throw new NoiseException(Reason.DECRYPTION_FAILED,
                        "noise: transport message " + Long.toUnsignedString(nonce)
                        + " failed authentication", e);
            } catch (GeneralSecurityException e) {
                discardCipher();
                throw new NoiseException(Reason.DECRYPTION_FAILED, "noise: decryption failed", e);
            }
            return;
        }
        out.ensureWritable(length - TAG_BYTES);
        ByteBuffer dst = out.nioBuffer(out.writerIndex(), length - TAG_BYTES);
        try {
            int written = cipher.doFinal(in.nioBuffer(in.readerIndex(), length), dst);
            out.writerIndex(out.writerIndex() + written);
            nonce++;
        } catch (AEADBadTagException e) {
            discardCipher();
            throw new NoiseException(Reason.DECRYPTION_FAILED,
                    "noise: transport message " + Long.toUnsignedString(nonce)
                    + " failed authentication", e);
        } catch (GeneralSecurityException e) {
            discardCipher();
            throw new NoiseException(Reason.DECRYPTION_FAILED, "noise: decryption failed", e);
        }
    }

    /**
     * A native provider (Conscrypt) pins or copies the whole Java array it is handed, and a pooled heap buffer
     * is a slice of a chunk of megabytes: measured, a 64 KiB message through pooled heap buffers took 230-570 us
     * against 29-55 us direct (specs/benchmarks.md, "Crypto provider"). So with a native provider every message
     * whose input or output is not one direct buffer goes through this thread's direct scratch buffers.
     *
     * @return whether {@link #nativeDoFinal} is the path (the provider in force on this thread is native)
     */
    private static boolean viaDirect() {
        return CIPHERS.get().nativeProvider;
    }

    /**
     * One AEAD run from {@code length} bytes of {@code in} at {@code index} into {@code out}'s writable bytes,
     * direct buffers as they are, anything else through this thread's direct scratch buffers; moves
     * {@code out}'s writer index by the bytes written (at most {@code maxOut}).
     */
    private static void nativeDoFinal(Cipher cipher, ByteBuf in, int index, int length, ByteBuf out, int maxOut)
            throws GeneralSecurityException {
        Ciphers cs = CIPHERS.get();
        ByteBuffer src;
        if (in.isDirect() && in.nioBufferCount() == 1) {
            src = in.nioBuffer(index, length);
        } else {
            src = cs.scratchIn(length);
            in.getBytes(index, src);
            src.flip();
        }
        boolean directOut = out.isDirect() && out.nioBufferCount() == 1;
        ByteBuffer dst = directOut ? out.nioBuffer(out.writerIndex(), maxOut) : cs.scratchOut(maxOut);
        int written = cipher.doFinal(src, dst);
        if (!directOut) {
            dst.flip();
            out.setBytes(out.writerIndex(), dst);
        }
        out.writerIndex(out.writerIndex() + written);
    }

    private void requireKey() {
        if (key == null) {
            throw new IllegalStateException("cipher state has no key");
        }
    }

    /** Replaces this thread's ciphers after a failure. */
    private static void discardCipher() {
        CIPHERS.get().generation = Integer.MIN_VALUE;
    }

    /** @return this thread's cipher, initialised for the current nonce, with {@code ad} as associated data */
    private Cipher init(int mode, byte[] ad) {
        if (nonce == MAX_NONCE) {
            throw new NoiseException(Reason.NONCE_EXHAUSTED,
                    "noise: nonce exhausted (2^64-1 messages in one direction)");
        }
        Cipher[] ciphers = CIPHERS.get().current();
        int slot = mode == Cipher.ENCRYPT_MODE ? 0 : 1;
        Cipher cipher = ciphers[slot];
        IvParameterSpec iv = new IvParameterSpec(nonceBytes(nonce));
        try {
            try {
                cipher.init(mode, key, iv);
            } catch (InvalidKeyException | java.security.InvalidAlgorithmParameterException e) {
                // the provider refuses the key and nonce of this object's previous initialisation; the nonce
                // discipline here never repeats (k, n) for one key, so only another state with the same key
                // on this thread can have used them: a fresh object has no previous initialisation
                cipher = newCipher();
                ciphers[slot] = cipher;
                cipher.init(mode, key, iv);
            }
        } catch (GeneralSecurityException e) {
            throw new NoiseException(Reason.LOCAL_FAILURE, "noise: cipher initialisation failed", e);
        }
        if (ad.length > 0) {
            cipher.updateAAD(ad);
        }
        return cipher;
    }

    /** Forgets the key. */
    void destroy() {
        key = null;
    }

    @Override
    public String toString() {
        return "CipherState(" + (key == null ? "no key" : "key") + ", n=" + Long.toUnsignedString(nonce) + ")";
    }
}
