package io.crossdial.core.spi;

import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The timeout of one stage of a connection (a multistream round, role resolution, a security handshake, the
 * whole upgrade, a hold): scheduled on the channel's event loop when the stage starts, cancelled when it ends,
 * firing at most once. Every timed handler of the upgrade holds one, so "every wait has a timeout" is written
 * once (the model is Netty's {@code SslHandler} handshake timeout).
 *
 * <p>Not thread-safe: start, cancel and the expiry run on the channel's event loop.
 */
public final class StageTimer {
    private final long timeoutMillis;
    private ScheduledFuture<?> task;

    /**
     * @param timeoutMillis the stage's time, ms, > 0
     * @param name the setting's name, for the exception
     * @throws IllegalArgumentException when {@code timeoutMillis <= 0}
     */
    public StageTimer(long timeoutMillis, String name) {
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException(name + " must be > 0: " + timeoutMillis);
        }
        this.timeoutMillis = timeoutMillis;
    }

    /** @return the stage's time, ms */
    public long timeoutMillis() {
        return timeoutMillis;
    }

    /**
     * Starts the clock; a second call while it runs restarts it.
     *
     * @param ctx the handler's context, whose executor runs {@code onExpiry}
     * @param onExpiry what to do if the stage has not ended in time (typically: fail with a typed timeout
     *     exception and close)
     */
    public void start(ChannelHandlerContext ctx, Runnable onExpiry) {
        cancel();
        task = ctx.executor().schedule(() -> {
            task = null;
            onExpiry.run();
        }, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** Stops the clock if it runs; idempotent. */
    public void cancel() {
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }
}
