package io.crossdial.security.noise;

import io.crossdial.core.CrossdialException;
import java.util.Objects;

/**
 * Any failure of the Noise security transport: a malformed or oversized frame, a failed decryption, a bad
 * handshake payload or signature, a peer ID mismatch, a handshake timeout or EOF during the handshake, or
 * nonce exhaustion. The message starts with {@code "noise: "} and names the stage ("message 2", "transport
 * message", ...); {@link #reason()} tells the kind of failure without parsing text. Noise has no wire error
 * codes: the connection is always closed when the handler raises it.
 */
public final class NoiseException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** The kind of failure. */
    public enum Reason {
        /** A message too short for its tokens or tag, or a handshake payload that does not parse. */
        MALFORMED_MESSAGE,
        /** A frame's length prefix above the handler's limit (at most 65535). */
        FRAME_TOO_LONG,
        /** A ciphertext (handshake static key, payload or transport message) failed authentication. */
        DECRYPTION_FAILED,
        /** The identity key's signature over the static key does not verify. */
        BAD_SIGNATURE,
        /** The remote authenticated as another peer than the one dialed. */
        PEER_ID_MISMATCH,
        /** The remote's X25519 key is of low order. */
        WEAK_KEY,
        /** 2^64-1 transport messages in one direction. */
        NONCE_EXHAUSTED,
        /** The handshake did not finish within its timeout. */
        TIMEOUT,
        /** The connection closed before the handshake finished. */
        CONNECTION_CLOSED,
        /** The socket failed during the handshake. */
        IO_ERROR,
        /** A local failure: a cipher could not be set up, a write failed, the handler was removed. */
        LOCAL_FAILURE
    }

    private final Reason reason;

    /**
     * @param reason the kind of failure
     * @param message what failed, starting with {@code "noise: "}
     */
    public NoiseException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /**
     * @param reason the kind of failure
     * @param message what failed, starting with {@code "noise: "}
     * @param cause the underlying failure
     */
    public NoiseException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** @return the kind of failure, never null */
    public Reason reason() {
        return reason;
    }
}
