package io.crossdial.host.relay;

import io.crossdial.core.CrossdialException;
import io.crossdial.host.relay.pb.CircuitProtos.Status;

/**
 * A failure of circuit relay v2 on one hop or stop stream (libp2p/specs {@code relay/circuit-v2.md}). When one
 * is reported the stream has been closed (after the status message the spec asks for, where there is one);
 * the connection it ran on stays up.
 */
public final class RelayException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Reason {
        /** A message's length prefix exceeds {@link RelayProtocols#MAX_MESSAGE_BYTES}, or is not a valid varint. */
        TOO_LARGE,
        /** The bytes do not parse as the expected message, or a required field is missing or invalid. */
        MALFORMED,
        /** A message of a type that is not allowed at this point. */
        UNEXPECTED_MESSAGE,
        /** The other side answered with a status other than OK ({@link #status()}). */
        REFUSED,
        /** No message within the configured time. */
        TIMEOUT,
        /** The stream closed before the exchange completed. */
        CLOSED,
        /** A relay bound was reached (reservations, circuits), or the relay refused to serve over a relayed connection. */
        LIMIT
    }

    private final Reason reason;
    private final transient Status status;

    /**
     * @param reason what went wrong
     * @param status the wire status sent or received, or null
     * @param message what failed
     * @param cause the underlying failure, or null
     */
    public RelayException(Reason reason, Status status, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.status = status;
    }

    /** @param reason what went wrong @param message what failed */
    public RelayException(Reason reason, String message) {
        this(reason, null, message, null);
    }

    /** @return what went wrong */
    public Reason reason() {
        return reason;
    }

    /** @return the status code sent to, or received from, the other side; null when none was exchanged */
    public Status status() {
        return status;
    }
}
