package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.cli.Main;
import io.crossdial.host.Host;
import io.crossdial.lab.JsonLines;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code crossdial perf --warmup-seconds}: the warm-up repeats the transfer on the same connection and is not
 * counted; the JSON line reports the measured transfer, the warm-up's rounds and its first (cold) rate.
 * Runs the CLI in this JVM against a real listener on loopback.
 */
class PerfCliTest {
    private static Map<String, Object> runPerf(String... args) throws IOException {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = Main.run(args);
        } finally {
            System.setOut(original);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        String line = text.lines().filter(l -> l.contains("\"event\":\"perf\"")).findFirst()
                .orElseThrow(() -> new AssertionError("no perf line in: " + text));
        return JsonLines.parseObject(line, line.length(), JsonLines.BigIntegers.REJECT);
    }

    @Test
    @Timeout(60)
    void warmupRoundsAreNotCountedAndTheColdRateIsReported() throws IOException {
        try (Host server = Peers.builder().build().start()) {
            String target = Peers.addr(server).toString();
            Map<String, Object> warm = runPerf("perf", target, "--upload", "1048576", "--download", "2097152",
                    "--warmup-seconds", "1", "--json");
            assertEquals(1048576L, ((Number) warm.get("uploadBytes")).longValue(), warm.toString());
            assertEquals(2097152L, ((Number) warm.get("downloadBytes")).longValue(), warm.toString());
            assertTrue(((Number) warm.get("warmupRounds")).intValue() >= 2, warm.toString());
            assertTrue(((Number) warm.get("warmupFirstGbitPerSecond")).doubleValue() > 0, warm.toString());

            Map<String, Object> cold = runPerf("perf", target, "--upload", "1048576", "--download", "0", "--json");
            assertEquals(0, ((Number) cold.get("warmupRounds")).intValue(), cold.toString());
            assertTrue(cold.containsKey("warmupFirstGbitPerSecond"), cold.toString());
            assertEquals(null, cold.get("warmupFirstGbitPerSecond"), "no warm-up, no cold rate: " + cold);
        }
    }

    @Test
    @Timeout(60)
    void downloadAloneUploadsNothingAndUploadAloneDownloadsNothing() throws IOException {
        try (Host server = Peers.builder().build().start()) {
            String target = Peers.addr(server).toString();
            Map<String, Object> down = runPerf("perf", target, "--download", "3145728", "--json");
            assertEquals(0L, ((Number) down.get("uploadBytes")).longValue(), down.toString());
            assertEquals(3145728L, ((Number) down.get("downloadBytes")).longValue(), down.toString());
            Map<String, Object> up = runPerf("perf", target, "--upload", "1048576", "--json");
            assertEquals(1048576L, ((Number) up.get("uploadBytes")).longValue(), up.toString());
            assertEquals(0L, ((Number) up.get("downloadBytes")).longValue(), up.toString());
        }
    }
}
