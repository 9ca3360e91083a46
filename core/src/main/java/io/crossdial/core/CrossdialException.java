package io.crossdial.core;

/**
 * Root of every exception crossdial throws for a protocol, input or configuration failure.
 *
 * <p>Each protocol has one subclass (varint, multiaddr, multistream-select, Noise, yamux, ...), so a
 * caller can tell which layer failed by type alone; the message names the stage and the offending part.
 */
public class CrossdialException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, naming the stage or the offending input part */
    public CrossdialException(String message) {
        super(message);
    }

    /**
     * @param message what failed, naming the stage or the offending input part
     * @param cause the underlying failure
     */
    public CrossdialException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * For a failure reported in bulk (a refusal under load, thousands a second), whose message says all and
     * whose stack trace would only cost its capture.
     *
     * @param message what failed, naming the stage or the offending input part
     * @param cause the underlying failure, or null
     * @param writableStackTrace false to record no stack trace
     */
    protected CrossdialException(String message, Throwable cause, boolean writableStackTrace) {
        super(message, cause, true, writableStackTrace);
    }
}
