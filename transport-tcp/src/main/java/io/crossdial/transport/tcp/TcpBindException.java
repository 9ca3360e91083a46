package io.crossdial.transport.tcp;

import io.crossdial.core.CrossdialException;

/**
 * A listen address could not be bound. The message is one line that names the address, the reason and the
 * fix, e.g. {@code cannot listen on /ip4/127.0.0.1/tcp/80: permission denied for port 80 (ports below 1024
 * need root or CAP_NET_BIND_SERVICE); choose a port >= 1024}.
 */
public final class TcpBindException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** Why a bind failed. */
    public enum Reason {
        /** EACCES: a privileged port without the right to bind it */
        PERMISSION_DENIED,
        /** EADDRINUSE: another socket without SO_REUSEPORT (or another user's) holds the port */
        ADDRESS_IN_USE,
        /** EADDRNOTAVAIL: the address is not one of this host's */
        ADDRESS_NOT_AVAILABLE,
        /** anything else */
        OTHER
    }

    private final Reason reason;

    /**
     * @param reason why
     * @param message the one-line message
     * @param cause the JDK exception
     */
    public TcpBindException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** @return why the bind failed */
    public Reason reason() {
        return reason;
    }
}
