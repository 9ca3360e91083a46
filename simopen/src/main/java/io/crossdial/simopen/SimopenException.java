package io.crossdial.simopen;

import io.crossdial.core.CrossdialException;

/**
 * Simultaneous-open resolution failed: a malformed or unexpected message, equal {@code select:} numbers
 * too many times, both sides claiming the same role, end of input, or the timeout. The message starts
 * with {@code "simultaneous open: "}.
 */
public final class SimopenException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** @param detail what went wrong */
    public SimopenException(String detail) {
        super("simultaneous open: " + detail);
    }

    /**
     * @param detail what went wrong
     * @param cause the underlying failure
     */
    public SimopenException(String detail, Throwable cause) {
        super("simultaneous open: " + detail, cause);
    }
}
