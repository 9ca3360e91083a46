package io.crossdial.upgrader;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.spi.Role;
import java.net.InetAddress;
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
 * <p>A circuit relay v2 server on the host takes its bounds from here too, so that a relay has one set of
 * limits: each reservation it grants is {@link #reserveRelayReservation reserved} and each relayed connection
 * it opens {@link #reserveRelayCircuit reserved}, both released when they end; {@link #relayLimits()} gives the
 * per-circuit duration and data limit it announces and enforces. The streams a circuit splices are ordinary
 * streams of their connections and count as such.
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

    /**
     * Reserves a relay reservation (libp2p/specs {@code relay/circuit-v2.md}, "Reservation") for a peer that
     * asked for one. A refresh of a reservation the peer already holds keeps its scope and reserves nothing.
     * The default reserves nothing and refuses nothing.
     *
     * @param peer the peer the relay would hold the reservation for
     * @param address the IP address the peer is connected from
     * @return the reservation's scope, to close exactly when the reservation ends (expiry, the peer's
     *     connection closing, the relay stopping)
     * @throws ResourceLimitExceededException when the system's or the IP address's reservation limit would be
     *     exceeded ({@link ResourceLimitExceededException.Limit#RELAY_RESERVATIONS}); nothing is reserved then
     */
    default RelayScope reserveRelayReservation(PeerId peer, InetAddress address) {
        return RelayScope.NONE;
    }

    /**
     * Reserves a relayed connection ("circuit") from {@code source} to {@code target} through this host.
     * The default reserves nothing and refuses nothing.
     *
     * @param source the peer that asked for the circuit ({@code CONNECT})
     * @param target the peer it is relayed to
     * @return the circuit's scope, to close exactly when the circuit ends
     * @throws ResourceLimitExceededException when the system's limit or either peer's limit would be exceeded
     *     ({@link ResourceLimitExceededException.Limit#RELAY_CIRCUITS}); nothing is reserved then
     */
    default RelayScope reserveRelayCircuit(PeerId source, PeerId target) {
        return RelayScope.NONE;
    }

    /**
     * @return the relay limits this manager enforces; its per-circuit duration and data limit are what a relay
     *     announces and enforces. The default is {@link RelayResourceLimits#UNLIMITED}.
     */
    default RelayResourceLimits relayLimits() {
        return RelayResourceLimits.UNLIMITED;
    }

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

    /** The reservation of one relay reservation or one circuit. */
    @FunctionalInterface
    interface RelayScope extends AutoCloseable {
        /** Reserves nothing. */
        RelayScope NONE = () -> {};

        /** Releases it; idempotent. */
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
