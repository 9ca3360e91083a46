package io.crossdial.host;

import java.util.concurrent.CompletableFuture;

/** Netty futures as {@link CompletableFuture}s, for the host's async API. */
final class Futures {
    private Futures() {}

    /**
     * @param future a Netty future
     * @param <T> its result type
     * @return a CompletableFuture that completes (on the future's event loop) as {@code future} does; cancelling
     *     it cancels {@code future}
     */
    static <T> CompletableFuture<T> toCompletable(io.netty.util.concurrent.Future<T> future) {
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
}
