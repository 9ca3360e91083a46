package io.crossdial.upgrader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.spi.Role;
import io.crossdial.upgrader.ResourceLimitExceededException.Limit;
import io.crossdial.upgrader.ResourceLimitExceededException.Scope;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.junit.jupiter.api.Test;

class ResourceLimitsTest {
    private static final PeerId A = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
    private static final PeerId B = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
    private static final SocketAddress ADDR = new InetSocketAddress("127.0.0.1", 4001);

    private static ResourceLimits limits(int conns, int inbound, int perPeer, int streams, int perConnection,
            long memory) {
        return new ResourceLimits(conns, inbound, conns, perPeer, streams, streams, streams, streams, perConnection,
                memory, memory, 10, 1);
    }

    @Test
    void rejectsLimitsThatAreNotPositiveOrExceedTheScopeAbove() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> limits(0, 1, 1, 1, 1, 100));
        assertEquals("maxConnections must be > 0: 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> limits(2, 3, 1, 1, 1, 100));
        assertEquals("maxInboundConnections must be within 1..2 (maxConnections): 3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> limits(2, 2, 1, 4, 5, 100));
        assertEquals("maxStreamsPerConnection must be within 1..4 (maxStreamsPerPeer): 5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ResourceLimits(1, 1, 1, 1, 1, 1, 1, 1, 1, 100, 100, 101, 0));
        assertEquals("connectionMemoryBytes must be within 0..100 (maxMemoryPerPeerBytes): 101", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ResourceLimits.scaled((16L << 20) - 1));
        assertThrows(IllegalArgumentException.class, () -> new DefaultResourceManager(null));
    }

    @Test
    void defaultsAreGoLibp2psBaseLimitsAndGrowPerGibOfBudget() {
        ResourceLimits base = ResourceLimits.scaled(128L << 20);
        assertEquals(128, base.maxConnections());
        assertEquals(64, base.maxInboundConnections());
        assertEquals(8, base.maxConnectionsPerPeer());
        assertEquals(2048, base.maxStreams());
        assertEquals(1024, base.maxInboundStreams());
        assertEquals(512, base.maxStreamsPerPeer());
        assertEquals(128L << 20, base.maxMemoryBytes());
        assertEquals(256 * 1024, base.streamMemoryBytes());
        ResourceLimits twoGib = ResourceLimits.scaled((128L << 20) + (2L << 30));
        assertEquals(128 * 3, twoGib.maxConnections());
        assertEquals(64 * 3, twoGib.maxInboundConnections());
        assertEquals(2048 * 3, twoGib.maxStreams());
        assertEquals(8L * ResourceLimits.DEFAULT_CONNECTION_MEMORY_BYTES + 512L * 256 * 1024,
                twoGib.maxMemoryPerPeerBytes());
        ResourceLimits halfGibMore = ResourceLimits.scaled((128L << 20) + (512L << 20));
        assertEquals(128 + 64, halfGibMore.maxConnections(), "pro rata, as go-libp2p's AutoScale");
        assertEquals(2048 + 1024, halfGibMore.maxStreams());
        assertEquals(Math.max(ResourceLimits.MIN_DEFAULT_BUDGET_BYTES, Runtime.getRuntime().maxMemory() / 2),
                ResourceLimits.defaults().maxMemoryBytes());
    }

    @Test
    void eachLimitRefusesWithItsScopeAndChangesNothing() {
        DefaultResourceManager rm = new DefaultResourceManager(limits(3, 2, 2, 3, 2, 1000));
        ResourceManager.ConnectionScope a1 = rm.reserveConnection(A, ADDR, Role.RESPONDER);
        ResourceManager.ConnectionScope a2 = rm.reserveConnection(A, ADDR, Role.INITIATOR);
        assertRefused(Scope.PEER, Limit.CONNECTIONS, 2, () -> rm.reserveConnection(A, ADDR, Role.RESPONDER));
        ResourceManager.ConnectionScope b1 = rm.reserveConnection(B, ADDR, Role.RESPONDER);
        assertRefused(Scope.SYSTEM, Limit.CONNECTIONS, 3, () -> rm.reserveConnection(B, ADDR, Role.INITIATOR));
        assertEquals(new ResourceUsage(2, 1, 0, 0, 30, 2), rm.usage());

        ResourceManager.StreamScope s1 = a1.reserveStream(Role.RESPONDER);
        a1.reserveStream(Role.INITIATOR);
        assertRefused(Scope.CONNECTION, Limit.STREAMS, 2, () -> a1.reserveStream(Role.RESPONDER));
        b1.reserveStream(Role.RESPONDER);
        assertRefused(Scope.SYSTEM, Limit.STREAMS, 3, () -> a2.reserveStream(Role.RESPONDER));
        assertEquals(new ResourceUsage(2, 1, 2, 1, 33, 2), rm.usage());
        assertEquals(new ResourceUsage(1, 1, 1, 1, 22, 1), rm.usage(A));

        s1.close();
        s1.close();
        a2.reserveStream(Role.RESPONDER);
        a1.close();
        a1.close();
        assertRefused(Scope.CONNECTION, Limit.CLOSED, 0, () -> a1.reserveStream(Role.RESPONDER));
        assertEquals(new ResourceUsage(0, 1, 1, 0, 11, 1), rm.usage(A));
        a2.close();
        b1.close();
        assertEquals(ResourceUsage.NONE, rm.usage());
        assertEquals(ResourceUsage.NONE, rm.usage(A));
    }

    @Test
    void memoryIsReservedPerConnectionAndStream() {
        DefaultResourceManager rm = new DefaultResourceManager(
                new ResourceLimits(10, 10, 10, 10, 10, 10, 10, 10, 10, 25, 25, 10, 5));
        ResourceManager.ConnectionScope c1 = rm.reserveConnection(A, ADDR, Role.RESPONDER);
        ResourceManager.ConnectionScope c2 = rm.reserveConnection(A, ADDR, Role.RESPONDER);
        c1.reserveStream(Role.RESPONDER);
        assertRefused(Scope.SYSTEM, Limit.MEMORY, 25, () -> c2.reserveStream(Role.RESPONDER));
        assertRefused(Scope.SYSTEM, Limit.MEMORY, 25, () -> rm.reserveConnection(B, ADDR, Role.INITIATOR));
        assertEquals(25, rm.usage().memoryBytes());
        c1.close();
        c2.close();
        assertEquals(ResourceUsage.NONE, rm.usage());
    }

    @Test
    void relayReservationsAreBoundedPerSystemAndPerIpAndReleasedOnce() throws Exception {
        DefaultResourceManager rm = new DefaultResourceManager(ResourceLimits.scaled(128L << 20)
                .withRelay(RelayResourceLimits.DEFAULT.withReservations(3, 2)));
        java.net.InetAddress ip1 = java.net.InetAddress.getByName("198.51.100.1");
        java.net.InetAddress ip2 = java.net.InetAddress.getByName("198.51.100.2");
        PeerId c = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        ResourceManager.RelayScope r1 = rm.reserveRelayReservation(A, ip1);
        rm.reserveRelayReservation(B, ip1);
        assertRefused(Scope.IP, Limit.RELAY_RESERVATIONS, 2, () -> rm.reserveRelayReservation(c, ip1));
        rm.reserveRelayReservation(c, ip2);
        assertRefused(Scope.SYSTEM, Limit.RELAY_RESERVATIONS, 3, () -> rm.reserveRelayReservation(c, ip2));
        assertEquals(3, rm.relayReservations());
        r1.close();
        r1.close();
        assertEquals(2, rm.relayReservations(), "a second close releases nothing more");
        rm.reserveRelayReservation(A, ip1).close();
        assertEquals(2, rm.relayReservations());
    }

    @Test
    void relayCircuitsAreBoundedPerSystemAndPerPeerOnEitherEnd() {
        DefaultResourceManager rm = new DefaultResourceManager(ResourceLimits.scaled(128L << 20)
                .withRelay(RelayResourceLimits.DEFAULT.withCircuits(3, 2)));
        PeerId c = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        PeerId d = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        ResourceManager.RelayScope ab = rm.reserveRelayCircuit(A, B);
        rm.reserveRelayCircuit(c, B);
        assertRefused(Scope.PEER, Limit.RELAY_CIRCUITS, 2, () -> rm.reserveRelayCircuit(d, B));
        assertRefused(Scope.PEER, Limit.RELAY_CIRCUITS, 2, () -> rm.reserveRelayCircuit(B, d));
        rm.reserveRelayCircuit(c, d);
        assertRefused(Scope.SYSTEM, Limit.RELAY_CIRCUITS, 3, () -> rm.reserveRelayCircuit(A, d));
        ab.close();
        ab.close();
        assertEquals(2, rm.relayCircuits());
        rm.reserveRelayCircuit(d, B);
        assertEquals(3, rm.relayCircuits());
        assertEquals(new RelayResourceLimits(128, 8, 3, 2, 120, 128 * 1024), rm.relayLimits());
    }

    @Test
    void relayLimitsDefaultToGoLibp2psAndAreValidated() {
        assertEquals(RelayResourceLimits.DEFAULT, ResourceLimits.defaults().relay());
        assertEquals(new RelayResourceLimits(128, 8, 1024, 16, 120, 131072), RelayResourceLimits.DEFAULT);
        assertEquals(RelayResourceLimits.UNLIMITED, ResourceManager.UNLIMITED.relayLimits());
        assertEquals(ResourceManager.RelayScope.NONE, ResourceManager.UNLIMITED.reserveRelayCircuit(A, B));
        assertEquals("maxReservationsPerIp must be within 1..4 (maxReservations): 5", assertThrows(
                IllegalArgumentException.class, () -> RelayResourceLimits.DEFAULT.withReservations(4, 5)).getMessage());
        assertEquals("maxCircuitsPerPeer must be within 1..1 (maxCircuits): 2", assertThrows(
                IllegalArgumentException.class, () -> RelayResourceLimits.DEFAULT.withCircuits(1, 2)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> RelayResourceLimits.DEFAULT.withCircuitLimit(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> RelayResourceLimits.DEFAULT.withCircuitLimit(1L << 32, 0));
        assertThrows(IllegalArgumentException.class, () -> ResourceLimits.defaults().withRelay(null));
    }

    private static void assertRefused(Scope scope, Limit limit, long value, Runnable reservation) {
        ResourceLimitExceededException e = assertThrows(ResourceLimitExceededException.class, reservation::run);
        assertEquals(scope, e.scope());
        assertEquals(limit, e.limit());
        assertEquals(value, e.value());
    }
}
