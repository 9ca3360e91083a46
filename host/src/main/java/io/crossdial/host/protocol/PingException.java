package io.crossdial.host.protocol;

/** A failure of the ping protocol (`/ipfs/ping/1.0.0`); see {@link #reason()}. */
public final class PingException extends StreamProtocolException {
    private static final long serialVersionUID = 1L;

    /**
     * @param reason what went wrong
     * @param message what failed, naming the protocol step
     */
    public PingException(Reason reason, String message) {
        super(reason, message, null);
    }

    /**
     * @param reason what went wrong
     * @param message what failed, naming the protocol step
     * @param cause the underlying failure
     */
    public PingException(Reason reason, String message, Throwable cause) {
        super(reason, message, cause);
    }
}
