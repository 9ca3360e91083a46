package io.crossdial.security.noise;

import io.crossdial.security.noise.NoiseException.Reason;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * A Noise {@code HandshakeState} (Noise Protocol Framework rev 34, section 5.3) for
 * {@code Noise_XX_25519_ChaChaPoly_SHA256}, the only protocol libp2p Noise defines:
 * <pre>
 * XX:
 *   -&gt; e
 *   &lt;- e, ee, s, es
 *   -&gt; s, se
 * </pre>
 * Message layouts (payload {@code P}, 32-byte public keys, 16-byte tags once a key is mixed in):
 * <pre>
 * message 1 (initiator):  e.pub (32) | P (plaintext)
 * message 2 (responder):  e.pub (32) | enc(s.pub) (48) | enc(P) (|P| + 16)
 * message 3 (initiator):  enc(s.pub) (48) | enc(P) (|P| + 16)
 * </pre>
 * DH is X25519 (RFC 7748) with BouncyCastle's low-level {@code rfc7748.X25519}; an all-zero shared secret (a
 * low-order remote key) fails the handshake. After message 3 {@link #split()} yields the transport ciphers.
 *
 * <p>Not thread-safe: one instance per connection, used on its event loop, discarded after the handshake.
 */
final class HandshakeState {
    /** The Noise protocol name libp2p uses. */
    static final String PROTOCOL_NAME = "Noise_XX_25519_ChaChaPoly_SHA256";
    /** {@code DHLEN} of X25519. */
    static final int DH_BYTES = 32;
    /** The number of messages in the XX pattern. */
    static final int MESSAGE_COUNT = 3;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final boolean initiator;
    private final SymmetricState symmetric;
    private final byte[] staticPrivate;
    private final byte[] staticPublic;
    private byte[] ephemeralPrivate;
    private byte[] ephemeralPublic;
    private byte[] remoteStatic;
    private byte[] remoteEphemeral;
    /** Index of the next message of the pattern, 0..3; 3 means the handshake is complete. */
    private int messageIndex;

    /**
     * {@code Initialize(handshake_pattern = XX, initiator, prologue, s, e)}.
     *
     * @param initiator whether this side sends message 1
     * @param prologue bytes both sides mix in first (libp2p uses none)
     * @param staticPrivate the 32-byte X25519 static private key (copied)
     * @param ephemeralPrivate a fixed 32-byte ephemeral private key (copied), or null to draw one at random
     *     when it is needed; fixed keys exist only for known-answer tests
     */
    HandshakeState(boolean initiator, byte[] prologue, byte[] staticPrivate, byte[] ephemeralPrivate) {
        this(initiator, prologue, staticPrivate, null, ephemeralPrivate);
    }

    /**
     * As {@link #HandshakeState(boolean, byte[], byte[], byte[])}, with the static public key already known.
     *
     * @param staticPublic the 32-byte X25519 public key of {@code staticPrivate} (copied), or null to compute it
     */
    HandshakeState(boolean initiator, byte[] prologue, byte[] staticPrivate, byte[] staticPublic,
            byte[] ephemeralPrivate) {
        if (staticPrivate.length != DH_BYTES || (ephemeralPrivate != null && ephemeralPrivate.length != DH_BYTES)
                || (staticPublic != null && staticPublic.length != DH_BYTES)) {
            throw new IllegalArgumentException("X25519 keys are 32 bytes");
        }
        this.initiator = initiator;
        this.symmetric = new SymmetricState(PROTOCOL_NAME);
        this.staticPrivate = staticPrivate.clone();
        this.staticPublic = staticPublic == null ? publicKey(this.staticPrivate) : staticPublic.clone();
        this.ephemeralPrivate = ephemeralPrivate == null ? null : ephemeralPrivate.clone();
        symmetric.mixHash(prologue);
    }

    /** @return a new random 32-byte X25519 private key */
    static byte[] generatePrivateKey() {
        byte[] k = new byte[DH_BYTES];
        X25519.generatePrivateKey(RANDOM, k);
        return k;
    }

    /** @return the X25519 public key of {@code privateKey} */
    static byte[] publicKey(byte[] privateKey) {
        byte[] pub = new byte[DH_BYTES];
        X25519.generatePublicKey(privateKey, 0, pub, 0);
        return pub;
    }

    /** @return whether this side writes the next message */
    boolean isMyTurn() {
        return messageIndex < MESSAGE_COUNT && (messageIndex % 2 == 0) == initiator;
    }

    /** @return whether all three messages were processed */
    boolean isComplete() {
        return messageIndex == MESSAGE_COUNT;
    }

    /** @return how many of the three messages were processed */
    int messagesProcessed() {
        return messageIndex;
    }

    /** @return the local static public key (a copy) */
    byte[] localStaticPublicKey() {
        return staticPublic.clone();
    }

    /** @return the remote static public key (a copy), or null before it was received */
    byte[] remoteStaticPublicKey() {
        return remoteStatic == null ? null : remoteStatic.clone();
    }

    /** @return the handshake hash {@code h} (a copy) */
    byte[] handshakeHash() {
        return symmetric.handshakeHash();
    }

    /**
     * {@code WriteMessage(payload, message_buffer)} for the next message of the pattern.
     *
     * @param payload the payload (plaintext in message 1, encrypted in messages 2 and 3)
     * @return the message bytes
     * @throws IllegalStateException if it is not this side's turn
     */
    byte[] writeMessage(byte[] payload) {
        if (!isMyTurn()) {
            throw new IllegalStateException("not this side's turn to write (message " + (messageIndex + 1) + ")");
        }
        byte[][] parts;
        switch (messageIndex) {
            case 0 -> {
                byte[] e = writeEphemeral();
                parts = new byte[][] {e, symmetric.encryptAndHash(payload)};
            }
            case 1 -> {
                byte[] e = writeEphemeral();
                symmetric.mixKey(dh(ephemeralPrivate, remoteEphemeral)); // ee
                byte[] s = symmetric.encryptAndHash(staticPublic);
                symmetric.mixKey(dh(staticPrivate, remoteEphemeral)); // es (responder side)
                parts = new byte[][] {e, s, symmetric.encryptAndHash(payload)};
            }
            default -> {
                byte[] s = symmetric.encryptAndHash(staticPublic);
                symmetric.mixKey(dh(staticPrivate, remoteEphemeral)); // se (initiator side)
                parts = new byte[][] {s, symmetric.encryptAndHash(payload)};
            }
        }
        messageIndex++;
        return concat(parts);
    }

    /**
     * {@code ReadMessage(message, payload_buffer)} for the next message of the pattern.
     *
     * @param message the message bytes
     * @return the decrypted payload
     * @throws NoiseException if the message is too short, fails authentication or carries a low-order key
     * @throws IllegalStateException if it is this side's turn to write
     */
    byte[] readMessage(byte[] message) {
        if (isMyTurn() || isComplete()) {
            throw new IllegalStateException("not this side's turn to read (message " + (messageIndex + 1) + ")");
        }
        int stage = messageIndex + 1;
        int offset = 0;
        byte[] payload;
        switch (messageIndex) {
            case 0 -> {
                offset = readEphemeral(message, offset, stage);
                payload = symmetric.decryptAndHash(slice(message, offset, message.length - offset));
            }
            case 1 -> {
                offset = readEphemeral(message, offset, stage);
                symmetric.mixKey(dh(ephemeralPrivate, remoteEphemeral)); // ee
                offset = readStatic(message, offset, stage);
                symmetric.mixKey(dh(ephemeralPrivate, remoteStatic)); // es (initiator side)
                payload = readPayload(message, offset, stage);
            }
            default -> {
                offset = readStatic(message, offset, stage);
                symmetric.mixKey(dh(ephemeralPrivate, remoteStatic)); // se (responder side)
                payload = readPayload(message, offset, stage);
            }
        }
        messageIndex++;
        return payload;
    }

    /**
     * {@code Split()} once the handshake is complete.
     *
     * @return {@code [send, receive]} for this side's role
     * @throws IllegalStateException before message 3
     */
    CipherState[] split() {
        if (!isComplete()) {
            throw new IllegalStateException("handshake not complete");
        }
        CipherState[] c = symmetric.split();
        Arrays.fill(staticPrivate, (byte) 0);
        if (ephemeralPrivate != null) {
            Arrays.fill(ephemeralPrivate, (byte) 0);
        }
        return initiator ? new CipherState[] {c[0], c[1]} : new CipherState[] {c[1], c[0]};
    }

    private byte[] writeEphemeral() {
        if (ephemeralPrivate == null) {
            ephemeralPrivate = generatePrivateKey();
        }
        ephemeralPublic = publicKey(ephemeralPrivate);
        symmetric.mixHash(ephemeralPublic);
        return ephemeralPublic.clone();
    }

    private int readEphemeral(byte[] message, int offset, int stage) {
        requireBytes(message, offset, DH_BYTES, stage, "ephemeral key");
        remoteEphemeral = slice(message, offset, DH_BYTES);
        symmetric.mixHash(remoteEphemeral);
        return offset + DH_BYTES;
    }

    private int readStatic(byte[] message, int offset, int stage) {
        int length = DH_BYTES + CipherState.TAG_BYTES;
        requireBytes(message, offset, length, stage, "encrypted static key");
        try {
            remoteStatic = symmetric.decryptAndHash(slice(message, offset, length));
        } catch (NoiseException e) {
            throw new NoiseException(Reason.DECRYPTION_FAILED,
                    "noise: message " + stage + ": static key failed authentication", e);
        }
        return offset + length;
    }

    private byte[] readPayload(byte[] message, int offset, int stage) {
        requireBytes(message, offset, CipherState.TAG_BYTES, stage, "payload tag");
        try {
            return symmetric.decryptAndHash(slice(message, offset, message.length - offset));
        } catch (NoiseException e) {
            throw new NoiseException(Reason.DECRYPTION_FAILED,
                    "noise: message " + stage + ": payload failed authentication", e);
        }
    }

    private static void requireBytes(byte[] message, int offset, int needed, int stage, String what) {
        if (message.length - offset < needed) {
            throw new NoiseException(Reason.MALFORMED_MESSAGE,
                    "noise: message " + stage + " too short: " + message.length
                    + " bytes, no room for the " + needed + "-byte " + what);
        }
    }

    private static byte[] dh(byte[] privateKey, byte[] publicKey) {
        byte[] shared = new byte[DH_BYTES];
        if (!X25519.calculateAgreement(privateKey, 0, publicKey, 0, shared, 0)) {
            throw new NoiseException(Reason.WEAK_KEY,
                    "noise: remote X25519 key is of low order (all-zero shared secret)");
        }
        return shared;
    }

    private static byte[] slice(byte[] b, int offset, int length) {
        return Arrays.copyOfRange(b, offset, offset + length);
    }

    private static byte[] concat(byte[][] parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int i = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, i, p.length);
            i += p.length;
        }
        return out;
    }
}
