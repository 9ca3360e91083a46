package io.crossdial.host.protocol;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;

/**
 * The work bound of a fuzz target: one input must be handled within {@link #PER_INPUT}, or the target
 * fails with the input (Jazzer keeps it as a finding). libFuzzer's own {@code -timeout} catches an input
 * that never returns (specs/reliability.md, "Fuzzing").
 */
final class FuzzBound {
    /** Generous for one decode on a loaded machine, far below anything a user would call a hang. */
    static final Duration PER_INPUT = Duration.ofSeconds(3);

    private FuzzBound() {}

    /** @param target one input's work */
    static void run(Runnable target) {
        long start = System.nanoTime();
        target.run();
        long took = System.nanoTime() - start;
        if (took > PER_INPUT.toNanos()) {
            fail("one input took " + took / 1_000_000 + " ms, over the bound of " + PER_INPUT.toMillis() + " ms");
        }
    }
}
