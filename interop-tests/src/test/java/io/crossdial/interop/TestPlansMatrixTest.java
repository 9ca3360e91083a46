package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.crossdial.cli.lab.SimopenLab;
import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The libp2p test-plans transport-interop matrix, run by {@code interop-tests/test-plans/run-matrix} as the
 * test-plans runner would (processes instead of containers, a fresh real {@code redis-server} per test):
 * crossdial ({@code crossdial test-plans}, from this test's class path) and the js-libp2p participant
 * ({@code interop-tests/js/test-plans.mjs}), each as dialer and as listener, noise/tls x yamux/mplex.
 * Every one of the 16 tests must succeed; the runner's tables go to this test's output.
 */
class TestPlansMatrixTest {
    private static final List<String> IMPLS = List.of("crossdial-v0.1", "js-v3.3");
    private static final List<String> SECURITY = List.of("noise", "tls");
    private static final List<String> MUXERS = List.of("yamux", "mplex");

    static Path redisServer() {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/bin:/usr/sbin")
                .split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "redis-server");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private static String jsonArray(List<String> items) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.writeStartArray();
            for (String s : items) {
                g.writeString(s);
            }
            g.writeEndArray();
        }
        return out.toString();
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void everyPairPassesInBothRolesAgainstARealRedisServer() throws Exception {
        JsPeer.requireAvailable();
        Path redis = redisServer();
        if (redis == null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true, so the test-plans matrix must run, but redis-server is missing "
                        + "(.ci/install-deps.sh installs it)");
            }
            Assumptions.abort("redis-server is not installed");
        }
        Path js = JsPeer.jsDir();
        Path script = js.getParent().resolve("test-plans").resolve("run-matrix");
        Path out = js.getParent().resolve("target").resolve("test-plans");
        List<String> crossdial = new ArrayList<>(SimopenLab.classPathPeerCommand());
        crossdial.add("test-plans");
        ProcessBuilder pb = new ProcessBuilder(JsPeer.node().toString(), script.toString(), "--timeout-seconds", "60",
                "--out", out.toString());
        pb.environment().put("CROSSDIAL_CMD", jsonArray(crossdial));
        pb.environment().put("JS_CMD", jsonArray(List.of(JsPeer.node().toString(),
                js.resolve("test-plans.mjs").toString())));
        pb.environment().put("REDIS_SERVER", redis.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        StringBuilder text = new StringBuilder();
        try (var reader = p.inputReader(StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                System.out.println(line);
                text.append(line).append('\n');
            }
        }
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), "run-matrix did not exit");
        assertEquals(0, p.exitValue(), "run-matrix failed:\n" + text);

        List<String> results = Files.readAllLines(out.resolve("results.csv"), StandardCharsets.UTF_8);
        assertEquals("name,outcome", results.get(0));
        List<String> expected = new ArrayList<>();
        for (String dialer : IMPLS) {
            for (String listener : IMPLS) {
                for (String sec : SECURITY) {
                    for (String mux : MUXERS) {
                        expected.add("\"" + dialer + " x " + listener + " (tcp, " + sec + ", " + mux + ")\",success");
                    }
                }
            }
        }
        assertEquals(expected.stream().sorted().toList(), results.subList(1, results.size()).stream().sorted().toList());
        assertTrue(text.toString().contains("results: 16 of 16 tests succeeded"), text.toString());
    }
}
