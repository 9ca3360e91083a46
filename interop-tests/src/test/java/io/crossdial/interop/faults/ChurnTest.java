package io.crossdial.interop.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.transport.tcp.InboundRateLimit;
import io.crossdial.transport.tcp.TcpTransportConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ChurnScenario} as a test. By default a short variant for every build (1,000 connections, 100 slow
 * clients) that asserts only what cannot flake on a loaded machine: every ordinary dial during the load
 * succeeds, no handshake slot stays taken, and the heap after garbage collection is within
 * {@value #MAX_HEAP_GROWTH_MIB} MiB of its baseline. The measurement of specs/reliability.md ("Churn") is the
 * same test with {@code -Dchurn.connections=10000 -Dchurn.slow=1000}; {@code -Dchurn.threads},
 * {@code -Dchurn.maxHandshakes}, {@code -Dchurn.maxHandshakesPerAddress} and {@code -Dchurn.backlog} change
 * the load and the listener, {@code -Dchurn.shards} the listener's shards; {@code -Dchurn.loadProcess=true} runs
 * the load in a JVM of its own, {@code -Dchurn.pinned=true} also puts it on other CPUs than the listener
 * ({@code taskset}) and {@code -Dchurn.loadNice=N} runs it under {@code nice -n N} instead. The listener has the
 * default inbound rate limit with only 127.0.0.1 (the ordinary dialer) exempt ({@code -Dchurn.inboundRate=0} for
 * none, {@code -Dchurn.inboundBurst}); the idle baseline follows {@code -Dchurn.warmupDials} (50) dials, and the
 * ordinary dials are {@code -Dchurn.dialGapMillis} (50) apart; {@code -Dchurn.runs=N} runs it N times in this JVM
 * (the later runs with the JIT warm). It prints one JSON line per run ({@code {"event":"churn",...}}).
 */
class ChurnTest {
    static final long MAX_HEAP_GROWTH_MIB = 64;

    @Test
    void ordinaryDialsSucceedDuringChurnAndSlowHandshakesAndTheHeapReturnsToBaseline() throws Exception {
        int connections = Integer.getInteger("churn.connections", 1_000);
        int slow = Integer.getInteger("churn.slow", 100);
        int threads = Integer.getInteger("churn.threads", 16);
        TcpTransportConfig listener = TcpTransportConfig.defaults().withPortReuse(false)
                .withBacklog(Integer.getInteger("churn.backlog", TcpTransportConfig.DEFAULT_BACKLOG))
                .withShards(Integer.getInteger("churn.shards", TcpTransportConfig.defaults().shards()));
        int maxHandshakes = Integer.getInteger("churn.maxHandshakes", 0);
        if (maxHandshakes > 0) {
            listener = listener.withMaxHandshakes(maxHandshakes);
        }
        listener = listener.withMaxHandshakesPerAddress(Integer.getInteger("churn.maxHandshakesPerAddress",
                TcpTransportConfig.DEFAULT_MAX_HANDSHAKES_PER_ADDRESS));
        // The load's 127.0.0.2 and 127.0.0.3 stand for remote addresses: only the ordinary dialer's 127.0.0.1 is
        // exempt from the inbound rate limit, as all of loopback is by default.
        double rate = Double.parseDouble(System.getProperty("churn.inboundRate",
                String.valueOf(InboundRateLimit.DEFAULT_PER_SECOND)));
        listener = listener.withInboundRateLimit(new InboundRateLimit(rate,
                Integer.getInteger("churn.inboundBurst", InboundRateLimit.DEFAULT_BURST), List.of("127.0.0.1/32")));
        boolean pinned = Boolean.getBoolean("churn.pinned");
        int loadNice = Integer.getInteger("churn.loadNice", 0);
        boolean loadProcess = pinned || loadNice != 0 || Boolean.getBoolean("churn.loadProcess");
        int runs = Integer.getInteger("churn.runs", 1);
        ChurnScenario.Result last = null;
        for (int i = 0; i < runs; i++) {
            last = ChurnScenario.run(new ChurnScenario.Plan(connections, threads, slow, listener, loadProcess,
                    pinned, loadNice, Integer.getInteger("churn.warmupDials", 50), Long.getLong("churn.dialGapMillis", 50)));
            System.out.println(last.json());
        }
        ChurnScenario.Result r = last;
        assertEquals(0, r.failedDials(), r::json);
        assertFalse(r.loadedDialMillis().isEmpty(), r::json);
        assertEquals(0, r.stats().handshakesInProgress(), r::json);
        assertTrue(r.load().churnConnected() > 0, r::json);
        long growthMib = (r.heapAfter() - r.heapBaseline()) / (1 << 20);
        assertTrue(growthMib < MAX_HEAP_GROWTH_MIB, () -> "heap grew by " + growthMib + " MiB: " + r.json());
    }
}
