package io.crossdial.interop.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.transport.tcp.TcpTransportConfig;
import org.junit.jupiter.api.Test;

/**
 * {@link ChurnScenario} as a test. By default a short variant for every build (1,000 connections, 100 slow
 * clients) that asserts only what cannot flake on a loaded machine: every ordinary dial during the load
 * succeeds, no handshake slot stays taken, and the heap after garbage collection is within
 * {@value #MAX_HEAP_GROWTH_MIB} MiB of its baseline. The measurement of specs/reliability.md ("Churn") is the
 * same test with {@code -Dchurn.connections=10000 -Dchurn.slow=1000}; {@code -Dchurn.threads},
 * {@code -Dchurn.maxHandshakes}, {@code -Dchurn.maxHandshakesPerAddress} and {@code -Dchurn.backlog} change
 * the load and the listener; {@code -Dchurn.loadProcess=true} runs the load in a JVM of its own and
 * {@code -Dchurn.pinned=true} also puts it on other CPUs than the listener ({@code taskset}). It prints one JSON
 * line ({@code {"event":"churn",...}}).
 */
class ChurnTest {
    static final long MAX_HEAP_GROWTH_MIB = 64;

    @Test
    void ordinaryDialsSucceedDuringChurnAndSlowHandshakesAndTheHeapReturnsToBaseline() throws Exception {
        int connections = Integer.getInteger("churn.connections", 1_000);
        int slow = Integer.getInteger("churn.slow", 100);
        int threads = Integer.getInteger("churn.threads", 16);
        TcpTransportConfig listener = TcpTransportConfig.defaults().withPortReuse(false)
                .withBacklog(Integer.getInteger("churn.backlog", TcpTransportConfig.DEFAULT_BACKLOG));
        int maxHandshakes = Integer.getInteger("churn.maxHandshakes", 0);
        if (maxHandshakes > 0) {
            listener = listener.withMaxHandshakes(maxHandshakes);
        }
        listener = listener.withMaxHandshakesPerAddress(Integer.getInteger("churn.maxHandshakesPerAddress",
                TcpTransportConfig.DEFAULT_MAX_HANDSHAKES_PER_ADDRESS));
        boolean pinned = Boolean.getBoolean("churn.pinned");
        boolean loadProcess = pinned || Boolean.getBoolean("churn.loadProcess");
        ChurnScenario.Result r = ChurnScenario.run(new ChurnScenario.Plan(connections, threads, slow, listener,
                loadProcess, pinned));
        System.out.println(r.json());
        assertEquals(0, r.failedDials(), r::json);
        assertFalse(r.loadedDialMillis().isEmpty(), r::json);
        assertEquals(0, r.stats().handshakesInProgress(), r::json);
        assertTrue(r.load().churnConnected() > 0, r::json);
        long growthMib = (r.heapAfter() - r.heapBaseline()) / (1 << 20);
        assertTrue(growthMib < MAX_HEAP_GROWTH_MIB, () -> "heap grew by " + growthMib + " MiB: " + r.json());
    }
}
