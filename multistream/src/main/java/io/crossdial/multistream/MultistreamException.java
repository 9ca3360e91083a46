package io.crossdial.multistream;

import io.crossdial.core.CrossdialException;
import java.util.Objects;

/**
 * A multistream-select negotiation failed: malformed or oversized input, an unexpected message, no
 * protocol in common, the connection closed early or the negotiation timed out.
 *
 * <p>The message always starts with {@value #MESSAGE_PREFIX}, followed by what failed; {@link #reason()}
 * tells the kind of failure without parsing text. multistream-select has no wire error codes: a failed
 * negotiation is signalled to the peer only by closing the connection.
 */
public final class MultistreamException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** Prefix of every message, naming the stage that failed. */
    public static final String MESSAGE_PREFIX = "multistream-select: ";

    /** The kind of failure. */
    public enum Reason {
        /** Bad length prefix, missing newline, invalid UTF-8 or an invalid protocol ID. */
        MALFORMED_MESSAGE,
        /** A length prefix above {@link MultistreamSelect#MAX_MESSAGE_BYTES}. */
        MESSAGE_TOO_LONG,
        /** A well-formed message that is not allowed in the current state (a wrong header, a wrong echo). */
        UNEXPECTED_MESSAGE,
        /** The listener answered {@code na} to every protocol the dialer proposed. */
        NO_PROTOCOL_IN_COMMON,
        /** More than {@link MultistreamSelect#MAX_PROPOSALS} proposals in one negotiation. */
        TOO_MANY_PROPOSALS,
        /** End of input (connection closed or input shut down) before the negotiation finished. */
        CONNECTION_CLOSED,
        /** The negotiation did not finish within its timeout. */
        TIMEOUT,
        /**
         * The socket failed during the negotiation: a read or a write raised an {@code IOException} (a connection
         * reset by the remote), kept as the cause.
         */
        IO_ERROR,
        /** A local failure: a write failed other than with an {@code IOException}, or the {@link NegotiationListener} threw. */
        LOCAL_FAILURE
    }

    private final Reason reason;

    /**
     * @param reason the kind of failure
     * @param detail what failed; the message becomes {@value #MESSAGE_PREFIX} + detail
     */
    public MultistreamException(Reason reason, String detail) {
        super(MESSAGE_PREFIX + detail);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /**
     * @param reason the kind of failure
     * @param detail what failed; the message becomes {@value #MESSAGE_PREFIX} + detail
     * @param cause the underlying failure
     */
    public MultistreamException(Reason reason, String detail, Throwable cause) {
        super(MESSAGE_PREFIX + detail, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** @return the kind of failure, never null */
    public Reason reason() {
        return reason;
    }
}
