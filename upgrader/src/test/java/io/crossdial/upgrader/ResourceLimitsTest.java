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

    private static void assertRefused(Scope scope, Limit limit, long value, Runnable reservation) {
        ResourceLimitExceededException e = assertThrows(ResourceLimitExceededException.class, reservation::run);
        assertEquals(scope, e.scope());
        assertEquals(limit, e.limit());
        assertEquals(value, e.value());
    }
}
