package io.crossdial.interop.listen;

import static io.crossdial.interop.listen.ListenRuns.awaitStats;
import static io.crossdial.interop.listen.ListenRuns.crossdial;
import static io.crossdial.interop.listen.ListenRuns.firstListener;
import static io.crossdial.interop.listen.ListenRuns.number;
import static io.crossdial.interop.listen.ListenRuns.shardAccepts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.lab.LabPeer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The acceptance lines for {@code crossdial listen --shards} and {@code --max-handshakes}, run against
 * the real CLI process on loopback (no root needed), reading its {@code --json --stats-seconds 1} lines.
 */
class ListenCliLimitsTest {
    @Test
    @Timeout(120)
    void twoShardsSplitTwoThousandConnectsWithinFortySixtyInTheCliStats() throws IOException {
        // 2,000 connects from 127.0.0.1 as fast as they go: without --max-handshakes-per-address 0 the default
        // per-address limit (64 in their handshake at once) closes some at accept, and they are counted as
        // rejected, not in the shards' accepts
        try (LabPeer listener = LabPeer.start("listen", new ProcessBuilder(crossdial("listen", "--listen",
                "/ip4/127.0.0.1/tcp/0", "--shards", "2", "--max-handshakes-per-address", "0", "--json",
                "--stats-seconds", "1")))) {
            InetSocketAddress to = listeningOn(listener);
            int n = 2000;
            for (int i = 0; i < n; i++) {
                try (Socket s = new Socket()) {
                    s.connect(to, 5_000);
                }
            }
            Map<String, Object> stats = awaitStats(listener,
                    s -> shardAccepts(s).stream().mapToLong(Long::longValue).sum() == n, Duration.ofSeconds(60),
                    n + " accepts");
            List<Long> perShard = shardAccepts(stats);
            System.out.println("crossdial listen --shards 2, " + n + " connects: " + stats);
            assertEquals(2, perShard.size(), stats.toString());
            for (long count : perShard) {
                assertTrue(count >= n * 40 / 100 && count <= n * 60 / 100, "not within 40/60: " + perShard);
            }
        }
    }

    @Test
    @Timeout(120)
    void twoHundredSlowClientsNeverHaveMoreThanEightListenerHandshakesAtOnce() throws IOException {
        try (LabPeer listener = LabPeer.start("listen", new ProcessBuilder(crossdial("listen", "--listen",
                "/ip4/127.0.0.1/tcp/0", "--max-handshakes", "8", "--json", "--stats-seconds", "1")))) {
            InetSocketAddress to = listeningOn(listener);
            int n = 200;
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    Socket s = new Socket();
                    slow.add(s);
                    s.connect(to, 5_000); // and then sends nothing
                }
                Map<String, Object> full = awaitStats(listener,
                        s -> number(firstListener(s), "handshakesInProgress") == 8, Duration.ofSeconds(30),
                        "8 handshakes in progress");
                System.out.println("200 slow clients connected, --max-handshakes 8: " + full);
                assertEquals(8, number(firstListener(full), "maxHandshakes"), full.toString());
                assertEquals(8, number(firstListener(full), "peakHandshakes"), full.toString());
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
            // closing the clients frees the slots; the queued rest pass through the gate 8 at a time
            Map<String, Object> after = awaitStats(listener,
                    s -> number(firstListener(s), "handshakesInProgress") == 0
                            && shardAccepts(s).stream().mapToLong(Long::longValue).sum() == n,
                    Duration.ofSeconds(60), "all " + n + " accepted and no handshake left");
            System.out.println("after the 200 clients closed: " + after);
            assertTrue(number(firstListener(after), "peakHandshakes") <= 8, after.toString());
        }
    }

    @Test
    @Timeout(120)
    void theInboundRateFlagResetsConnectionsOverTheBurstFromANonExemptAddress() throws IOException {
        // 127.0.0.2 stands for a remote address: the flag's exemption leaves only 127.0.0.1 exempt
        try (LabPeer listener = LabPeer.start("listen", new ProcessBuilder(crossdial("listen", "--listen",
                "/ip4/127.0.0.1/tcp/0", "--inbound-rate-per-address", "0.01/3", "--inbound-rate-exempt",
                "127.0.0.1/32", "--json", "--stats-seconds", "1")))) {
            InetSocketAddress to = listeningOn(listener);
            for (String source : List.of("127.0.0.2", "127.0.0.1")) {
                for (int i = 0; i < 10; i++) {
                    try (Socket s = new Socket()) {
                        s.bind(new InetSocketAddress(java.net.InetAddress.getByName(source), 0));
                        s.connect(to, 5_000);
                    } catch (java.net.SocketException reset) {
                        // reset at accept, before the connect returned
                    }
                }
            }
            Map<String, Object> stats = awaitStats(listener,
                    s -> shardAccepts(s).stream().mapToLong(Long::longValue).sum()
                            + number(firstListener(s), "rejected") == 20, Duration.ofSeconds(30), "20 connections");
            System.out.println("--inbound-rate-per-address 0.01/3, 10 connects from each of 127.0.0.2 and the "
                    + "exempt 127.0.0.1: " + stats);
            assertEquals(7, number(firstListener(stats), "rejected"), stats.toString());
            assertEquals(13, shardAccepts(stats).stream().mapToLong(Long::longValue).sum(), stats.toString());
        }
    }

    @Test
    @Timeout(60)
    void theBacklogFlagSetsTheHandshakeLimitToHalfOfIt() throws IOException {
        try (LabPeer listener = LabPeer.start("listen", new ProcessBuilder(crossdial("listen", "--listen",
                "/ip4/127.0.0.1/tcp/0", "--backlog", "8192", "--json", "--stats-seconds", "1")))) {
            listeningOn(listener);
            Map<String, Object> stats = awaitStats(listener, s -> true, Duration.ofSeconds(20), "a stats line");
            assertEquals(4096, number(firstListener(stats), "maxHandshakes"), stats.toString());
        }
    }

    @Test
    @Timeout(60)
    void aBacklogOfOneIsAUsageError() throws Exception {
        Process bad = new ProcessBuilder(crossdial("listen", "--backlog", "1")).redirectErrorStream(true).start();
        try {
            assertTrue(bad.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "exited");
            String output = new String(bad.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(2, bad.exitValue(), output);
            assertTrue(output.contains("backlog must be > 1: 1"), output);
        } finally {
            bad.destroyForcibly();
        }
    }

    private static InetSocketAddress listeningOn(LabPeer listener) {
        Map<String, Object> listening = listener.awaitEvent("listening", ListenRuns.LINE_WAIT);
        List<?> addrs = (List<?>) listening.get("multiaddrs");
        assertEquals(1, addrs.size(), listening.toString());
        return Multiaddr.fromString(String.valueOf(addrs.get(0))).toSocketAddress();
    }
}
