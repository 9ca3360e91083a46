package io.crossdial.muxer;

/**
 * Where one muxed stream is in its life, as {@link AbstractMuxedStreamChannel} tracks it: which side has
 * half-closed, whether the stream was reset, whether the channel is closed. Modelled on rust-yamux's
 * {@code State} ({@code Open, SendClosed, RecvClosed, Closed}) and hashicorp/yamux's {@code streamState}
 * ({@code Established, LocalClose, RemoteClose, Closed, Reset}); the opening handshake (SYN/ACK) is the
 * muxer's business, not this one's.
 *
 * <pre>
 *            FIN written              FIN received
 *   OPEN ------------------> SEND_CLOSED -------------+
 *     |                                               v
 *     +------------------> RECV_CLOSED -----------> BOTH_CLOSED
 *        FIN received                   FIN written
 *
 *   any state but CLOSED --reset sent or received, or the connection gone--> RESET
 *   any state but CLOSED --the channel closes---------------------------> CLOSED
 * </pre>
 *
 * {@code RESET} is the failed state: no frame of any kind is written for the stream any more, and the
 * channel closes right after entering it. {@code CLOSED} is the only terminal state. A transition the
 * table does not have throws {@link IllegalStateException}.
 *
 * <p>What waits rather than what happened is not a state: a FIN or a close requested while writes are still
 * queued are promises held by the channel, and what the application has read is {@link InboundQueue}'s.
 */
enum StreamState {
    /** Both directions open. */
    OPEN,
    /** Our FIN was written; the remote may still send. */
    SEND_CLOSED,
    /** The remote's FIN arrived; we may still send. */
    RECV_CLOSED,
    /** Both FINs: the channel closes once the application has seen EOF. */
    BOTH_CLOSED,
    /** Reset sent or received, or the connection is gone: no more frames; the channel is closing. */
    RESET,
    /** The channel is closed. Terminal. */
    CLOSED;

    /** @return the state after our FIN was written */
    StreamState finSent() {
        return switch (this) {
            case OPEN -> SEND_CLOSED;
            case RECV_CLOSED -> BOTH_CLOSED;
            default -> throw illegal("FIN written");
        };
    }

    /** @return the state after the remote's FIN arrived */
    StreamState finReceived() {
        return switch (this) {
            case OPEN -> RECV_CLOSED;
            case SEND_CLOSED -> BOTH_CLOSED;
            default -> throw illegal("FIN received");
        };
    }

    /** @return {@link #RESET}; a reset stream may be reset again (the connection closing under it) */
    StreamState reset() {
        if (this == CLOSED) {
            throw illegal("reset");
        }
        return RESET;
    }

    /** @return {@link #CLOSED} */
    StreamState closed() {
        if (this == CLOSED) {
            throw illegal("channel closed");
        }
        return CLOSED;
    }

    /** @return true until the channel is closed */
    boolean isOpen() {
        return this != CLOSED;
    }

    /** @return true while frames may be written for the stream: neither reset nor closed */
    boolean isLive() {
        return this != RESET && this != CLOSED;
    }

    /** @return true while data and our FIN may be written */
    boolean canWrite() {
        return this == OPEN || this == RECV_CLOSED;
    }

    /** @return true while the remote may send data */
    boolean canReceive() {
        return this == OPEN || this == SEND_CLOSED;
    }

    /** @return true once our FIN was written, until a reset or the close */
    boolean isFinSent() {
        return this == SEND_CLOSED || this == BOTH_CLOSED;
    }

    /** @return true once the remote's FIN arrived, until a reset or the close */
    boolean isFinReceived() {
        return this == RECV_CLOSED || this == BOTH_CLOSED;
    }

    private IllegalStateException illegal(String event) {
        return new IllegalStateException("stream state " + this + ": " + event + " is not allowed here");
    }
}
