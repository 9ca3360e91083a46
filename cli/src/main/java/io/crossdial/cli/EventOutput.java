package io.crossdial.cli;

import io.crossdial.lab.JsonLines;
import io.crossdial.transport.tcp.ConnectionLimitException;
import java.io.PrintStream;
import java.net.SocketAddress;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything {@code crossdial listen} and {@code crossdial relay} print, in the order it was handed over, from one
 * printer thread, so that no event loop ever writes to the terminal. The host reports connections, inbound
 * failures, hole punches and listener changes on its accept and connection event loops, where a write to a slow
 * terminal or a full pipe would stall the listener. Lines go to a queue of {@value #QUEUE}: {@link #print} (any
 * thread) never blocks, and a line that finds the queue full is counted, not printed; {@link #printFromCommand}
 * (the command's own thread) waits up to {@value #COMMAND_WAIT_MILLIS} ms for room first.
 *
 * <p>Inbound failures ({@link #inboundFailure}) are not printed one per refused connection under a flood: a
 * connection refused by a limit ({@link ConnectionLimitException}: the inbound rate or handshakes per address,
 * the connection limit) is printed once per limit and {@value #WINDOW_SECONDS} s window; the rest of the
 * window's refusals are counted and summed up in one line at the window's end (and at {@link #close}):
 * {@code refused 1234 more inbound connections in the last 10 s: inbound-rate-per-address 1200,
 * max-handshakes-per-address 34}, or with {@code --json} {@code {"event":"inbound-refused","seconds":10,
 * "counts":{"inbound-rate-per-address":1200,...},"notShown":0}}, where {@code notShown} counts the lines of the
 * window that did not fit in the queue. go-libp2p's resource manager logs its refusals the same way, summed up
 * every 10 s. Thread-safe.
 */
final class EventOutput implements AutoCloseable {
    /** Lines waiting for the printer at most. */
    static final int QUEUE = 1024;
    /** Seconds per summary window. */
    static final long WINDOW_SECONDS = 10;
    /** How long {@link #printFromCommand} waits for room in the queue at most, in ms. */
    static final long COMMAND_WAIT_MILLIS = 10_000;

    private final boolean json;
    private final PrintStream out;
    private final long windowNanos;
    private final ArrayBlockingQueue<String> lines = new ArrayBlockingQueue<>(QUEUE);
    private final Map<ConnectionLimitException.Limit, AtomicLong> refused = new EnumMap<>(
            ConnectionLimitException.Limit.class);
    private final Map<ConnectionLimitException.Limit, AtomicBoolean> shown = new EnumMap<>(
            ConnectionLimitException.Limit.class);
    private final AtomicLong notShown = new AtomicLong();
    private final AtomicBoolean open = new AtomicBoolean(true);
    private final Thread printer;
    /** Read by the printer thread, reset by {@link #summarize} (the printer's, or close()'s after the join). */
    private volatile long windowStart = System.nanoTime();

    /**
     * @param json one JSON line per event instead of text
     * @param out where to print
     */
    EventOutput(boolean json, PrintStream out) {
        this(json, out, TimeUnit.SECONDS.toNanos(WINDOW_SECONDS));
    }

    EventOutput(boolean json, PrintStream out, long windowNanos) {
        this.json = json;
        this.out = out;
        this.windowNanos = windowNanos;
        for (ConnectionLimitException.Limit l : ConnectionLimitException.Limit.values()) {
            refused.put(l, new AtomicLong());
            shown.put(l, new AtomicBoolean());
        }
        printer = new Thread(this::drain, "crossdial-output");
        printer.setDaemon(true);
        printer.start();
    }

    /**
     * Queues one line (or several, joined by newlines, printed together); never blocks. After {@link #close} the
     * line is printed at once.
     *
     * @param line what to print, without its final newline
     */
    void print(String line) {
        if (!open.get()) {
            printNow(line);
        } else if (!lines.offer(line)) {
            notShown.incrementAndGet();
        }
    }

    /**
     * Queues one line like {@link #print}, waiting up to {@value #COMMAND_WAIT_MILLIS} ms for room: for the
     * command's own thread, never an event loop.
     *
     * @param line what to print, without its final newline
     * @throws InterruptedException if interrupted while waiting (the line is then counted as not shown)
     */
    void printFromCommand(String line) throws InterruptedException {
        if (!open.get()) {
            printNow(line);
        } else if (!lines.offer(line, COMMAND_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
            notShown.incrementAndGet();
        }
    }

    private synchronized void printNow(String line) {
        out.println(line);
        out.flush();
    }

    /**
     * Prints why an inbound connection failed, or counts it (see the class comment); never blocks.
     *
     * @param remote the peer's socket address, may be null
     * @param cause why its inbound connection failed or was refused
     */
    void inboundFailure(SocketAddress remote, Throwable cause) {
        ConnectionLimitException limit = cause instanceof ConnectionLimitException c ? c
                : cause.getCause() instanceof ConnectionLimitException c ? c : null;
        if (limit != null && !shown.get(limit.limit()).compareAndSet(false, true)) {
            refused.get(limit.limit()).incrementAndGet();
            return;
        }
        String line;
        if (json) {
            line = JsonLines.line("event", "upgrade-failed", "direction", "inbound", "remoteAddr",
                    String.valueOf(remote), "error", Main.oneLine(cause), "errorType", cause.getCause() == null
                            ? cause.getClass().getSimpleName() : cause.getCause().getClass().getSimpleName());
        } else {
            line = "inbound connection from " + remote + " failed: " + Main.oneLine(cause);
        }
        print(line);
    }

    private void drain() {
        try {
            while (open.get()) {
                long left = windowStart + windowNanos - System.nanoTime();
                String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
                if (line != null) {
                    printNow(line);
                } else if (System.nanoTime() - windowStart >= windowNanos) {
                    summarize();
                }
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    /** Prints the window's summary, if anything was left out, and starts the next window. */
    private synchronized void summarize() {
        long now = System.nanoTime();
        double seconds = Math.round((now - windowStart) / 1e8) / 10.0;
        windowStart = now;
        Map<String, Object> counts = new LinkedHashMap<>();
        long total = 0;
        for (ConnectionLimitException.Limit l : ConnectionLimitException.Limit.values()) {
            shown.get(l).set(false);
            long n = refused.get(l).getAndSet(0);
            if (n > 0) {
                counts.put(l.optionName(), n);
                total += n;
            }
        }
        long dropped = notShown.getAndSet(0);
        if (total == 0 && dropped == 0) {
            return;
        }
        if (json) {
            out.println(JsonLines.line("event", "inbound-refused", "seconds", seconds, "counts", counts,
                    "notShown", dropped));
        } else {
            StringBuilder b = new StringBuilder();
            if (total > 0) {
                b.append("refused ").append(total).append(" more inbound connections in the last ")
                        .append(seconds).append(" s:");
                String sep = " ";
                for (Map.Entry<String, Object> e : counts.entrySet()) {
                    b.append(sep).append(e.getKey()).append(' ').append(e.getValue());
                    sep = ", ";
                }
            }
            if (dropped > 0) {
                b.append(total > 0 ? "; " : "").append(dropped).append(" lines not shown (output falling "
                        + "behind)");
            }
            out.println(b);
        }
        out.flush();
    }

    /**
     * Stops the printer (waiting at most 2 s), prints what is queued and the last summary; what is handed over
     * after this is printed at once, on the caller's thread.
     */
    @Override
    public void close() {
        if (!open.compareAndSet(true, false)) {
            return;
        }
        printer.interrupt();
        try {
            printer.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (String line; (line = lines.poll()) != null; ) {
            printNow(line);
        }
        summarize();
        for (String line; (line = lines.poll()) != null; ) {
            printNow(line); // queued by a print() that saw this open just before
        }
        out.flush();
    }
}
