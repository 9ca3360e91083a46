package io.crossdial.host;

import static io.crossdial.host.HostFixture.LOOPBACK_ANY_PORT;
import static io.crossdial.host.HostFixture.WAIT_MILLIS;
import static io.crossdial.host.HostFixture.echo;
import static io.crossdial.host.HostFixture.eventually;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.host.protocol.EchoResponder;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.upgrader.DefaultResourceManager;
import io.crossdial.upgrader.ResourceLimitExceededException;
import io.crossdial.upgrader.ResourceLimits;
import io.crossdial.upgrader.ResourceManager;
import io.crossdial.upgrader.ResourceUsage;
import io.crossdial.upgrader.UpgradeException;
import io.crossdial.upgrader.UpgradeStage;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.CompletableFuture;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** HostBuilder.resourceManager over real loopback hosts (specs/reliability.md, "Resource manager"). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostResourceManagerTest {
    private final List<Host> hosts = new ArrayList<>();
    private final BlockingQueue<Map.Entry<SocketAddress, Throwable>> inboundFailures = new LinkedBlockingQueue<>();

    @AfterEach
    void tearDown() {
        hosts.forEach(Host::close);
    }

    private Host host(ResourceManager rm, boolean recordFailures) {
        HostBuilder b = Host.builder()
                .identity(Keys.generateEd25519())
                .listen(LOOPBACK_ANY_PORT)
                .security(new NoiseSecurityTransport())
                .muxer(new YamuxStreamMuxer())
                .protocol(ProtocolIds.ECHO, connection -> new EchoResponder());
        if (rm != null) {
            b.resourceManager(rm);
        }
        if (recordFailures) {
            b.onInboundFailure((addr, cause) -> inboundFailures.add(Map.entry(addr, cause)));
        }
        Host h = b.build().start();
        hosts.add(h);
        return h;
    }

    private static io.crossdial.core.multiaddr.Multiaddr addr(Host h) {
        return h.listenAddrs().get(0).withPeerId(h.peerId());
    }

    @Test
    void aListenerWithOneInboundConnectionAndOneStreamPerConnectionRefusesTheRestAndReleasesOnClose()
            throws Exception {
        // one inbound connection in all, one stream per connection; the rest generous
        DefaultResourceManager rm = new DefaultResourceManager(new ResourceLimits(100, 1, 100, 10, 100, 100, 100,
                100, 1, 1L << 30, 1L << 30, 4096, 1024));
        Host listener = host(rm, true);
        Host a = host(null, false);
        Host c = host(null, false);

        Connection ac = a.dial(addr(listener)).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(hello, echo(ac, hello));
        assertTrue(eventually(WAIT_MILLIS, () -> rm.usage().inboundStreams() == 0), "echo stream released");

        // The second connection is refused at the gate, naming the limit.
        try {
            c.dial(addr(listener)).get(WAIT_MILLIS, TimeUnit.MILLISECONDS).closeFuture().await(WAIT_MILLIS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException expected) {
            // the dialer sees either a failed upgrade or its connection closed right after it
        }
        Map.Entry<SocketAddress, Throwable> failure = inboundFailures.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        assertNotNull(failure, "the listener reported no failed inbound upgrade");
        UpgradeException e = assertInstanceOf(UpgradeException.class, failure.getValue());
        assertEquals(UpgradeStage.GATING, e.stage());
        ResourceLimitExceededException limit = assertInstanceOf(ResourceLimitExceededException.class, e.getCause());
        assertEquals(ResourceLimitExceededException.Scope.SYSTEM, limit.scope());
        assertEquals(ResourceLimitExceededException.Limit.INBOUND_CONNECTIONS, limit.limit());
        assertEquals(1, limit.value());

        // A held stream takes the connection's one slot: the next stream is reset, the echo fails.
        CompletableFuture<Stream> held = ac.newStream(new ChannelInboundHandlerAdapter(), ProtocolIds.ECHO);
        Stream heldStream = held.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        assertThrows(ExecutionException.class, () -> echo(ac, hello));
        assertEquals(new ResourceUsage(1, 0, 1, 0, 4096 + 1024, 1), rm.usage());
        heldStream.channel().reset();
        assertTrue(eventually(WAIT_MILLIS, () -> rm.usage().inboundStreams() == 0), "held stream released");
        assertArrayEquals(hello, echo(ac, hello));

        ac.close().await(WAIT_MILLIS);
        assertTrue(eventually(WAIT_MILLIS, () -> rm.usage().equals(ResourceUsage.NONE)), "left: " + rm.usage());
    }

    @Test
    void rejectsANullResourceManager() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Host.builder().resourceManager(null));
        assertEquals("resource manager is required (ResourceManager.UNLIMITED for none)", e.getMessage());
    }
}
