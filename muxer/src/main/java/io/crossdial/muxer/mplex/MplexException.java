package io.crossdial.muxer.mplex;

import io.crossdial.muxer.MuxerException;

/**
 * An mplex failure: a malformed frame (a header varint longer than 9 bytes or not minimal, the unused
 * flag value 7, a message longer than {@link MplexFrame#MAX_MESSAGE_BYTES}), a NewStream for a stream that
 * is open, or a stream whose reader stalled the connection too long. A malformed frame fails the whole
 * connection (mplex has no goodbye frame: the connection is closed); a stalled reader only resets its
 * stream. A stream aborted by a reset is a {@link io.crossdial.muxer.StreamResetException}.
 */
public class MplexException extends MuxerException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, naming the frame, the stream or the stage */
    public MplexException(String message) {
        super(message);
    }

    /**
     * @param message what failed, naming the frame, the stream or the stage
     * @param cause the underlying failure (a varint error, for example)
     */
    public MplexException(String message, Throwable cause) {
        super(message, cause);
    }
}
