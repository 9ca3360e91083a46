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
 * of each connection, and the listener accepts and closes every one. With {@link Plan#loadNice} the load runs
 * under {@code nice} instead, on any CPU. Beside each dial, idle and loaded, it measures two floors
 * ({@link FloorEcho}, {@link #cpuProbe}): what sharing the machine costs a bare TCP echo and a CPU-only task of
 * the dial's size.
 *
 * <p>Every wait is bounded: connects 5 s, a probe dial 20 s, the churn {@code 10 min}.
 */
final class ChurnScenario {
    /** What to run. */
    record Plan(int connections, int threads, int slow, TcpTransportConfig listener, boolean loadProcess,
            boolean pinned, int loadNice, int warmupDials, long dialGapMillis) {
        Plan {
            if (pinned && !loadProcess) {
                throw new IllegalArgumentException("pinned needs loadProcess");
            }
            if (loadNice != 0 && !loadProcess) {
                throw new IllegalArgumentException("loadNice needs loadProcess");
            }
            if (loadNice < 0 || loadNice > 19) {
                throw new IllegalArgumentException("loadNice must be 0 to 19, is " + loadNice);
            }
        }
    }

    /**
     * CPU time in this JVM from the start of the churn to the last loaded dial, in ns: wall clock, the listener's
     * accept threads ({@code crossdial-accept-*}; the ordinary dialer listens on nothing, so they are the
     * listener's), and the whole process (listener, ordinary dialer, probes).
     */
    record Cpu(long wallNanos, long acceptNanos, long processNanos) {}

    /** What was measured; times in ms, heap in bytes. */
    record Result(Plan plan, double idleDialMillis, List<Double> loadedDialMillis, int failedDials,
            double idleFloorMillis, List<Double> loadedFloorMillis, double idleCpuMillis,
            List<Double> loadedCpuMillis, Cpu cpu, ChurnLoad.Counts load, ListenerStats stats,
            long heapBaseline, long heapPeak, long heapAfter) {
        double loadedMedianMillis() {
            return percentile(loadedDialMillis, 0.5);
        }

        double loadedMaxMillis() {
            return loadedDialMillis.isEmpty() ? Double.NaN : Collections.max(loadedDialMillis);
        }

        /** @return one JSON line */
        String json() {
            double p90 = percentile(loadedDialMillis, 0.9);
            double floorMedian = percentile(loadedFloorMillis, 0.5);
            double floorP90 = percentile(loadedFloorMillis, 0.9);
            double cpuMedian = percentile(loadedCpuMillis, 0.5);
            double cpuP90 = percentile(loadedCpuMillis, 0.9);
            return String.format(Locale.ROOT, "{\"event\":\"churn\",\"connections\":%d,\"threads\":%d,\"slow\":%d,"
                    + "\"loadProcess\":%b,\"pinned\":%b,\"loadNice\":%d,"
                    + "\"maxHandshakes\":%d,\"maxHandshakesPerAddress\":%d,\"backlog\":%d,\"inboundRate\":%.3f,"
                    + "\"inboundBurst\":%d,\"warmupDials\":%d,\"dialGapMillis\":%d,\"idleDialMillis\":%.1f,"
                    + "\"loadedDials\":%d,\"loadedDialMedianMillis\":%.1f,\"loadedDialP90Millis\":%.1f,"
                    + "\"loadedDialMaxMillis\":%.1f,\"medianOverIdle\":%.2f,\"p90OverIdle\":%.2f,"
                    + "\"idleFloorMillis\":%.2f,\"loadedFloorMedianMillis\":%.2f,\"loadedFloorP90Millis\":%.2f,"
                    + "\"floorMedianOverIdle\":%.2f,\"floorP90OverIdle\":%.2f,"
                    + "\"idleCpuMillis\":%.2f,\"loadedCpuMedianMillis\":%.2f,\"loadedCpuP90Millis\":%.2f,"
                    + "\"cpuMedianOverIdle\":%.2f,\"cpuP90OverIdle\":%.2f,"
                    + "\"cpuWindowMillis\":%d,\"acceptCpuMillis\":%d,\"processCpuMillis\":%d,"
                    + "\"failedDials\":%d,\"churnMillis\":%d,\"churnConnected\":%d,\"churnRefused\":%d,"
                    + "\"slowConnects\":%d,\"slowCut\":%d,\"peakHandshakes\":%d,\"accepted\":%d,\"rejected\":%d,"
                    + "\"heapBaselineMiB\":%.1f,\"heapPeakMiB\":%.1f,\"heapAfterMiB\":%.1f,\"loadedDialsMillis\":%s}",
                    plan.connections, plan.threads, plan.slow, plan.loadProcess, plan.pinned, plan.loadNice,
                    plan.listener.effectiveMaxHandshakes(), plan.listener.maxHandshakesPerAddress(),
                    plan.listener.backlog(), plan.listener.inboundRateLimit().perSecond(),
                    plan.listener.inboundRateLimit().burst(), plan.warmupDials, plan.dialGapMillis, idleDialMillis,
                    loadedDialMillis.size(), loadedMedianMillis(), p90,
                    loadedMaxMillis(), loadedMedianMillis() / idleDialMillis, p90 / idleDialMillis,
                    idleFloorMillis, floorMedian, floorP90, floorMedian / idleFloorMillis, floorP90 / idleFloorMillis,
                    idleCpuMillis, cpuMedian, cpuP90, cpuMedian / idleCpuMillis, cpuP90 / idleCpuMillis,
                    cpu.wallNanos / 1_000_000, cpu.acceptNanos / 1_000_000, cpu.processNanos / 1_000_000, failedDials,
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
        FloorEcho floor = null;
        int cpus = Runtime.getRuntime().availableProcessors();
        try {
            floor = new FloorEcho();
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
            for (int i = 0; i < plan.warmupDials; i++) {
                floor.probe();
            }
            List<Double> idle = new ArrayList<>();
            List<Double> idleFloor = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                idle.add(dialAndPing(dialer, target));
                idleFloor.add(floor.probe());
            }
            for (int i = 0; i < 50; i++) {
                cpuProbe(2_000); // warm-up
            }
            int cpuIterations = cpuIterationsFor(percentile(idle, 0.5));
            List<Double> idleCpu = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                idleCpu.add(cpuProbe(cpuIterations));
            }
            long heapBaseline = heapAfterGc();

            load = plan.loadProcess ? processLoad(plan, address, cpus) : localLoad(plan, address);
            long acceptCpuStart = threadCpuNanos("crossdial-accept");
            long processCpuStart = processCpuNanos();
            load.startChurn();
            long churnStart = System.nanoTime();
            List<Double> loaded = new ArrayList<>();
            List<Double> loadedFloor = new ArrayList<>();
            List<Double> loadedCpu = new ArrayList<>();
            int failed = 0;
            long heapPeak = 0;
            while (!load.churnDone() || loaded.isEmpty()) {
                try {
                    loaded.add(dialAndPing(dialer, target));
                } catch (RuntimeException | java.util.concurrent.ExecutionException
                        | java.util.concurrent.TimeoutException e) {
                    failed++;
                }
                loadedFloor.add(floor.probe());
                loadedCpu.add(cpuProbe(cpuIterations));
                heapPeak = Math.max(heapPeak, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                Thread.sleep(plan.dialGapMillis);
                if (System.nanoTime() - churnStart > TimeUnit.MINUTES.toNanos(10)) {
                    throw new IllegalStateException("the churn did not end within 10 minutes");
                }
            }
            long churnWall = System.nanoTime() - churnStart;
            long acceptCpu = threadCpuNanos("crossdial-accept") - acceptCpuStart;
            long processCpu = processCpuNanos() - processCpuStart;
            ChurnLoad.Counts counts = load.finish();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((listener.transport().listeners().get(0).stats().handshakesInProgress() > 0
                    || !listener.connections().isEmpty()) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            ListenerStats stats = listener.transport().listeners().get(0).stats();
            long heapAfter = heapAfterGc();
            return new Result(plan, percentile(idle, 0.5), loaded, failed, percentile(idleFloor, 0.5), loadedFloor,
                    percentile(idleCpu, 0.5), loadedCpu, new Cpu(churnWall, acceptCpu, processCpu), counts, stats,
                    heapBaseline, heapPeak, heapAfter);
        } finally {
            if (load != null) {
                load.close();
            }
            if (plan.pinned) {
                pin(ProcessHandle.current().pid(), "0-" + (cpus - 1));
            }
            if (floor != null) {
                floor.close();
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
        if (plan.loadNice != 0) {
            argv.addAll(List.of("nice", "-n", String.valueOf(plan.loadNice)));
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
        int exit = -1;
        for (int attempt = 0; attempt < 5 && exit != 0; attempt++) {
            // taskset walks /proc/PID/task and fails when a thread ends under it: try again
            Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, String.valueOf(pid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("taskset did not end within 10 s");
            }
            exit = p.exitValue();
        }
        if (exit != 0) {
            throw new IllegalStateException("taskset -a -p -c " + cpus + " " + pid + " exited " + exit + " 5 times");
        }
    }

    /**
     * @param prefix the start of the threads' names
     * @return the CPU time (user and system) of this JVM's live threads whose names start so, in ns
     */
    static long threadCpuNanos(String prefix) {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long nanos = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(prefix)) {
                nanos += Math.max(0, mx.getThreadCpuTime(t.getId())); // -1: ended meanwhile
            }
        }
        return nanos;
    }

    /** @return this JVM's CPU time (all threads, user and system) in ns, or -1 */
    static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    /**
     * The CPU floor under {@link #dialAndPing}: {@code iterations} SHA-256 digests of a 1 KiB buffer on the calling
     * thread, no I/O. Calibrated ({@link #cpuIterationsFor}) to take about the idle dial's time, its slowdown under
     * the load is what sharing this JVM's CPU costs a piece of work the size of a dial.
     *
     * @return ms taken
     */
    static double cpuProbe(int iterations) {
        long start = System.nanoTime();
        byte[] block = new byte[1024];
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            for (int i = 0; i < iterations; i++) {
                sha.update(block);
                block[i & 1023] ^= sha.digest()[0];
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return (System.nanoTime() - start) / 1e6;
    }

    /** @return how many {@link #cpuProbe} iterations take about {@code millis} ms now (median of 5 timings) */
    static int cpuIterationsFor(double millis) {
        int sample = 2_000;
        List<Double> perIteration = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            perIteration.add(cpuProbe(sample) / sample);
        }
        return (int) Math.max(1, Math.round(millis / percentile(perIteration, 0.5)));
    }

    /**
     * The floor under {@link #dialAndPing}: a bare blocking TCP echo in this JVM, on a listen socket of its own
     * (no accept queue shared with the load), and a probe that connects, makes {@value #ROUND_TRIPS} one-byte round
     * trips (about as many as a dial, the Noise handshake, the muxer, a stream and a ping take) and closes. Its
     * slowdown under the load is what sharing the machine costs any server and client in this JVM, whatever the
     * listener does; the dial's slowdown beyond it is the listener's. Not thread-safe: one caller probes.
     * Every wait is bounded: connect 5 s, each read 20 s.
     */
    static final class FloorEcho implements AutoCloseable {
        static final int ROUND_TRIPS = 7;
        private final java.net.ServerSocket server;
        private final Thread acceptor;

        FloorEcho() throws IOException {
            server = new java.net.ServerSocket(0, 16, java.net.InetAddress.getLoopbackAddress());
            acceptor = new Thread(this::serve, "churn-floor-echo");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void serve() {
            while (!server.isClosed()) {
                try (java.net.Socket s = server.accept()) {
                    s.setTcpNoDelay(true);
                    s.setSoTimeout(20_000);
                    java.io.InputStream in = s.getInputStream();
                    java.io.OutputStream out = s.getOutputStream();
                    for (int b = in.read(); b >= 0; b = in.read()) {
                        out.write(b);
                    }
                } catch (IOException e) {
                    // closed, or a probe gone: serve the next one
                }
            }
        }

        /** @return ms for the connect, {@value #ROUND_TRIPS} round trips and the close */
        double probe() throws IOException {
            long start = System.nanoTime();
            try (java.net.Socket s = new java.net.Socket()) {
                s.setTcpNoDelay(true);
                s.setSoTimeout(20_000);
                s.connect(server.getLocalSocketAddress(), 5_000);
                java.io.InputStream in = s.getInputStream();
                java.io.OutputStream out = s.getOutputStream();
                for (int i = 0; i < ROUND_TRIPS; i++) {
                    out.write(i);
                    if (in.read() != i) {
                        throw new IOException("the floor echo did not echo round trip " + i);
                    }
                }
            }
            return (System.nanoTime() - start) / 1e6;
        }

        @Override
        public void close() throws IOException, InterruptedException {
            server.close();
            acceptor.join(5_000);
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
