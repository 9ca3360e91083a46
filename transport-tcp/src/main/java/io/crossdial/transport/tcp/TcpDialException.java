package io.crossdial.transport.tcp;

import io.crossdial.core.CrossdialException;

/**
 * A TCP dial failed: refused, unreachable, timed out or unresolvable. The message names the multiaddr.
 */
public final class TcpDialException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message one line naming the multiaddr and the reason
     * @param cause the I/O exception
     */
    public TcpDialException(String message, Throwable cause) {
        super(message, cause);
    }
}
