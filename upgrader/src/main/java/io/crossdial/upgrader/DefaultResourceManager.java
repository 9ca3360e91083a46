package io.crossdial.upgrader;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.spi.Role;
import io.crossdial.upgrader.ResourceLimitExceededException.Limit;
import io.crossdial.upgrader.ResourceLimitExceededException.Scope;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The {@link ResourceManager} that enforces a {@link ResourceLimits} in the scopes system, peer and connection
 * ({@code specs/reliability.md}, "Resource manager"). A reservation either fits every scope it counts in and
 * is taken in all of them, or is refused with a {@link ResourceLimitExceededException} naming the first
 * limit it would exceed and changes nothing. A peer is forgotten when its last connection closes. Relay
 * reservations are counted whole-process and per IP address, relayed connections whole-process and per peer
 * (as initiator or target), against {@link ResourceLimits#relay()}.
 *
 * <p>Thread-safe: every reservation and release takes one lock for a few counter updates; nothing blocks
 * beyond that.
 */
public final class DefaultResourceManager implements ResourceManager {
    private final ResourceLimits limits;
    private final Object lock = new Object();
    private final Counters system = new Counters();
    private final Map<PeerId, Counters> peers = new HashMap<>();
    private int relayReservations;
    private final Map<InetAddress, Integer> relayReservationsPerIp = new HashMap<>();
    private int relayCircuits;
    private final Map<PeerId, Integer> relayCircuitsPerPeer = new HashMap<>();

    /** @param limits the validated limits */
    public DefaultResourceManager(ResourceLimits limits) {
        if (limits == null) {
            throw new IllegalArgumentException("limits are required");
        }
        this.limits = limits;
    }

    /** @return a manager with {@link ResourceLimits#defaults()} */
    public static DefaultResourceManager withDefaults() {
        return new DefaultResourceManager(ResourceLimits.defaults());
    }

    /** @return the limits enforced */
    public ResourceLimits limits() {
        return limits;
    }

    /** @return what is reserved now, whole process */
    public ResourceUsage usage() {
        synchronized (lock) {
            return system.usage(peers.size());
        }
    }

    /**
     * @param peer a remote peer
     * @return what is reserved now for {@code peer}; {@link ResourceUsage#NONE} when it has no connection
     */
    public ResourceUsage usage(PeerId peer) {
        synchronized (lock) {
            Counters c = peers.get(peer);
            return c == null ? ResourceUsage.NONE : c.usage(1);
        }
    }

    /** @return relay reservations held now */
    public int relayReservations() {
        synchronized (lock) {
            return relayReservations;
        }
    }

    /** @return relayed connections open now */
    public int relayCircuits() {
        synchronized (lock) {
            return relayCircuits;
        }
    }

    @Override
    public RelayResourceLimits relayLimits() {
        return limits.relay();
    }

    @Override
    public RelayScope reserveRelayReservation(PeerId peer, InetAddress address) {
        RelayResourceLimits relay = limits.relay();
        String what = "relay reservation for " + peer + " from " + address.getHostAddress();
        synchronized (lock) {
            if (relayReservations >= relay.maxReservations()) {
                throw new ResourceLimitExceededException(Scope.SYSTEM, Limit.RELAY_RESERVATIONS,
                        relay.maxReservations(), what);
            }
            if (relayReservationsPerIp.getOrDefault(address, 0) >= relay.maxReservationsPerIp()) {
                throw new ResourceLimitExceededException(Scope.IP, Limit.RELAY_RESERVATIONS,
                        relay.maxReservationsPerIp(), what);
            }
            relayReservations++;
            relayReservationsPerIp.merge(address, 1, Integer::sum);
        }
        return new Once(() -> {
            relayReservations--;
            relayReservationsPerIp.computeIfPresent(address, (k, v) -> v == 1 ? null : v - 1);
        });
    }

    @Override
    public RelayScope reserveRelayCircuit(PeerId source, PeerId target) {
        RelayResourceLimits relay = limits.relay();
        String what = "relayed connection " + source + " -> " + target;
        synchronized (lock) {
            if (relayCircuits >= relay.maxCircuits()) {
                throw new ResourceLimitExceededException(Scope.SYSTEM, Limit.RELAY_CIRCUITS, relay.maxCircuits(), what);
            }
            if (relayCircuitsPerPeer.getOrDefault(source, 0) >= relay.maxCircuitsPerPeer()
                    || relayCircuitsPerPeer.getOrDefault(target, 0) >= relay.maxCircuitsPerPeer()) {
                throw new ResourceLimitExceededException(Scope.PEER, Limit.RELAY_CIRCUITS, relay.maxCircuitsPerPeer(),
                        what);
            }
            relayCircuits++;
            relayCircuitsPerPeer.merge(source, 1, Integer::sum);
            relayCircuitsPerPeer.merge(target, 1, Integer::sum);
        }
        return new Once(() -> {
            relayCircuits--;
            relayCircuitsPerPeer.computeIfPresent(source, (k, v) -> v == 1 ? null : v - 1);
            relayCircuitsPerPeer.computeIfPresent(target, (k, v) -> v == 1 ? null : v - 1);
        });
    }

    /** A relay scope that runs its release once, under {@link #lock}. */
    private final class Once implements RelayScope {
        private final Runnable release;
        private boolean closed;

        Once(Runnable release) {
            this.release = release;
        }

        @Override
        public void close() {
            synchronized (lock) {
                if (!closed) {
                    closed = true;
                    release.run();
                }
            }
        }
    }

    @Override
    public ConnectionScope reserveConnection(PeerId remotePeer, SocketAddress remoteAddress, Role direction) {
        boolean inbound = direction == Role.RESPONDER;
        String what = (inbound ? "inbound connection from " : "outbound connection to ") + remotePeer
                + " at " + remoteAddress;
        long memory = limits.connectionMemoryBytes();
        synchronized (lock) {
            Counters peer = peers.get(remotePeer);
            int peerConns = peer == null ? 0 : peer.connections();
            long peerMemory = peer == null ? 0 : peer.memory;
            if (system.connections() >= limits.maxConnections()) {
                throw new ResourceLimitExceededException(Scope.SYSTEM, Limit.CONNECTIONS, limits.maxConnections(), what);
            }
            if (inbound && system.inboundConnections >= limits.maxInboundConnections()) {
                throw new ResourceLimitExceededException(Scope.SYSTEM, Limit.INBOUND_CONNECTIONS,
                        limits.maxInboundConnections(), what);
            }
            if (!inbound && system.outboundConnections >= limits.maxOutboundConnections()) {
                throw new ResourceLimitExceededException(Scope.SYSTEM, Limit.OUTBOUND_CONNECTIONS,
                        limits.maxOutboundConnections(), what);
            }
            if (peerConns >= limits.maxConnectionsPerPeer()) {
                throw new ResourceLimitExceededException(Scope.PEER, Limit.CONNECTIONS,
                        limits.maxConnectionsPerPeer(), what);
            }
            checkMemory(memory, peerMemory, what);
            if (peer == null) {
                peer = new Counters();
                peers.put(remotePeer, peer);
            }
            for (Counters c : new Counters[] {system, peer}) {
                if (inbound) {
                    c.inboundConnections++;
                } else {
                    c.outboundConnections++;
                }
                c.memory += memory;
            }
            return new Connection(remotePeer, peer, inbound, memory);
        }
    }

    private void checkMemory(long bytes, long peerMemory, String what) {
        if (system.memory + bytes > limits.maxMemoryBytes()) {
            throw new ResourceLimitExceededException(Scope.SYSTEM, Limit.MEMORY, limits.maxMemoryBytes(), what);
        }
        if (peerMemory + bytes > limits.maxMemoryPerPeerBytes()) {
            throw new ResourceLimitExceededException(Scope.PEER, Limit.MEMORY, limits.maxMemoryPerPeerBytes(), what);
        }
    }

    /** Counters of one scope; guarded by {@link #lock}. */
    private static final class Counters {
        int inboundConnections;
        int outboundConnections;
        int inboundStreams;
        int outboundStreams;
        long memory;

        int connections() {
            return inboundConnections + outboundConnections;
        }

        int streams() {
            return inboundStreams + outboundStreams;
        }

        ResourceUsage usage(int peerCount) {
            return new ResourceUsage(inboundConnections, outboundConnections, inboundStreams, outboundStreams,
                    memory, peerCount);
        }
    }

    /** One connection's scope; its fields are guarded by {@link #lock}. */
    private final class Connection implements ConnectionScope {
        private final PeerId peerId;
        private final Counters peer;
        private final boolean inbound;
        private final long memory;
        private final Set<Stream> streams = new LinkedHashSet<>();
        private boolean closed;

        Connection(PeerId peerId, Counters peer, boolean inbound, long memory) {
            this.peerId = peerId;
            this.peer = peer;
            this.inbound = inbound;
            this.memory = memory;
        }

        @Override
        public StreamScope reserveStream(Role direction) {
            boolean in = direction == Role.RESPONDER;
            String what = (in ? "inbound stream from " : "outbound stream to ") + peerId;
            long bytes = limits.streamMemoryBytes();
            synchronized (lock) {
                if (closed) {
                    throw new ResourceLimitExceededException(Scope.CONNECTION, Limit.CLOSED, 0, what);
                }
                if (system.streams() >= limits.maxStreams()) {
                    throw new ResourceLimitExceededException(Scope.SYSTEM, Limit.STREAMS, limits.maxStreams(), what);
                }
                if (in && system.inboundStreams >= limits.maxInboundStreams()) {
                    throw new ResourceLimitExceededException(Scope.SYSTEM, Limit.INBOUND_STREAMS,
                            limits.maxInboundStreams(), what);
                }
                if (!in && system.outboundStreams >= limits.maxOutboundStreams()) {
                    throw new ResourceLimitExceededException(Scope.SYSTEM, Limit.OUTBOUND_STREAMS,
                            limits.maxOutboundStreams(), what);
                }
                if (peer.streams() >= limits.maxStreamsPerPeer()) {
                    throw new ResourceLimitExceededException(Scope.PEER, Limit.STREAMS, limits.maxStreamsPerPeer(), what);
                }
                if (streams.size() >= limits.maxStreamsPerConnection()) {
                    throw new ResourceLimitExceededException(Scope.CONNECTION, Limit.STREAMS,
                            limits.maxStreamsPerConnection(), what);
                }
                checkMemory(bytes, peer.memory, what);
                Stream s = new Stream(this, in, bytes);
                streams.add(s);
                s.apply(system, 1);
                s.apply(peer, 1);
                return s;
            }
        }

        @Override
        public void close() {
            synchronized (lock) {
                if (closed) {
                    return;
                }
                closed = true;
                for (Stream s : streams) {
                    s.releaseLocked(false);
                }
                streams.clear();
                for (Counters c : new Counters[] {system, peer}) {
                    if (inbound) {
                        c.inboundConnections--;
                    } else {
                        c.outboundConnections--;
                    }
                    c.memory -= memory;
                }
                if (peer.connections() == 0 && peers.get(peerId) == peer) {
                    peers.remove(peerId);
                }
            }
        }
    }

    /** One stream's reservation; guarded by {@link #lock}. */
    private final class Stream implements StreamScope {
        private final Connection connection;
        private final boolean inbound;
        private final long memory;
        private boolean released;

        Stream(Connection connection, boolean inbound, long memory) {
            this.connection = connection;
            this.inbound = inbound;
            this.memory = memory;
        }

        void apply(Counters c, int sign) {
            if (inbound) {
                c.inboundStreams += sign;
            } else {
                c.outboundStreams += sign;
            }
            c.memory += sign * memory;
        }

        void releaseLocked(boolean removeFromConnection) {
            if (released) {
                return;
            }
            released = true;
            apply(system, -1);
            apply(connection.peer, -1);
            if (removeFromConnection) {
                connection.streams.remove(this);
            }
        }

        @Override
        public void close() {
            synchronized (lock) {
                releaseLocked(true);
            }
        }
    }
}
