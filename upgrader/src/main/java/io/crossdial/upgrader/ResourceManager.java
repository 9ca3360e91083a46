package io.crossdial.upgrader;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.spi.Role;
import java.net.SocketAddress;

/**
 * Accounts for the connections, streams and memory of all connections an upgrader serves, and refuses those
 * beyond its limits: the resource manager of go-libp2p ({@code p2p/host/resource-manager}), reduced to the
 * scopes system, peer and connection ({@code specs/reliability.md}, "Resource manager").
 *
 * <p>The upgrader asks it at {@link UpgradeStage#GATING}, once the security handshake has authenticated the
 * remote peer and the {@link ConnectionGater} has let the connection through, before any stream muxer is
 * negotiated or installed: {@link #reserveConnection} returns the connection's scope or throws
 * {@link ResourceLimitExceededException}, which fails the upgrade at {@link UpgradeStage#GATING} and closes
 * the connection. The upgrader releases the scope when the channel closes, whichever side or failure closed
 * it. Each stream the muxer accepts or the application opens is reserved in that scope
 * ({@link ConnectionScope#reserveStream}) and released when the stream's channel closes; an inbound stream
 * beyond a limit is reset, an outbound one fails its {@code openStream} future with the exception.
 *
 * <p>{@link #UNLIMITED} counts nothing and refuses nothing; {@link DefaultResourceManager} enforces a
 * {@link ResourceLimits}.
 *
 * <p>Thread-safety: one manager serves every connection and is called from every event loop at once;
 * implementations are thread-safe and do not block.
 */
public interface ResourceManager {
    /** Reserves nothing and refuses nothing. */
    ResourceManager UNLIMITED = (remotePeer, remoteAddress, direction) -> new ConnectionScope() {
        @Override
        public StreamScope reserveStream(Role streamDirection) {
            return () -> {};
        }

        @Override
        public void close() {}
    };

    /**
     * Reserves a connection that passed the security handshake.
     *
     * @param remotePeer the authenticated remote peer
     * @param remoteAddress the remote end of the connection
     * @param direction {@link Role#INITIATOR} when this side dialed the connection (outbound),
     *     {@link Role#RESPONDER} when the remote did (inbound); the dial direction, not the upgrade role a
     *     simultaneous open may have resolved
     * @return the connection's scope, to reserve streams in and to close exactly when the connection closes
     * @throws ResourceLimitExceededException when a connection or memory limit of the system or the peer
     *     would be exceeded; nothing is reserved then
     */
    ConnectionScope reserveConnection(PeerId remotePeer, SocketAddress remoteAddress, Role direction);

    /** The reservation of one connection. Closing it releases the connection and every stream still in it. */
    interface ConnectionScope extends AutoCloseable {
        /**
         * Reserves one stream on this connection.
         *
         * @param direction {@link Role#INITIATOR} when this side opened the stream (outbound),
         *     {@link Role#RESPONDER} when the remote did (inbound)
         * @return the stream's reservation, to close exactly when the stream closes
         * @throws ResourceLimitExceededException when a stream or memory limit of the connection, the peer or
         *     the system would be exceeded, or this scope is closed
         */
        StreamScope reserveStream(Role direction);

        /** Releases the connection and its open streams; idempotent. */
        @Override
        void close();
    }

    /** The reservation of one stream. */
    @FunctionalInterface
    interface StreamScope extends AutoCloseable {
        /** Releases the stream; idempotent. */
        @Override
        void close();
    }
}
