package io.crossdial.host;

import static io.crossdial.host.HostFixture.WAIT_MILLIS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.protocol.EchoResponder;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.upgrader.UpgradeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The host's meters over real loopback connections. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostMetricsTest {
    private final SimpleMeterRegistry dialerMeters = new SimpleMeterRegistry();
    private final SimpleMeterRegistry listenerMeters = new SimpleMeterRegistry();
    private Host dialer;
    private Host listener;

    @AfterEach
    void tearDown() {
        if (dialer != null) {
            dialer.close();
        }
        if (listener != null) {
            listener.close();
        }
    }

    private static Host host(MeterRegistry registry, boolean listen) {
        HostBuilder b = Host.builder().identity(Keys.generateEd25519()).security(new NoiseSecurityTransport())
                .muxer(new YamuxStreamMuxer()).protocol(ProtocolIds.ECHO, connection -> new EchoResponder())
                .metrics(registry);
        if (listen) {
            b.listen(HostFixture.LOOPBACK_ANY_PORT);
        }
        return b.build().start();
    }

    private static double count(MeterRegistry r, String name, String... tags) {
        return Search.in(r).name(name).tags(tags).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static double gauge(MeterRegistry r, String name, String... tags) {
        return Search.in(r).name(name).tags(tags).gauges().stream().mapToDouble(g -> g.value()).sum();
    }

    @Test
    void countsConnectionsStagesStreamsBytesAndWindowStalls() throws Exception {
        listener = host(listenerMeters, true);
        dialer = host(dialerMeters, false);
        Multiaddr addr = listener.listenAddrs().get(0).withPeerId(listener.peerId());
        Connection c = dialer.dial(addr).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        HostFixture.ping(c);
        byte[] big = new byte[1024 * 1024]; // four initial yamux windows: the sender runs out at least once
        new Random(3).nextBytes(big);
        assertArrayEquals(big, HostFixture.echo(c, big));

        String[] outTags = {"dir", "outbound", "transport", "tcp", "security", "/noise", "muxer", "/yamux/1.0.0",
            "ip_version", "ip4"};
        assertEquals(1, count(dialerMeters, "libp2p_swarm_connections_opened", outTags));
        assertTrue(HostFixture.eventually(WAIT_MILLIS,
                () -> count(listenerMeters, "libp2p_swarm_connections_opened", "dir", "inbound") == 1));
        assertEquals(1, gauge(dialerMeters, "libp2p_rcmgr_connections", "dir", "outbound"));
        assertEquals(1, count(dialerMeters, "tcp_connections_new", "direction", "outgoing"));
        assertEquals(1, count(listenerMeters, "tcp_connections_new", "direction", "incoming"));
        Timer handshake = dialerMeters.find("libp2p_swarm_handshake_latency").timer();
        assertEquals(1, handshake.count());
        // crossdial peers agree on the muxer inside the Noise handshake: no muxer_negotiation stage
        assertEquals(1, count(dialerMeters, "libp2p_swarm_connections_opened", "early_muxer", "true"));
        for (String stage : new String[] {"security_negotiation", "security_handshake"}) {
            Timer t = dialerMeters.find("crossdial_upgrade_stage_duration").tags("stage", stage, "dir", "outbound")
                    .timer();
            assertEquals(1, t.count(), stage);
        }
        assertEquals(1, count(dialerMeters, "crossdial_streams_opened", "dir", "outbound", "protocol",
                ProtocolIds.PING));
        assertEquals(1, count(dialerMeters, "crossdial_streams_opened", "dir", "outbound", "protocol",
                ProtocolIds.ECHO));
        assertTrue(HostFixture.eventually(WAIT_MILLIS, () -> count(listenerMeters, "crossdial_streams_opened",
                "dir", "inbound", "protocol", ProtocolIds.ECHO) == 1));
        assertTrue(count(dialerMeters, "tcp_sent_bytes") > big.length, "sent " + count(dialerMeters, "tcp_sent_bytes"));
        assertTrue(count(dialerMeters, "tcp_rcvd_bytes") > big.length);
        assertTrue(count(dialerMeters, "crossdial_yamux_window_stalls") >= 1);

        c.close().awaitUninterruptibly(WAIT_MILLIS);
        assertTrue(HostFixture.eventually(WAIT_MILLIS,
                () -> count(dialerMeters, "libp2p_swarm_connections_closed", "dir", "outbound") == 1
                        && gauge(dialerMeters, "libp2p_rcmgr_connections", "dir", "outbound") == 0
                        && count(dialerMeters, "tcp_connections_closed", "direction", "outgoing") == 1));
    }

    @Test
    void countsAFailedHandshakeByStageAndCause() throws Exception {
        listener = host(listenerMeters, true);
        dialer = host(dialerMeters, false);
        PeerId someoneElse = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        Multiaddr wrong = listener.listenAddrs().get(0).withPeerId(someoneElse);
        assertInstanceOf(UpgradeException.class,
                assertThrows(ExecutionException.class,
                        () -> dialer.dial(wrong).get(WAIT_MILLIS, TimeUnit.MILLISECONDS)).getCause());
        assertEquals(1, count(dialerMeters, "crossdial_upgrade_failures", "stage", "security_handshake", "cause",
                "NoiseException", "dir", "outbound"));
        assertTrue(HostFixture.eventually(WAIT_MILLIS,
                () -> count(dialerMeters, "libp2p_swarm_dial_errors", "error", "other") == 1));
        assertEquals(0, count(dialerMeters, "libp2p_swarm_connections_opened"));
    }

    @Test
    void aHostWithoutARegistryAddsNoHandler() throws Exception {
        listener = Host.builder().identity(Keys.generateEd25519()).security(new NoiseSecurityTransport())
                .muxer(new YamuxStreamMuxer()).listen(HostFixture.LOOPBACK_ANY_PORT).build().start();
        dialer = Host.builder().identity(Keys.generateEd25519()).security(new NoiseSecurityTransport())
                .muxer(new YamuxStreamMuxer()).build().start();
        Connection c = dialer.dial(listener.listenAddrs().get(0).withPeerId(listener.peerId()))
                .get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        assertEquals(null, c.channel().pipeline().get(HostMetrics.ByteCounter.class));
    }
}
