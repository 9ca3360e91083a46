package io.crossdial.muxer;

import io.crossdial.core.CrossdialException;

/**
 * A failure of a stream muxer or of one muxed stream: a write beyond the stream's write buffer, a stream
 * that did not drain within its close timeout, or (through subclasses) a protocol error or a reset.
 *
 * <p>{@link #isConnectionError()} says what failed, after Netty's {@code Http2Exception} and its
 * {@code StreamException}: true when the whole connection failed (it is closed, every stream with it),
 * false when only one stream failed (it is reset or its operation refused; the connection goes on).
 */
public class MuxerException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    private final boolean connectionError;

    /**
     * A stream error.
     *
     * @param message what failed, naming the stream or the stage
     */
    public MuxerException(String message) {
        this(message, false, null);
    }

    /**
     * A stream error.
     *
     * @param message what failed, naming the stream or the stage
     * @param cause the underlying failure
     */
    public MuxerException(String message, Throwable cause) {
        this(message, false, cause);
    }

    /**
     * @param message what failed, naming the stream or the stage
     * @param connectionError true when the whole connection failed, false when only one stream did
     * @param cause the underlying failure, or null
     */
    protected MuxerException(String message, boolean connectionError, Throwable cause) {
        super(message, cause);
        this.connectionError = connectionError;
    }

    /** @return true when the whole connection failed and is closed; false when only one stream failed */
    public boolean isConnectionError() {
        return connectionError;
    }
}
