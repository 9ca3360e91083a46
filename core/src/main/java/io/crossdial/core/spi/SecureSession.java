package io.crossdial.core.spi;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PublicKey;

/**
 * The outcome of a successful security handshake, fired as a user event by the security handler.
 *
 * @param securityProtocol the protocol ID of the security transport, e.g. {@code /noise}
 * @param localPeer the local peer ID
 * @param remotePeer the authenticated remote peer ID
 * @param remoteKey the remote identity key
 * @param earlyMuxer the muxer protocol agreed inside the handshake (Noise extensions, TLS ALPN), or null
 *     when the muxer must be negotiated with multistream-select
 */
public record SecureSession(
        String securityProtocol, PeerId localPeer, PeerId remotePeer, PublicKey remoteKey, String earlyMuxer) {}
