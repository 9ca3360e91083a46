package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.HostBuilder;
import io.crossdial.host.protocol.EchoClient;
import io.crossdial.host.protocol.EchoResponder;
import io.crossdial.host.protocol.IdentifyClient;
import io.crossdial.host.protocol.IdentifyInfo;
import io.crossdial.host.protocol.PerfResponder;
import io.crossdial.host.protocol.PingClient;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import java.util.concurrent.CompletableFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** crossdial hosts and client steps shared by the interop tests. Every wait is bounded. */
final class Peers {
    /** Time limit of one step (a dial, a stream open, a ping, an echo), ms. */
    static final long STEP_MILLIS = 15_000;

    private Peers() {}

    /** @return a builder for a Noise + yamux host serving echo and perf, listening on 127.0.0.1 with a free port */
    static HostBuilder builder() {
        return Host.builder()
                .identity(Keys.generateEd25519())
                .listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))
                .security(new NoiseSecurityTransport())
                .muxer(new YamuxStreamMuxer())
                .protocol(ProtocolIds.ECHO, connection -> new EchoResponder())
                .protocol(ProtocolIds.PERF, connection -> new PerfResponder());
    }

    /** @return a started host from {@link #builder()} with the given port reuse */
    static Host host(boolean portReuse) {
        return builder().transportConfig(TcpTransportConfig.defaults().withPortReuse(portReuse)).build().start();
    }

    /** @return the host's first listen address with {@code /p2p/} */
    static Multiaddr addr(Host host) {
        return host.listenAddrs().get(0).withPeerId(host.peerId());
    }

    /** @return the round-trip times of {@code n} pings on one ping stream, ns */
    static List<Long> ping(Connection c, int n) throws Exception {
        PingClient ping = c.newStream(s -> new PingClient(s, Duration.ofMillis(STEP_MILLIS)),
                ProtocolIds.PING).get(STEP_MILLIS, TimeUnit.MILLISECONDS);
        try {
            List<Long> rtts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                rtts.add(ping.ping().get(STEP_MILLIS, TimeUnit.MILLISECONDS));
            }
            return rtts;
        } finally {
            ping.close();
        }
    }

    /** @return what the remote announced over identify ({@code /ipfs/id/1.0.0}) on {@code c} */
    static IdentifyInfo identify(Connection c) throws Exception {
        IdentifyClient client = c.newStream(s -> new IdentifyClient(s, Duration.ofMillis(STEP_MILLIS)),
                ProtocolIds.IDENTIFY).get(STEP_MILLIS, TimeUnit.MILLISECONDS);
        return client.result().get(STEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** @return {@code n} bytes from a seeded generator (reproducible) */
    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Echoes {@code data} over one {@code /echo/1.0.0} stream and asserts it came back byte for byte. */
    static void echo(Connection c, byte[] data) throws Exception {
        EchoClient echo = c.newStream(s -> new EchoClient(s, Duration.ofMillis(STEP_MILLIS)),
                ProtocolIds.ECHO).get(STEP_MILLIS, TimeUnit.MILLISECONDS);
        assertArrayEquals(data, echo.echo(data).get(STEP_MILLIS, TimeUnit.MILLISECONDS));
    }

    /**
     * Opens {@code streams} echo streams at once, then echoes {@code bytes} different random bytes on each,
     * all in flight together, and asserts every echo byte for byte.
     */
    static void concurrentEchoes(Connection c, int streams, int bytes) throws Exception {
        List<CompletableFuture<EchoClient>> opening = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            opening.add(c.newStream(s -> new EchoClient(s, Duration.ofMillis(STEP_MILLIS)), ProtocolIds.ECHO));
        }
        List<EchoClient> clients = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            clients.add(opening.get(i).get(STEP_MILLIS, TimeUnit.MILLISECONDS));
        }
        List<byte[]> sent = new ArrayList<>();
        List<CompletableFuture<byte[]>> echoes = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            sent.add(randomBytes(bytes, 1000 + i));
            echoes.add(clients.get(i).echo(sent.get(i)));
        }
        for (int i = 0; i < streams; i++) {
            assertArrayEquals(sent.get(i), echoes.get(i).get(STEP_MILLIS, TimeUnit.MILLISECONDS),
                    "echo on stream " + i);
        }
    }

    /** Polls {@code condition} every 20 ms for up to {@code millis}; returns its last value. */
    static boolean eventually(long millis, BooleanSupplier condition) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return condition.getAsBoolean();
            }
        }
    }
}
