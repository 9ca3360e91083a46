package io.crossdial.core;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The work bound of a fuzz target: one input must be handled within {@link #PER_INPUT}, or the target
 * fails with the input (Jazzer keeps it as a finding). libFuzzer's own {@code -timeout} catches an input
 * that never returns (specs/reliability.md, "Fuzzing").
 */
public final class FuzzBound {
    /**
     * Generous for one decode on a loaded machine, far below anything a user would call a hang: 3 s, or the
     * system property {@code fuzz.boundMillis} (the CI fuzzing job, {@code .ci/fuzz}, sets it to libFuzzer's
     * {@code -timeout}: two instrumented JVMs at once on a machine with other builds saw 4 to 10 s for one key
     * input, the first use of a key type's classes).
     */
    public static final Duration PER_INPUT = Duration.ofMillis(Long.getLong("fuzz.boundMillis", 3_000));

    private FuzzBound() {}

    /** Whether an input already ran in this JVM. */
    private static final AtomicBoolean WARM = new AtomicBoolean();

    /**
     * Runs one input and checks the bound, except for the first input of the JVM: that one also pays for class
     * loading and, when fuzzing, Jazzer's instrumentation of each class it loads (seconds on a loaded machine).
     *
     * @param target one input's work
     */
    public static void run(Runnable target) {
        boolean warm = WARM.getAndSet(true);
        long start = System.nanoTime();
        target.run();
        long took = System.nanoTime() - start;
        if (warm && took > PER_INPUT.toNanos()) {
            fail("one input took " + took / 1_000_000 + " ms, over the bound of " + PER_INPUT.toMillis() + " ms");
        }
    }
}
