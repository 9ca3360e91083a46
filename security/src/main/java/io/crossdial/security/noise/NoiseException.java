package io.crossdial.security.noise;

import io.crossdial.core.CrossdialException;

/**
 * Any failure of the Noise security transport: a malformed or oversized frame, a failed decryption, a bad
 * handshake payload or signature, a peer ID mismatch, a handshake timeout or EOF during the handshake, or
 * nonce exhaustion. The message starts with {@code "noise: "} and names the stage ("message 2", "transport
 * message", ...). The connection is always closed when the handler raises it.
 */
public final class NoiseException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, starting with {@code "noise: "} */
    public NoiseException(String message) {
        super(message);
    }

    /**
     * @param message what failed, starting with {@code "noise: "}
     * @param cause the underlying failure
     */
    public NoiseException(String message, Throwable cause) {
        super(message, cause);
    }
}
