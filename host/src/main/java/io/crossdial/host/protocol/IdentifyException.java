package io.crossdial.host.protocol;

/** A failure of the identify protocol (`/ipfs/id/1.0.0`); see {@link #reason()}. */
public final class IdentifyException extends StreamProtocolException {
    private static final long serialVersionUID = 1L;

    /**
     * @param reason what went wrong
     * @param message what failed, naming the protocol step
     */
    public IdentifyException(Reason reason, String message) {
        super(reason, message, null);
    }

    /**
     * @param reason what went wrong
     * @param message what failed, naming the protocol step
     * @param cause the underlying failure
     */
    public IdentifyException(Reason reason, String message, Throwable cause) {
        super(reason, message, cause);
    }
}
