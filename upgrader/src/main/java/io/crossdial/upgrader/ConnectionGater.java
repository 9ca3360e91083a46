package io.crossdial.upgrader;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.spi.Role;
import java.net.SocketAddress;

/**
 * Decides whether a connection may go on once the security handshake has authenticated the remote peer and
 * before the stream muxer is negotiated or installed: the point where go-libp2p's {@code ConnectionGater}
 * calls {@code InterceptSecured}. A denied connection is closed; its upgrade fails with an {@link
 * UpgradeException} at {@link UpgradeStage#GATING} whose cause is a {@link ConnectionGatedException}. A gater
 * that throws denies the connection the same way, with its exception as the suppressed cause.
 *
 * <p>Set one with {@link UpgraderConfig.Builder#connectionGater(ConnectionGater)} (or {@code
 * HostBuilder.connectionGater}); the default, {@link #ALLOW_ALL}, lets every connection through. Both
 * directions are gated: {@code role} says whether this side dialed ({@link Role#INITIATOR}) or was dialed.
 *
 * <p>Thread-safety: one gater serves every connection and is called on each connection's event loop, from
 * several threads at once; it must be thread-safe and must not block (decide from memory: an allow list, a
 * deny list, counters).
 */
@FunctionalInterface
public interface ConnectionGater {
    /** Lets every connection through. */
    ConnectionGater ALLOW_ALL = (remotePeer, remoteAddress, role) -> true;

    /**
     * @param remotePeer the peer ID the security handshake authenticated
     * @param remoteAddress the remote end of the TCP connection (an {@code InetSocketAddress} for TCP)
     * @param role this side's role in the upgrade: {@link Role#INITIATOR} when it dialed (after a
     *     simultaneous open, the role the resolution gave it)
     * @return true to go on with the muxer, false to close the connection
     */
    boolean allowSecured(PeerId remotePeer, SocketAddress remoteAddress, Role role);
}
