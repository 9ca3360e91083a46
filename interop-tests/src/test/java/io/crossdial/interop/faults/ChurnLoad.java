package io.crossdial.interop.faults;

import io.crossdial.lab.JsonLines;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load of {@link ChurnScenario} (specs/reliability.md, "Churn"), in the scenario's JVM or, through
 * {@link #main}, in a process of its own: {@code slow} raw clients from {@link #SLOW_SOURCE} that send the
 * multistream header one byte every {@value #SLOW_BYTE_MILLIS} ms, kept at that number (a client the listener
 * cuts off reconnects), and {@code threads} threads from {@link #CHURN_SOURCE} that open and close
 * {@code connections} TCP connections as fast as the listener takes them (connect, then close; every second one
 * with RST). Linux routes all of 127/8 to loopback, so a per-address handshake limit can tell both from the
 * ordinary dials, which come from 127.0.0.1.
 *
 * <p>Not thread-safe: one caller drives {@link #connectSlow}, {@link #startChurn}, {@link #churnDone} and
 * {@link #close} in that order. Every wait is bounded: connects 5 s, the slow clients' start 60 s.
 */
final class ChurnLoad implements ChurnScenario.Load {
    /** The slow clients' rate: one byte every this many ms. */
    static final long SLOW_BYTE_MILLIS = 2_000;
    private static final byte[] HEADER = HostilePeer.message(HostilePeer.HEADER);
    /** Where the slow clients come from; the ordinary dials come from 127.0.0.1. */
    static final InetAddress SLOW_SOURCE = loopback(2);
    /** Where the churn comes from. */
    static final InetAddress CHURN_SOURCE = loopback(3);

    /** What the load did; {@code churnMillis} from {@link #startChurn} to the last churn connection. */
    record Counts(long churnMillis, int churnConnected, int churnRefused, int slowConnects, int slowCut) {}

    private final InetSocketAddress address;
    private final int connections;
    private final int threads;
    private final int slow;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<Socket> slowSockets = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger slowConnects = new AtomicInteger();
    private final AtomicInteger slowCut = new AtomicInteger();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final List<Future<?>> churners = new ArrayList<>();
    private Future<?> slowDriver;
    private long churnStartNanos;
    private volatile long churnEndNanos;

    ChurnLoad(InetSocketAddress address, int connections, int threads, int slow) {
        this.address = address;
        this.connections = connections;
        this.threads = threads;
        this.slow = slow;
    }

    private static InetAddress loopback(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Connects the slow clients (waiting at most 60 s) and starts feeding them. */
    void connectSlow() throws Exception {
        List<Future<?>> starts = new ArrayList<>();
        for (int i = 0; i < slow; i++) {
            starts.add(pool.submit(() -> {
                Socket s = connect(SLOW_SOURCE, address);
                if (s != null) {
                    slowConnects.incrementAndGet();
                    slowSockets.add(s);
                }
            }));
        }
        for (Future<?> f : starts) {
            f.get(60, TimeUnit.SECONDS);
        }
        slowDriver = pool.submit(this::driveSlowClients);
    }

    /** Starts the churn threads; returns at once. */
    @Override
    public void startChurn() {
        churnStartNanos = System.nanoTime();
        AtomicInteger active = new AtomicInteger(threads);
        for (int t = 0; t < threads; t++) {
            churners.add(pool.submit(() -> {
                try {
                    int n;
                    while ((n = next.getAndIncrement()) < connections) {
                        Socket s = connect(CHURN_SOURCE, address);
                        if (s == null) {
                            refused.incrementAndGet();
                            continue;
                        }
                        connected.incrementAndGet();
                        try {
                            if (n % 2 == 0) {
                                s.setSoLinger(true, 0);
                            }
                            s.close();
                        } catch (IOException e) {
                            // closing
                        }
                    }
                } finally {
                    if (active.decrementAndGet() == 0) {
                        churnEndNanos = System.nanoTime();
                    }
                }
            }));
        }
    }

    /** @return whether every churn connection has been opened and closed */
    @Override
    public boolean churnDone() {
        return churners.stream().allMatch(Future::isDone);
    }

    /** Waits at most 1 min for the churn, then stops the slow clients and closes their sockets. */
    @Override
    public Counts finish() throws Exception {
        for (Future<?> f : churners) {
            f.get(1, TimeUnit.MINUTES);
        }
        running.set(false);
        if (slowDriver != null) {
            slowDriver.get(1, TimeUnit.MINUTES);
        }
        closeSlowSockets();
        long end = churnEndNanos == 0 ? System.nanoTime() : churnEndNanos;
        return new Counts((end - churnStartNanos) / 1_000_000, connected.get(), refused.get(), slowConnects.get(),
                slowCut.get());
    }

    @Override
    public void close() {
        running.set(false);
        closeSlowSockets();
        pool.shutdownNow();
    }

    private void closeSlowSockets() {
        synchronized (slowSockets) {
            for (Socket s : slowSockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
            slowSockets.clear();
        }
    }

    /** Every 2 s one more header byte to each slow client; a client cut off reconnects and starts over. */
    private void driveSlowClients() {
        AtomicLong round = new AtomicLong();
        while (running.get()) {
            long r = round.getAndIncrement();
            List<Socket> snapshot;
            synchronized (slowSockets) {
                snapshot = new ArrayList<>(slowSockets);
            }
            for (Socket s : snapshot) {
                try {
                    OutputStream out = s.getOutputStream();
                    out.write(HEADER[(int) (r % HEADER.length)]);
                    out.flush();
                } catch (IOException e) {
                    slowCut.incrementAndGet();
                    slowSockets.remove(s);
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                    Socket again = connect(SLOW_SOURCE, address);
                    if (again != null) {
                        slowConnects.incrementAndGet();
                        slowSockets.add(again);
                    }
                }
            }
            try {
                Thread.sleep(SLOW_BYTE_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static Socket connect(InetAddress source, InetSocketAddress address) {
        Socket s = new Socket();
        try {
            s.bind(new InetSocketAddress(source, 0));
            s.connect(address, 5_000);
            return s;
        } catch (IOException e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
            return null;
        }
    }

    /**
     * The load as a process of its own: {@code ChurnLoad HOST PORT CONNECTIONS THREADS SLOW}. It talks JSON
     * lines: it connects the slow clients and writes {@code {"event":"slow-ready","slowConnects":N}}; on any line
     * on stdin it starts the churn and, when the churn is done, writes {@code {"event":"churn-done",...}}; on the
     * next line (or the end of stdin) it stops the slow clients and writes {@code {"event":"load-done",...}}
     * with the {@link Counts}, then exits. It exits as well when stdin ends (the scenario's JVM is gone), and
     * waits at most 15 min for the churn.
     */
    public static void main(String[] args) throws Exception {
        InetSocketAddress address = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (ChurnLoad load = new ChurnLoad(address, Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                Integer.parseInt(args[4]))) {
            load.connectSlow();
            System.out.println(JsonLines.line("event", "slow-ready", "slowConnects", load.slowConnects.get()));
            System.out.flush();
            if (in.readLine() == null) {
                return;
            }
            load.startChurn();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
            while (!load.churnDone() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            System.out.println(JsonLines.line("event", "churn-done", "churnConnected", load.connected.get(),
                    "churnRefused", load.refused.get()));
            System.out.flush();
            in.readLine();
            Counts c = load.finish();
            System.out.println(JsonLines.line("event", "load-done", "churnMillis", c.churnMillis(),
                    "churnConnected", c.churnConnected(), "churnRefused", c.churnRefused(),
                    "slowConnects", c.slowConnects(), "slowCut", c.slowCut()));
            System.out.flush();
        }
    }
}
