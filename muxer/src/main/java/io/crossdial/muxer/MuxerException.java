package io.crossdial.muxer;

import io.crossdial.core.CrossdialException;

/**
 * A failure of a stream muxer or of one muxed stream: a write beyond the stream's write buffer, a stream
 * that did not drain within its close timeout, or (through subclasses) a protocol error or a reset.
 */
public class MuxerException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, naming the stream or the stage */
    public MuxerException(String message) {
        super(message);
    }

    /**
     * @param message what failed, naming the stream or the stage
     * @param cause the underlying failure
     */
    public MuxerException(String message, Throwable cause) {
        super(message, cause);
    }
}
