package io.crossdial.host.protocol;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The outcome of a client's future that must already be done: on an {@code EmbeddedChannel} the work runs before
 * the call that triggers it returns, so these never wait.
 */
final class Settled {
    private Settled() {}

    /** @return the result; fails the test unless {@code f} is done and succeeded */
    static <T> T value(CompletableFuture<T> f) throws Exception {
        assertTrue(f.isDone(), "the future is settled");
        return f.get(0, TimeUnit.MILLISECONDS);
    }

    /** @return the failure itself; fails the test unless {@code f} is done and failed */
    static Throwable cause(CompletableFuture<?> f) {
        assertTrue(f.isDone(), "the future is settled");
        return assertThrows(ExecutionException.class, () -> f.get(0, TimeUnit.MILLISECONDS)).getCause();
    }

    /** @return whether {@code f} is done and succeeded */
    static boolean succeeded(CompletableFuture<?> f) {
        return f.isDone() && !f.isCompletedExceptionally();
    }
}
