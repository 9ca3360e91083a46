package io.crossdial.interop.faults;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.protocol.PingClient;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.lab.JsonLines;
import io.crossdial.lab.LabPeer;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.transport.tcp.ListenerStats;
import io.crossdial.transport.tcp.TcpTransportConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Listener churn (specs/reliability.md, "Churn"): against one crossdial listener (Noise + yamux, default
 * timeouts), the {@link ChurnLoad} (slow handshakes and a connect/close churn from their own loopback addresses)
 * while an ordinary crossdial host, from 127.0.0.1, dials, pings and closes, {@link Plan#dialGapMillis} ms apart.
 * Before the load the same dial is measured on the idle listener (after {@link Plan#warmupDials} dials); after
 * it, everything is closed and the heap measured again after garbage collection.
 *
 * <p>The load runs in this JVM or ({@link Plan#loadProcess}) in a JVM of its own, which is then what the
 * measurement is: the load stands for peers on other machines, and a load generator sharing the listener's heap,
 * GC and safepoints measures itself as much as the listener. With {@link Plan#pinned} (Linux, {@code taskset})
 * this JVM (listener and ordinary dialer) runs on CPU 0 and the load process on the others, so the load's own
 * CPU is not taken from the listener either; the kernel still does the load's TCP work for the listener's side
 * of each connection, and the listener accepts and closes every one.
 *
 * <p>Every wait is bounded: connects 5 s, a probe dial 20 s, the churn {@code 10 min}.
 */
final class ChurnScenario {
    /** What to run. */
    record Plan(int connections, int threads, int slow, TcpTransportConfig listener, boolean loadProcess,
            boolean pinned, int warmupDials, long dialGapMillis) {
        Plan {
            if (pinned && !loadProcess) {
                throw new IllegalArgumentException("pinned needs loadProcess");
            }
        }
    }

    /** What was measured; times in ms, heap in bytes. */
    record Result(Plan plan, double idleDialMillis, List<Double> loadedDialMillis, int failedDials,
            ChurnLoad.Counts load, ListenerStats stats, long heapBaseline, long heapPeak, long heapAfter) {
        double loadedMedianMillis() {
            return percentile(loadedDialMillis, 0.5);
        }

        double loadedMaxMillis() {
            return loadedDialMillis.isEmpty() ? Double.NaN : Collections.max(loadedDialMillis);
        }

        /** @return one JSON line */
        String json() {
            double p90 = percentile(loadedDialMillis, 0.9);
            return String.format(Locale.ROOT, "{\"event\":\"churn\",\"connections\":%d,\"threads\":%d,\"slow\":%d,"
                    + "\"loadProcess\":%b,\"pinned\":%b,"
                    + "\"maxHandshakes\":%d,\"maxHandshakesPerAddress\":%d,\"backlog\":%d,\"inboundRate\":%.3f,"
                    + "\"inboundBurst\":%d,\"warmupDials\":%d,\"dialGapMillis\":%d,\"idleDialMillis\":%.1f,"
                    + "\"loadedDials\":%d,\"loadedDialMedianMillis\":%.1f,\"loadedDialP90Millis\":%.1f,"
                    + "\"loadedDialMaxMillis\":%.1f,\"medianOverIdle\":%.2f,\"p90OverIdle\":%.2f,"
                    + "\"failedDials\":%d,\"churnMillis\":%d,\"churnConnected\":%d,\"churnRefused\":%d,"
                    + "\"slowConnects\":%d,\"slowCut\":%d,\"peakHandshakes\":%d,\"accepted\":%d,\"rejected\":%d,"
                    + "\"heapBaselineMiB\":%.1f,\"heapPeakMiB\":%.1f,\"heapAfterMiB\":%.1f,\"loadedDialsMillis\":%s}",
                    plan.connections, plan.threads, plan.slow, plan.loadProcess, plan.pinned,
                    plan.listener.effectiveMaxHandshakes(), plan.listener.maxHandshakesPerAddress(),
                    plan.listener.backlog(), plan.listener.inboundRateLimit().perSecond(),
                    plan.listener.inboundRateLimit().burst(), plan.warmupDials, plan.dialGapMillis, idleDialMillis,
                    loadedDialMillis.size(), loadedMedianMillis(), p90,
                    loadedMaxMillis(), loadedMedianMillis() / idleDialMillis, p90 / idleDialMillis, failedDials,
                    load.churnMillis(), load.churnConnected(), load.churnRefused(), load.slowConnects(),
                    load.slowCut(), stats.peakHandshakes(),
                    stats.shardAccepts().stream().mapToLong(Long::longValue).sum(), stats.rejected(),
                    heapBaseline / 1048576.0, heapPeak / 1048576.0, heapAfter / 1048576.0,
                    loadedDialMillis.stream().map(d -> String.format(Locale.ROOT, "%.1f", d)).toList());
        }
    }

    /** The load, here ({@link ChurnLoad}) or in its own process. */
    interface Load extends AutoCloseable {
        void startChurn();

        boolean churnDone();

        ChurnLoad.Counts finish() throws Exception;

        @Override
        void close();
    }

    private ChurnScenario() {}

    static Result run(Plan plan) throws Exception {
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
        Load load = null;
        int cpus = Runtime.getRuntime().availableProcessors();
        try {
            if (plan.pinned) {
                if (cpus < 2) {
                    throw new IllegalStateException("pinned needs 2 CPUs or more, this JVM has " + cpus);
                }
                pin(ProcessHandle.current().pid(), "0");
            }
            Multiaddr target = listener.listenAddrs().get(0).withPeerId(listener.peerId());
            InetSocketAddress address = listener.listenAddrs().get(0).toSocketAddress();
            for (int i = 0; i < plan.warmupDials; i++) {
                dialAndPing(dialer, target); // warm-up: JIT, key caches
            }
            List<Double> idle = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                idle.add(dialAndPing(dialer, target));
            }
            long heapBaseline = heapAfterGc();

            load = plan.loadProcess ? processLoad(plan, address, cpus) : localLoad(plan, address);
            load.startChurn();
            long churnStart = System.nanoTime();
            List<Double> loaded = new ArrayList<>();
            int failed = 0;
            long heapPeak = 0;
            while (!load.churnDone() || loaded.isEmpty()) {
                try {
                    loaded.add(dialAndPing(dialer, target));
                } catch (RuntimeException | java.util.concurrent.ExecutionException
                        | java.util.concurrent.TimeoutException e) {
                    failed++;
                }
                heapPeak = Math.max(heapPeak, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                Thread.sleep(plan.dialGapMillis);
                if (System.nanoTime() - churnStart > TimeUnit.MINUTES.toNanos(10)) {
                    throw new IllegalStateException("the churn did not end within 10 minutes");
                }
            }
            ChurnLoad.Counts counts = load.finish();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((listener.transport().listeners().get(0).stats().handshakesInProgress() > 0
                    || !listener.connections().isEmpty()) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            ListenerStats stats = listener.transport().listeners().get(0).stats();
            long heapAfter = heapAfterGc();
            return new Result(plan, percentile(idle, 0.5), loaded, failed, counts, stats, heapBaseline, heapPeak,
                    heapAfter);
        } finally {
            if (load != null) {
                load.close();
            }
            if (plan.pinned) {
                pin(ProcessHandle.current().pid(), "0-" + (cpus - 1));
            }
            dialer.close();
            listener.close();
        }
    }

    private static Load localLoad(Plan plan, InetSocketAddress address) throws Exception {
        ChurnLoad load = new ChurnLoad(address, plan.connections, plan.threads, plan.slow);
        try {
            load.connectSlow();
        } catch (Exception | Error e) {
            load.close();
            throw e;
        }
        return load;
    }

    /** {@link ChurnLoad#main} in a JVM of its own (this JVM's java.home and class path), on CPUs 1.. when pinned. */
    private static Load processLoad(Plan plan, InetSocketAddress address, int cpus) {
        List<String> argv = new ArrayList<>();
        if (plan.pinned) {
            argv.addAll(List.of("taskset", "-c", "1-" + (cpus - 1)));
        }
        List<Path> classpath = java.util.Arrays.stream(System.getProperty("java.class.path")
                .split(java.io.File.pathSeparator)).map(Path::of).toList();
        argv.addAll(LabPeer.javaArgv(List.of("-Xmx256m"), classpath, ChurnLoad.class.getName(),
                List.of(address.getAddress().getHostAddress(), String.valueOf(address.getPort()),
                        String.valueOf(plan.connections), String.valueOf(plan.threads), String.valueOf(plan.slow))));
        LabPeer peer = LabPeer.start("churn-load", new ProcessBuilder(argv));
        try {
            peer.awaitEvent("slow-ready", Duration.ofSeconds(90));
        } catch (RuntimeException e) {
            peer.close();
            throw e;
        }
        AtomicBoolean done = new AtomicBoolean();
        return new Load() {
            @Override
            public void startChurn() {
                peer.send(Map.of("cmd", "churn"));
            }

            @Override
            public boolean churnDone() {
                if (!done.get()) {
                    try {
                        peer.awaitEvent("churn-done", Duration.ofMillis(1));
                        done.set(true);
                    } catch (io.crossdial.lab.LabException e) {
                        if (!peer.isAlive()) {
                            throw new IllegalStateException("the load process ended: " + peer.stderrTail(), e);
                        }
                    }
                }
                return done.get();
            }

            @Override
            public ChurnLoad.Counts finish() {
                if (!done.get()) {
                    peer.awaitEvent("churn-done", Duration.ofMinutes(1));
                    done.set(true);
                }
                peer.send(Map.of("cmd", "stop"));
                Map<String, Object> r = peer.awaitEvent("load-done", Duration.ofMinutes(2));
                return new ChurnLoad.Counts(JsonLines.number(r, "churnMillis", -1),
                        (int) JsonLines.number(r, "churnConnected", -1), (int) JsonLines.number(r, "churnRefused", -1),
                        (int) JsonLines.number(r, "slowConnects", -1), (int) JsonLines.number(r, "slowCut", -1));
            }

            @Override
            public void close() {
                peer.close();
            }
        };
    }

    /** Sets the CPU affinity of every thread of {@code pid} ({@code taskset -a -p -c CPUS PID}); 10 s at most. */
    private static void pin(long pid, String cpus) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, String.valueOf(pid))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("taskset did not end within 10 s");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("taskset -a -p -c " + cpus + " " + pid + " exited " + p.exitValue());
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
