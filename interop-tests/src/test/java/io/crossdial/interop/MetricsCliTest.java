package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.cli.Main;
import io.crossdial.cli.lab.SimopenLab;
import java.io.BufferedReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code crossdial listen --metrics-port 0}: a real listener process serves Prometheus text at /metrics, and
 * scrapes taken during a real perf upload to it show the counters moving.
 */
class MetricsCliTest {
    private static final Pattern URL = Pattern.compile("\"url\":\"(http://[^\"]+)\"");
    private static final Pattern ADDR = Pattern.compile("\"(/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/\\w+)\"");

    /** @return the sum of every sample of {@code name} whose label text contains all of {@code labels} */
    static double sample(String text, String name, String... labels) {
        double sum = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
                continue;
            }
            boolean all = true;
            for (String l : labels) {
                all &= line.contains(l);
            }
            if (all) {
                found = true;
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return found ? sum : Double.NaN;
    }

    @Test
    @Timeout(120)
    void countersMoveDuringAPerfTransfer() throws Exception {
        List<String> argv = new ArrayList<>(SimopenLab.classPathPeerCommand());
        argv.addAll(List.of("listen", "--listen", "/ip4/127.0.0.1/tcp/0", "--metrics-port", "0", "--json",
                "--seconds", "90"));
        Process listener = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = listener.inputReader(StandardCharsets.UTF_8)) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (java.io.IOException e) {
                    // the process ended
                }
            });
            reader.setDaemon(true);
            reader.start();
            String url = null;
            String addr = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((url == null || addr == null) && System.nanoTime() < deadline) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                if (line == null) {
                    continue;
                }
                Matcher m = URL.matcher(line);
                if (m.find()) {
                    url = m.group(1);
                }
                Matcher a = ADDR.matcher(line);
                if (line.contains("\"event\":\"listening\"") && a.find()) {
                    addr = a.group(1);
                }
            }
            assertNotNull(url, "no metrics line");
            assertNotNull(addr, "no listening line");

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpRequest get = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build();
            HttpResponse<String> before = http.send(get, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, before.statusCode());
            assertTrue(before.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            assertEquals(0.0, sample(before.body(), "tcp_rcvd_bytes_total"), before.body());
            assertEquals(Double.NaN, sample(before.body(), "libp2p_swarm_connections_opened_total"));

            String target = addr;
            CompletableFuture<Integer> perf = CompletableFuture.supplyAsync(() -> Main.run("perf", target,
                    "--upload", Long.toString(1L << 29), "--download", "0", "--json"));
            List<Double> during = new ArrayList<>();
            double openedDuring = Double.NaN;
            while (!perf.isDone()) {
                String body = http.send(get, HttpResponse.BodyHandlers.ofString()).body();
                if (!perf.isDone()) {
                    during.add(sample(body, "tcp_rcvd_bytes_total"));
                    openedDuring = sample(body, "libp2p_swarm_connections_opened_total", "dir=\"inbound\"");
                }
                Thread.sleep(50);
            }
            assertEquals(0, perf.get(60, TimeUnit.SECONDS));
            String after = http.send(get, HttpResponse.BodyHandlers.ofString()).body();

            assertTrue(during.size() >= 2, "too few scrapes during the transfer: " + during);
            assertTrue(during.get(during.size() - 1) > during.get(0),
                    "tcp_rcvd_bytes_total did not move during the transfer: " + during);
            assertEquals(1.0, openedDuring, "the perf connection, while it was open");
            assertTrue(sample(after, "tcp_rcvd_bytes_total") >= (1L << 29), after);
            assertEquals(1.0, sample(after, "crossdial_streams_opened_total", "dir=\"inbound\"",
                    "protocol=\"/perf/1.0.0\""));
            assertEquals(1.0, sample(after, "crossdial_upgrade_stage_duration_seconds_count",
                    "stage=\"security_handshake\"", "dir=\"inbound\""));
            assertEquals(1.0, sample(after, "tcp_connections_new_total", "direction=\"incoming\""));
        } finally {
            listener.destroy();
            if (!listener.waitFor(10, TimeUnit.SECONDS)) {
                listener.destroyForcibly();
            }
        }
    }
}
