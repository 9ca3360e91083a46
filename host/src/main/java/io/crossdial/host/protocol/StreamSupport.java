package io.crossdial.host.protocol;

import io.crossdial.host.internal.Futures;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** Half-close, timeouts and argument checks shared by the handlers of this package. */
final class StreamSupport {
    /** Size of the chunks echo, perf and the echo client write: 64 KiB. */
    static final int CHUNK_BYTES = 64 * 1024;

    private StreamSupport() {}

    /**
     * Half-closes the output of {@code ch}: {@code shutdownOutput()} on a {@link DuplexChannel} (a
     * muxed stream or a half-closable socket), {@code close()} on any other channel. Call it only once
     * every write has completed: Netty fails writes still queued when the output shuts down.
     */
    static ChannelFuture halfClose(Channel ch) {
        if (ch instanceof DuplexChannel duplex) {
            return duplex.shutdownOutput();
        }
        return ch.close();
    }

    /** Half-closes {@code ch}, then closes it (on a muxed stream: stops reading and forgets it). */
    static void finish(Channel ch) {
        if (!ch.isOpen()) {
            return;
        }
        halfClose(ch).addListener(f -> ch.close());
    }

    /** Runs {@code task} on the channel's event loop (now if already there); false if the loop is gone. */
    static boolean runOnLoop(Channel ch, Runnable task) {
        EventExecutor loop = ch.eventLoop();
        if (loop.inEventLoop()) {
            task.run();
            return true;
        }
        try {
            loop.execute(task);
            return true;
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return false;
        }
    }

    /**
     * Installs a client's handler at the end of {@code stream}'s pipeline, then turns {@code AUTO_READ} on:
     * in that order, so a read never reaches the pipeline before the handler is in place.
     */
    static void installClient(Channel stream, String name, ChannelHandler handler) {
        stream.pipeline().addLast(name, handler);
        stream.config().setAutoRead(true);
    }

    /**
     * Runs {@code start} with a new promise on the stream's event loop (see {@link #runOnLoop}).
     *
     * @return a future that completes as that promise does, on the stream's event loop (cancelling it cancels
     *     the promise), or, if the loop is gone, a future already failed with {@code loopGone}'s exception
     */
    static <T> CompletableFuture<T> startOnLoop(Channel stream, Consumer<Promise<T>> start,
            Supplier<? extends Throwable> loopGone) {
        Promise<T> promise = stream.eventLoop().newPromise();
        if (!runOnLoop(stream, () -> start.accept(promise))) {
            return CompletableFuture.failedFuture(loopGone.get());
        }
        return Futures.toCompletable(promise);
    }

    /** @throws IllegalArgumentException unless {@code d} is positive */
    static long positiveNanos(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
        return d.toNanos();
    }

    /**
     * A "no progress for too long" timer (the scheme of Netty's IdleStateHandler): {@link #progress()}
     * is cheap, one scheduled check runs at the earliest possible deadline. All times come from the executor's
     * clock (the pending check's remaining delay), never from {@code System.nanoTime()} directly, so an
     * {@code EmbeddedChannel}'s {@code advanceTimeBy} drives it like any other scheduled task. A check that runs
     * late (after its deadline) extends the allowance by its lateness, microseconds on a live event loop.
     * Event-loop confined.
     */
    static final class IdleTimer {
        private final long timeoutNanos;
        private final Runnable onTimeout;
        private EventExecutor executor;
        private ScheduledFuture<?> check;
        /**
         * How long before the pending check's deadline the last progress came, in ns. A check is always
         * scheduled for {@code timeoutNanos} after the last progress known then, so this starts at
         * {@code timeoutNanos}; at the deadline, {@code timeoutNanos - progressBeforeDeadlineNanos} is what is
         * left of the allowance (0: idle for the whole timeout).
         */
        private long progressBeforeDeadlineNanos;
        private boolean stopped;

        IdleTimer(long timeoutNanos, Runnable onTimeout) {
            this.timeoutNanos = timeoutNanos;
            this.onTimeout = onTimeout;
        }

        /** Starts the timer (once); later calls do nothing. */
        void start(EventExecutor executor) {
            if (this.executor != null || stopped) {
                return;
            }
            this.executor = executor;
            schedule(timeoutNanos);
        }

        void progress() {
            ScheduledFuture<?> c = check;
            if (c != null) {
                progressBeforeDeadlineNanos = Math.max(0, c.getDelay(TimeUnit.NANOSECONDS));
            }
        }

        void stop() {
            stopped = true;
            if (check != null) {
                check.cancel(false);
                check = null;
            }
        }

        private void schedule(long delayNanos) {
            progressBeforeDeadlineNanos = timeoutNanos;
            check = executor.schedule(this::fire, delayNanos, TimeUnit.NANOSECONDS);
        }

        private void fire() {
            check = null;
            if (stopped) {
                return;
            }
            long remaining = timeoutNanos - progressBeforeDeadlineNanos;
            if (remaining > 0) {
                schedule(remaining);
            } else {
                stopped = true;
                onTimeout.run();
            }
        }
    }
}
