package io.crossdial.core.crypto;

import io.crossdial.core.CrossdialException;

/** Thrown when bytes or text are not a valid key, peer ID or CID, or name an unsupported key type. */
public final class KeyFormatException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong */
    public KeyFormatException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong
     * @param cause the underlying failure
     */
    public KeyFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
