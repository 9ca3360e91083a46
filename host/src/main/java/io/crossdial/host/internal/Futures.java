package io.crossdial.host.internal;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Netty futures as {@link CompletableFuture}s: the one adapter behind every future the host module's public API
 * returns ({@code Host}, {@code Connection}, the protocol clients, relay and DCUtR). Not API: the packages of
 * {@code io.crossdial.host} use it, applications do not.
 */
public final class Futures {
    private Futures() {}

    /**
     * @param future a Netty future
     * @param <T> its result type
     * @return a CompletableFuture that completes as {@code future} does, from {@code future}'s listener (so on
     *     its event loop, or at once if it is already done): with its result, exceptionally with its cause itself
     *     (not wrapped), or cancelled; cancelling it cancels {@code future}
     */
    public static <T> CompletableFuture<T> toCompletable(io.netty.util.concurrent.Future<T> future) {
        CompletableFuture<T> out = new CompletableFuture<>();
        future.addListener(f -> {
            if (f.isSuccess()) {
                @SuppressWarnings("unchecked")
                T value = (T) f.getNow();
                out.complete(value);
            } else if (f.isCancelled()) {
                out.cancel(false);
            } else {
                out.completeExceptionally(f.cause());
            }
        });
        out.whenComplete((v, e) -> {
            if (out.isCancelled()) {
                future.cancel(false);
            }
        });
        return out;
    }

    /**
     * Bounds {@code future} by a timeout scheduled on {@code loop}.
     *
     * @param loop where the timeout runs
     * @param future the future to bound
     * @param timeoutMillis how long it may take, ms
     * @param what what is waited for, for the timeout's message
     * @param <T> its result type
     * @return a future that completes as {@code future} does (with its cause itself on failure), or, if that takes
     *     more than {@code timeoutMillis}, exceptionally with an {@link IllegalStateException} naming {@code what}
     *     (and then cancels {@code future})
     */
    public static <T> CompletableFuture<T> within(EventExecutor loop, CompletableFuture<T> future,
            long timeoutMillis, String what) {
        CompletableFuture<T> out = new CompletableFuture<>();
        ScheduledFuture<?> timer = loop.schedule(() -> {
            if (out.completeExceptionally(new IllegalStateException(what + " timed out after " + timeoutMillis
                    + " ms"))) {
                future.cancel(false);
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        future.whenComplete((v, e) -> {
            timer.cancel(false);
            if (e != null) {
                out.completeExceptionally(e instanceof CompletionException && e.getCause() != null
                        ? e.getCause() : e);
            } else {
                out.complete(v);
            }
        });
        return out;
    }
}
