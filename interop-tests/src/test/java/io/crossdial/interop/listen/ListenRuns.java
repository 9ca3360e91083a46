package io.crossdial.interop.listen;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.crossdial.cli.lab.SimopenLab;
import io.crossdial.lab.LabPeer;
import io.crossdial.lab.NetnsLab;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Shared pieces of the listener acceptance tests: the lab guard, the {@code crossdial} command line from the
 * test class path, and waiting for a {@code stats} line that satisfies a condition.
 */
final class ListenRuns {
    /** The longest any single wait for a peer's line may take. */
    static final Duration LINE_WAIT = Duration.ofSeconds(20);

    private ListenRuns() {}

    static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips (or, with {@code CI=true}, fails) when no network-namespace lab can be built here. */
    static void requireLab() {
        String reason = NetnsLab.unavailableReason().orElse(null);
        if (reason != null && inCi()) {
            fail("CI=true, so the network-namespace lab tests must run, but: " + reason);
        }
        assumeTrue(reason == null, () -> "network-namespace lab unavailable: " + reason);
    }

    /** @return {@code java ... -cp <test class path> io.crossdial.cli.Main} followed by {@code args} */
    static List<String> crossdial(String... args) {
        List<String> argv = new ArrayList<>(SimopenLab.classPathPeerCommand());
        argv.addAll(List.of(args));
        return argv;
    }

    /**
     * Reads {@code stats} events from a {@code crossdial listen --json --stats-seconds N} process until one
     * satisfies {@code done}.
     *
     * @return that event
     * @throws AssertionError if none does within {@code max}, with the last stats line and the peer's stderr
     */
    static Map<String, Object> awaitStats(LabPeer listener, Predicate<Map<String, Object>> done, Duration max,
            String what) {
        long deadline = System.nanoTime() + max.toNanos();
        Map<String, Object> last = null;
        while (System.nanoTime() < deadline) {
            Map<String, Object> stats = listener.awaitEvent("stats", LINE_WAIT);
            last = stats;
            if (done.test(stats)) {
                return stats;
            }
        }
        throw new AssertionError("no stats line showed " + what + " within " + max.toSeconds() + " s; last: " + last
                + "\nstderr: " + listener.stderrTail());
    }

    /** @return the first listener's map of a stats event */
    @SuppressWarnings("unchecked")
    static Map<String, Object> firstListener(Map<String, Object> stats) {
        return ((List<Map<String, Object>>) stats.get("listeners")).get(0);
    }

    /** @return the first listener's accepts per shard */
    static List<Long> shardAccepts(Map<String, Object> stats) {
        List<Long> out = new ArrayList<>();
        for (Object o : (List<?>) firstListener(stats).get("shardAccepts")) {
            out.add(((Number) o).longValue());
        }
        return out;
    }

    static long number(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).longValue();
    }
}
