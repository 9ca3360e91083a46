package io.crossdial.core.spi;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import java.util.List;

/**
 * What a {@link SecurityTransport} needs to secure one connection.
 *
 * @param role initiator or responder of the handshake
 * @param localKey the local identity key
 * @param expectedRemotePeer the peer ID the dialer expects (from the /p2p/ part of the multiaddr), or null
 *     when any peer is acceptable (a listener, or a dial without /p2p/)
 * @param muxerProtocols the stream muxers the local side supports, in preference order, for security
 *     transports that negotiate the muxer inside their handshake (Noise extensions, TLS ALPN); may be empty
 * @param handshakeTimeoutMillis the handshake's time limit in milliseconds, greater than 0
 */
public record SecurityContext(
        Role role,
        PrivateKey localKey,
        PeerId expectedRemotePeer,
        List<String> muxerProtocols,
        long handshakeTimeoutMillis) {
    /** Validates and copies the arguments. */
    public SecurityContext {
        if (role == null || localKey == null) {
            throw new IllegalArgumentException("role and localKey are required");
        }
        if (handshakeTimeoutMillis <= 0) {
            throw new IllegalArgumentException("handshakeTimeoutMillis must be > 0: " + handshakeTimeoutMillis);
        }
        muxerProtocols = muxerProtocols == null ? List.of() : List.copyOf(muxerProtocols);
    }
}
