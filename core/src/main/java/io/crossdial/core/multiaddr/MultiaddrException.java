package io.crossdial.core.multiaddr;

import io.crossdial.core.CrossdialException;

/**
 * Thrown when text or bytes are not a valid multiaddr, or a multiaddr lacks what an operation needs.
 * The message names the whole input and the offending part, for example
 * {@code invalid multiaddr /ip4/999.1.1.1/tcp/1: bad ip4 address '999.1.1.1'}.
 */
public final class MultiaddrException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the input and the offending part */
    public MultiaddrException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong, naming the input and the offending part
     * @param cause the underlying failure
     */
    public MultiaddrException(String message, Throwable cause) {
        super(message, cause);
    }
}
