package io.crossdial.muxer.yamux;

import io.crossdial.muxer.MuxerException;
import java.util.Optional;

/**
 * A yamux failure, carrying the GoAway error code that was sent or received (libp2p/specs {@code
 * yamux/README.md}, "GoAway"; hashicorp/yamux {@code spec.md}): {@link GoAwayCode#PROTOCOL_ERROR} for a
 * malformed or illegal frame, {@link GoAwayCode#INTERNAL_ERROR} for a local failure such as an unanswered
 * keepalive ping or a peer that does not read, {@link GoAwayCode#NORMAL} when an open is refused because
 * the session is closing. {@link #isConnectionError()} is true when the connection failed (GoAway sent or
 * received, connection closed), false when only one operation failed (an {@code openStream} that waited
 * too long for the ACK backlog). A single stream's abort is a {@link io.crossdial.muxer.StreamResetException}.
 */
public class YamuxException extends MuxerException {
    private static final long serialVersionUID = 1L;

    /** The GoAway error codes the spec defines; on the wire in the frame's 32-bit Length field. */
    public enum GoAwayCode {
        /** 0: normal termination. */
        NORMAL(0),
        /** 1: protocol error. */
        PROTOCOL_ERROR(1),
        /** 2: internal error. */
        INTERNAL_ERROR(2);

        private final long wire;

        GoAwayCode(long wire) {
            this.wire = wire;
        }

        /** @return the value in the GoAway frame's Length field */
        public long wire() {
            return wire;
        }

        /** @return the code with {@code wire} as its value, or empty for a value the spec does not define */
        public static Optional<GoAwayCode> fromWire(long wire) {
            for (GoAwayCode c : values()) {
                if (c.wire == wire) {
                    return Optional.of(c);
                }
            }
            return Optional.empty();
        }
    }

    private final long errorCode;

    /**
     * A connection error with a code the spec defines.
     *
     * @param code the GoAway code sent (or received)
     * @param message what failed, naming the frame or the stage
     */
    public YamuxException(GoAwayCode code, String message) {
        this(code.wire(), true, message);
    }

    /**
     * @param errorCode the GoAway error code, 0 to 2^32-1 (a remote may send one the spec does not define)
     * @param connectionError true when the connection failed, false when only one operation did
     * @param message what failed, naming the frame or the stage
     */
    public YamuxException(long errorCode, boolean connectionError, String message) {
        super(message, connectionError, null);
        this.errorCode = errorCode;
    }

    /** @return the GoAway error code on the wire, 0 to 2^32-1 */
    public long errorCode() {
        return errorCode;
    }

    /** @return the code as the spec names it, or empty for a remote's code the spec does not define */
    public Optional<GoAwayCode> code() {
        return GoAwayCode.fromWire(errorCode);
    }
}
