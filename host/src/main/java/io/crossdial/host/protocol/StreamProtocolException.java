package io.crossdial.host.protocol;

import io.crossdial.core.CrossdialException;

/**
 * Root of the failures of the application protocols that run on one stream (ping, identify, echo,
 * perf). Each protocol has its own subclass, so a caller can tell which protocol failed by type, and
 * {@link #reason()} tells what went wrong. When one of these is reported the stream has been closed.
 */
public abstract class StreamProtocolException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** What went wrong on the stream. */
    public enum Reason {
        /** No answer or no progress within the configured time. */
        TIMEOUT,
        /** The remote answered with bytes other than the expected ones (ping, echo). */
        MISMATCH,
        /** The remote sent more bytes than the protocol or the configured limit allows. */
        TOO_LARGE,
        /** The bytes do not parse as the protocol's message. */
        MALFORMED,
        /** The stream closed, or the remote half-closed, before the exchange completed. */
        CLOSED,
        /** The local side misused the client (a second concurrent request, a closed client). */
        ILLEGAL_STATE
    }

    private final Reason reason;

    /**
     * @param reason what went wrong
     * @param message what failed, naming the protocol step
     * @param cause the underlying failure, or null
     */
    protected StreamProtocolException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** @return what went wrong */
    public Reason reason() {
        return reason;
    }
}
