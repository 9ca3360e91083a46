package io.crossdial.interop.faults;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.protocol.PingClient;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.transport.tcp.ListenerStats;
import io.crossdial.transport.tcp.TcpTransportConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Listener churn (specs/reliability.md, "Churn"): against one crossdial listener (Noise + yamux, default
 * timeouts), {@code slow} raw clients that send the multistream header one byte every 2 s, kept at that number
 * for the whole run (a client the listener cuts off reconnects), while {@code threads} threads open and close
 * {@code connections} TCP connections as fast as the listener takes them (connect, then close: every second one
 * with RST); the slow clients connect from 127.0.0.2, the churn from 127.0.0.3 (Linux routes all of 127/8 to
 * loopback), so a per-address handshake limit can tell them from the ordinary dials from 127.0.0.1; meanwhile an ordinary crossdial host dials, pings and closes every 250 ms. Before the load the
 * same dial is measured on the idle listener; after it, everything is closed and the heap measured again after
 * garbage collection.
 *
 * <p>Every wait is bounded: connects 5 s, a probe dial 20 s, the churn {@code 10 min}.
 */
final class ChurnScenario {
    /** The slow clients' rate: one byte every this many ms. */
    static final long SLOW_BYTE_MILLIS = 2_000;
    private static final byte[] HEADER = HostilePeer.message(HostilePeer.HEADER);
    /** Where the slow clients come from; the ordinary dials come from 127.0.0.1. */
    static final InetAddress SLOW_SOURCE = loopback(2);
    /** Where the churn comes from. */
    static final InetAddress CHURN_SOURCE = loopback(3);

    private static InetAddress loopback(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What to run. */
    record Plan(int connections, int threads, int slow, TcpTransportConfig listener) {}

    /** What was measured; times in ms, heap in bytes. */
    record Result(Plan plan, double idleDialMillis, List<Double> loadedDialMillis, int failedDials,
            long churnMillis, int churnConnected, int churnRefused, int slowConnects, int slowCut,
            ListenerStats stats, long heapBaseline, long heapPeak, long heapAfter) {
        double loadedMedianMillis() {
            return percentile(loadedDialMillis, 0.5);
        }

        double loadedMaxMillis() {
            return loadedDialMillis.isEmpty() ? Double.NaN : Collections.max(loadedDialMillis);
        }

        /** @return one JSON line */
        String json() {
            return String.format(Locale.ROOT, "{\"event\":\"churn\",\"connections\":%d,\"threads\":%d,\"slow\":%d,"
                    + "\"maxHandshakes\":%d,\"maxHandshakesPerAddress\":%d,\"backlog\":%d,\"idleDialMillis\":%.1f,\"loadedDials\":%d,"
                    + "\"loadedDialMedianMillis\":%.1f,\"loadedDialP90Millis\":%.1f,\"loadedDialMaxMillis\":%.1f,"
                    + "\"failedDials\":%d,\"churnMillis\":%d,\"churnConnected\":%d,\"churnRefused\":%d,"
                    + "\"slowConnects\":%d,\"slowCut\":%d,\"peakHandshakes\":%d,\"accepted\":%d,\"rejected\":%d,"
                    + "\"heapBaselineMiB\":%.1f,\"heapPeakMiB\":%.1f,\"heapAfterMiB\":%.1f}",
                    plan.connections, plan.threads, plan.slow, plan.listener.effectiveMaxHandshakes(),
                    plan.listener.maxHandshakesPerAddress(), plan.listener.backlog(), idleDialMillis, loadedDialMillis.size(), loadedMedianMillis(),
                    percentile(loadedDialMillis, 0.9), loadedMaxMillis(), failedDials, churnMillis, churnConnected,
                    churnRefused, slowConnects, slowCut, stats.peakHandshakes(),
                    stats.shardAccepts().stream().mapToLong(Long::longValue).sum(), stats.rejected(),
                    heapBaseline / 1048576.0, heapPeak / 1048576.0, heapAfter / 1048576.0);
        }
    }

    private ChurnScenario() {}

    static Result run(Plan plan) throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        Host listener = Host.builder()
                .identity(Keys.generateEd25519())
                .listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))
                .security(new NoiseSecurityTransport())
                .muxer(new YamuxStreamMuxer())
                .transportConfig(plan.listener)
                .build()
                .start();
        Host dialer = Host.builder()
                .identity(Keys.generateEd25519())
                .security(new NoiseSecurityTransport())
                .muxer(new YamuxStreamMuxer())
                .transportConfig(TcpTransportConfig.defaults().withPortReuse(false))
                .build()
                .start();
        List<Socket> slowSockets = Collections.synchronizedList(new ArrayList<>());
        try {
            Multiaddr target = listener.listenAddrs().get(0).withPeerId(listener.peerId());
            InetSocketAddress address = listener.listenAddrs().get(0).toSocketAddress();
            for (int i = 0; i < 5; i++) {
                dialAndPing(dialer, target); // warm-up: JIT, key caches
            }
            List<Double> idle = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                idle.add(dialAndPing(dialer, target));
            }
            long heapBaseline = heapAfterGc();

            // the slow clients, one byte every 2 s each, reconnecting when cut off
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger slowConnects = new AtomicInteger();
            AtomicInteger slowCut = new AtomicInteger();
            List<Future<?>> slowStarts = new ArrayList<>();
            for (int i = 0; i < plan.slow; i++) {
                slowStarts.add(pool.submit(() -> {
                    Socket s = connect(SLOW_SOURCE, address);
                    if (s != null) {
                        slowConnects.incrementAndGet();
                        slowSockets.add(s);
                    }
                }));
            }
            for (Future<?> f : slowStarts) {
                f.get(60, TimeUnit.SECONDS);
            }
            Future<?> slowDriver = pool.submit(() -> driveSlowClients(slowSockets, address, running, slowConnects,
                    slowCut));

            // the churn and, meanwhile, the probe dials
            AtomicInteger next = new AtomicInteger();
            AtomicInteger connected = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            long churnStart = System.nanoTime();
            List<Future<?>> churners = new ArrayList<>();
            for (int t = 0; t < plan.threads; t++) {
                churners.add(pool.submit(() -> {
                    int n;
                    while ((n = next.getAndIncrement()) < plan.connections) {
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
                }));
            }
            List<Double> loaded = new ArrayList<>();
            int failed = 0;
            long heapPeak = 0;
            while (!allDone(churners) || loaded.isEmpty()) {
                try {
                    loaded.add(dialAndPing(dialer, target));
                } catch (RuntimeException | java.util.concurrent.ExecutionException
                        | java.util.concurrent.TimeoutException e) {
                    failed++;
                }
                heapPeak = Math.max(heapPeak, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                Thread.sleep(250);
                if (System.nanoTime() - churnStart > TimeUnit.MINUTES.toNanos(10)) {
                    throw new IllegalStateException("the churn did not end within 10 minutes");
                }
            }
            long churnMillis = (System.nanoTime() - churnStart) / 1_000_000;
            for (Future<?> f : churners) {
                f.get(1, TimeUnit.MINUTES);
            }
            running.set(false);
            slowDriver.get(1, TimeUnit.MINUTES);
            synchronized (slowSockets) {
                for (Socket s : slowSockets) {
                    s.close();
                }
                slowSockets.clear();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((listener.transport().listeners().get(0).stats().handshakesInProgress() > 0
                    || !listener.connections().isEmpty()) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            ListenerStats stats = listener.transport().listeners().get(0).stats();
            long heapAfter = heapAfterGc();
            return new Result(plan, percentile(idle, 0.5), loaded, failed, churnMillis, connected.get(),
                    refused.get(), slowConnects.get(), slowCut.get(), stats, heapBaseline, heapPeak, heapAfter);
        } finally {
            synchronized (slowSockets) {
                for (Socket s : slowSockets) {
                    s.close();
                }
            }
            pool.shutdownNow();
            dialer.close();
            listener.close();
        }
    }

    /** Every 2 s one more header byte to each slow client; a client cut off reconnects and starts over. */
    private static void driveSlowClients(List<Socket> sockets, InetSocketAddress address, AtomicBoolean running,
            AtomicInteger connects, AtomicInteger cut) {
        AtomicLong round = new AtomicLong();
        while (running.get()) {
            long r = round.getAndIncrement();
            List<Socket> snapshot;
            synchronized (sockets) {
                snapshot = new ArrayList<>(sockets);
            }
            for (Socket s : snapshot) {
                try {
                    OutputStream out = s.getOutputStream();
                    int i = (int) (r % HEADER.length);
                    out.write(HEADER[i]);
                    out.flush();
                } catch (IOException e) {
                    cut.incrementAndGet();
                    sockets.remove(s);
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                    Socket again = connect(SLOW_SOURCE, address);
                    if (again != null) {
                        connects.incrementAndGet();
                        sockets.add(again);
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

    /** @return ms for an ordinary dial, one ping and the close */
    static double dialAndPing(Host dialer, Multiaddr target) throws Exception {
        long start = System.nanoTime();
        Connection c = dialer.dial(target).get(20_000, TimeUnit.MILLISECONDS);
        try {
            PingClient ping = c.newStream(s -> new PingClient(s, Duration.ofSeconds(20)),
                    ProtocolIds.PING).get(20_000, TimeUnit.MILLISECONDS);
            ping.ping().get(20_000, TimeUnit.MILLISECONDS);
        } finally {
            c.close().awaitUninterruptibly(20_000);
        }
        return (System.nanoTime() - start) / 1e6;
    }

    private static boolean allDone(List<Future<?>> futures) {
        return futures.stream().allMatch(Future::isDone);
    }

    static long heapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(p * sorted.size())));
    }
}
