package io.crossdial.cli;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Blocking on the host's {@link CompletableFuture}s, for the commands: a timeout, and the failure itself rather
 * than the {@link ExecutionException} around it. The one place the command-line tool waits; never call it on an
 * event loop.
 */
public final class Await {
    private Await() {}

    /**
     * Waits for a future, unwrapping its failure.
     *
     * @param future the future
     * @param timeoutMillis how long to wait, ms
     * @param what what is awaited, for the timeout message
     * @param <T> the result type
     * @return the result
     * @throws RuntimeException the future's failure ({@code TcpDialException}, {@code UpgradeException},
     *     {@code PingException}, ...; a checked one wrapped in an {@link IllegalStateException}), or an
     *     {@link IllegalStateException} naming {@code what} on timeout (the future is then cancelled) or interrupt
     */
    public static <T> T result(CompletableFuture<T> future, long timeoutMillis, String what) {
        try {
            return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw new IllegalStateException(what + " timed out after " + timeoutMillis + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted", e);
        }
    }
}
