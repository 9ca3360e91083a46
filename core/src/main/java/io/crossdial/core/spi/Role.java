package io.crossdial.core.spi;

/**
 * A side's role in the upgrade of one connection. The initiator is the multistream-select dialer, the
 * security handshake initiator and the muxer client (yamux odd stream IDs); the responder is the other.
 * Normally the TCP dialer is the initiator; after a TCP simultaneous open the roles are resolved in-band.
 */
public enum Role {
    /** multistream dialer, handshake initiator, muxer client */
    INITIATOR,
    /** multistream listener, handshake responder, muxer server */
    RESPONDER;

    /** @return the other role */
    public Role opposite() {
        return this == INITIATOR ? RESPONDER : INITIATOR;
    }
}
