package io.crossdial.host.protocol;

/** A failure of the perf protocol (`/perf/1.0.0`); see {@link #reason()}. */
public final class PerfException extends StreamProtocolException {
    private static final long serialVersionUID = 1L;

    /**
     * @param reason what went wrong
     * @param message what failed, naming the protocol step
     */
    public PerfException(Reason reason, String message) {
        super(reason, message, null);
    }

    /**
     * @param reason what went wrong
     * @param message what failed, naming the protocol step
     * @param cause the underlying failure
     */
    public PerfException(Reason reason, String message, Throwable cause) {
        super(reason, message, cause);
    }
}
