package io.crossdial.transport.tcp;

import io.crossdial.core.CrossdialException;

/**
 * A TCP dial failed: refused, unreachable, timed out or unresolvable. The message names the multiaddr.
 */
public final class TcpDialException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    private final boolean fourTupleTaken;

    /**
     * @param message one line naming the multiaddr and the reason
     * @param cause the I/O exception
     */
    public TcpDialException(String message, Throwable cause) {
        this(message, cause, false);
    }

    /**
     * @param message one line naming the multiaddr and the reason
     * @param cause the I/O exception
     * @param fourTupleTaken whether the kernel refused the dial's 4-tuple (see {@link #fourTupleTaken()})
     */
    public TcpDialException(String message, Throwable cause, boolean fourTupleTaken) {
        super(message, cause);
        this.fourTupleTaken = fourTupleTaken;
    }

    /**
     * @return true for a dial from a listen port only ({@link TcpTransport#dialFromListenPort}) that the kernel
     *     refused because a connection with the same local and remote address and port exists (EADDRINUSE,
     *     EADDRNOTAVAIL): in a coordinated simultaneous open, the remote's connection that this host's listener
     *     accepted
     */
    public boolean fourTupleTaken() {
        return fourTupleTaken;
    }
}
