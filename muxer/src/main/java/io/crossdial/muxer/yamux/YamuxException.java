package io.crossdial.muxer.yamux;

import io.crossdial.muxer.MuxerException;

/**
 * A yamux session failure, carrying the GoAway error code that was sent (or received): {@link
 * #PROTOCOL_ERROR} for a malformed or illegal frame, {@link #INTERNAL_ERROR} for a local failure such as
 * an unanswered keepalive ping. Always fails the whole connection; a single stream's abort is a {@link
 * io.crossdial.muxer.StreamResetException}.
 */
public class YamuxException extends MuxerException {
    private static final long serialVersionUID = 1L;

    /** GoAway code 0: normal termination. */
    public static final int NORMAL = 0;
    /** GoAway code 1: protocol error. */
    public static final int PROTOCOL_ERROR = 1;
    /** GoAway code 2: internal error. */
    public static final int INTERNAL_ERROR = 2;

    private final long errorCode;

    /**
     * @param errorCode the GoAway error code, 0 to 2^32-1
     * @param message what failed, naming the frame or the stage
     */
    public YamuxException(long errorCode, String message) {
        super(message);
        this.errorCode = errorCode;
    }

    /** @return the GoAway error code: {@link #PROTOCOL_ERROR}, {@link #INTERNAL_ERROR} or a remote's code */
    public long errorCode() {
        return errorCode;
    }
}
