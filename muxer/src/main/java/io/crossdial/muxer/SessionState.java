package io.crossdial.muxer;

/**
 * Where a muxed session ({@link AbstractMuxedSession}) is in its life. Modelled on rust-yamux's
 * connection states ({@code Active, Closing, Closed, Poisoned}):
 *
 * <pre>
 *   ACTIVE --local close (yamux: GoAway 0 sent)--> GOING_AWAY
 *   ACTIVE, GOING_AWAY --protocol error, remote GoAway with an error, keepalive timeout--> FAILED
 *   any state but CLOSED --connection inactive or session handler removed--> CLOSED
 * </pre>
 *
 * Whether the remote sent a normal GoAway is not a state of the session: it only stops new outbound
 * streams (yamux keeps that flag itself). A transition the table does not have throws {@link
 * IllegalStateException}.
 */
public enum SessionState {
    /** Streams open both ways. */
    ACTIVE,
    /** The local side closes: no new streams either way; open streams go on until the connection closes. */
    GOING_AWAY,
    /** A protocol error: frames are dropped, the connection is closing. */
    FAILED,
    /** The connection is closed (or the session handler removed); every stream is closed. Terminal. */
    CLOSED;

    /** @return {@link #GOING_AWAY} */
    public SessionState goAway() {
        if (this != ACTIVE) {
            throw illegal("going away");
        }
        return GOING_AWAY;
    }

    /** @return {@link #FAILED} */
    public SessionState fail() {
        if (this != ACTIVE && this != GOING_AWAY) {
            throw illegal("failing");
        }
        return FAILED;
    }

    /** @return {@link #CLOSED} */
    public SessionState close() {
        if (this == CLOSED) {
            throw illegal("closing");
        }
        return CLOSED;
    }

    /** @return true while frames read are processed: neither failed nor closed */
    public boolean readsFrames() {
        return this == ACTIVE || this == GOING_AWAY;
    }

    private IllegalStateException illegal(String event) {
        return new IllegalStateException("session state " + this + ": " + event + " is not allowed here");
    }
}
