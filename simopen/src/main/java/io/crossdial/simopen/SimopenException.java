package io.crossdial.simopen;

import io.crossdial.core.CrossdialException;
import java.util.Objects;

/**
 * Simultaneous-open resolution failed: a malformed or unexpected message, equal {@code select:} numbers
 * too many times, both sides claiming the same role, end of input, or the timeout. The message starts
 * with {@code "simultaneous open: "}; {@link #reason()} tells the kind of failure without parsing text. The
 * extension has no wire error codes: the connection is closed.
 */
public final class SimopenException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** The kind of failure. */
    public enum Reason {
        /** A well-formed multistream message that is not allowed here (no header, no {@code select:}). */
        UNEXPECTED_MESSAGE,
        /** A {@code select:} whose number is not an unsigned 64-bit decimal. */
        MALFORMED_SELECT,
        /** Equal {@code select:} numbers in {@value SimultaneousConnect#MAX_SELECT_ROUNDS} rounds. */
        TOO_MANY_TIES,
        /** The remote's role message is not the opposite of ours. */
        ROLE_CONFLICT,
        /** The resolution did not finish within its timeout. */
        TIMEOUT,
        /** The connection or its input closed before the resolution finished. */
        CONNECTION_CLOSED,
        /** A local failure: a write failed or the resolution listener threw. */
        LOCAL_FAILURE
    }

    private final Reason reason;

    /**
     * @param reason the kind of failure
     * @param detail what went wrong
     */
    public SimopenException(Reason reason, String detail) {
        super("simultaneous open: " + detail);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /**
     * @param reason the kind of failure
     * @param detail what went wrong
     * @param cause the underlying failure
     */
    public SimopenException(Reason reason, String detail, Throwable cause) {
        super("simultaneous open: " + detail, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** @return the kind of failure, never null */
    public Reason reason() {
        return reason;
    }
}
