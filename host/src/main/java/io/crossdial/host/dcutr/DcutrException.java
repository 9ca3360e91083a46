package io.crossdial.host.dcutr;

import io.crossdial.core.CrossdialException;

/**
 * A failure of DCUtR ({@value Dcutr#PROTOCOL_ID}, libp2p/specs {@code relay/DCUtR.md}) on one relayed
 * connection. The DCUtR stream has been closed; the relayed connection stays up and usable.
 */
public final class DcutrException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Reason {
        /** A message's length prefix exceeds 4 KiB or is not a valid varint. */
        TOO_LARGE,
        /** The bytes do not parse as a {@code HolePunch} message, or it has no type. */
        MALFORMED,
        /** A message of the wrong type at this point ({@code SYNC} where {@code CONNECT} was due, or the reverse). */
        UNEXPECTED_MESSAGE,
        /** The remote sent no address this side can dial (none, unparsable, relayed, unspecified, too many). */
        NO_ADDRESSES,
        /** No message within the configured time. */
        TIMEOUT,
        /** The stream or the relayed connection closed before the exchange completed. */
        CLOSED,
        /** Every attempt's direct dial failed. */
        DIAL_FAILED,
        /** The remote does not speak DCUtR (the stream could not be opened). */
        UNSUPPORTED
    }

    private final Reason reason;

    /**
     * @param reason what went wrong
     * @param message what failed
     * @param cause the underlying failure, or null
     */
    public DcutrException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** @return what went wrong */
    public Reason reason() {
        return reason;
    }
}
