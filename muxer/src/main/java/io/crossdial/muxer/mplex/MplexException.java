package io.crossdial.muxer.mplex;

import io.crossdial.muxer.MuxerException;

/**
 * An mplex failure, naming its {@link Reason}. mplex has no goodbye frame and no error codes on the wire
 * (libp2p/specs {@code mplex/README.md}): a connection error closes the connection, a stream error resets
 * (ResetReceiver / ResetInitiator) or refuses one stream. {@link #isConnectionError()} is the reason's
 * {@link Reason#connectionError()}. A stream aborted by a reset is a {@link
 * io.crossdial.muxer.StreamResetException}.
 */
public class MplexException extends MuxerException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, and whether it fails the connection or one stream. */
    public enum Reason {
        /** A header or length varint longer than 9 bytes or not minimally encoded. Connection. */
        MALFORMED_VARINT(true),
        /** The unused flag value 7. Connection. */
        UNKNOWN_FLAG(true),
        /** A frame longer than {@link MplexFrame#MAX_MESSAGE_BYTES}. Connection. */
        FRAME_TOO_LONG(true),
        /** A NewStream for a stream the remote already opened. Connection. */
        DUPLICATE_STREAM(true),
        /** The remote opens streams and does not read the resets refusing them. Connection. */
        PEER_NOT_READING(true),
        /** A frame after the decoder failed. Connection. */
        DECODER_FAILED(true),
        /** A stream's reader left more than its limit unread for too long: the stream is reset. Stream. */
        STALLED_READER(false),
        /** openStream on a session that is closed or not installed. Stream (the open is refused). */
        SESSION_CLOSED(false),
        /** openStream after every stream ID was used. Stream (the open is refused). */
        STREAM_IDS_EXHAUSTED(false);

        private final boolean connectionError;

        Reason(boolean connectionError) {
            this.connectionError = connectionError;
        }

        /** @return true when this reason fails the whole connection, false for one stream */
        public boolean connectionError() {
            return connectionError;
        }
    }

    private final Reason reason;

    /**
     * @param reason what went wrong
     * @param message what failed, naming the frame, the stream or the stage
     */
    public MplexException(Reason reason, String message) {
        this(reason, message, null);
    }

    /**
     * @param reason what went wrong
     * @param message what failed, naming the frame, the stream or the stage
     * @param cause the underlying failure (a varint error, for example), or null
     */
    public MplexException(Reason reason, String message, Throwable cause) {
        super(message, reason.connectionError(), cause);
        this.reason = reason;
    }

    /** @return what went wrong */
    public Reason reason() {
        return reason;
    }
}
