package io.crossdial.core.varint;

import io.crossdial.core.CrossdialException;

/**
 * Thrown when bytes are not a valid multiformats unsigned varint: longer than 9 bytes, not minimally
 * encoded, or a value too large for the caller's bound.
 */
public final class VarintException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong with the varint */
    public VarintException(String message) {
        super(message);
    }
}
