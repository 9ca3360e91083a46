package io.crossdial.bench;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.protocol.PerfClient;
import io.crossdial.host.protocol.PerfResponder;
import io.crossdial.host.protocol.PerfResult;
import io.crossdial.host.protocol.PingClient;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.lab.JsonLines;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The crossdial side of the whole-process benchmarks: one JVM per role, driven by {@link Runner}. Every
 * command prints its outcome as one JSON line on stdout (diagnostics on stderr).
 *
 * <pre>
 * serve   [--port P]                          listen on 127.0.0.1 (Noise, yamux; ping, perf); prints
 *                                             {"event":"listening","multiaddr":...}; a line "heap" on stdin
 *                                             prints {"event":"heap","heapUsedBytes":..,"connections":..}
 *                                             after a full GC; exits at stdin EOF
 * perf    MA --upload B --download B [--streams N] [--warmup B [--warmup-seconds S] [--sync]]
 *                                             /perf/1.0.0 over one connection; --warmup first moves B
 *                                             each way, repeated until S seconds passed (prints
 *                                             {"event":"warmed",..}, not counted); --sync then waits for a
 *                                             line on stdin
 * upgrades MA --seconds S [--warmup W [--sync]] [--concurrency C]
 *                                             dial, Noise, yamux, one ping, close, in C asynchronous
 *                                             loops; counted after W seconds (--sync: after a line on stdin)
 * latency MA --count N [--listen]             sequential connect + first ping latencies; --listen: the
 *                                             client also listens on 127.0.0.1 and dials from that port
 *                                             (port reuse, SO_REUSEPORT), as a host that listens does; a
 *                                             dial that fell back to an ephemeral port (the 4-tuple still
 *                                             held by the previous connection's close) is not counted and
 *                                             is repeated, at most N times in all ("fellBack");
 *                                             "detections" counts the simultaneous-open outcomes (NONE:
 *                                             an ordinary dial), with the median TCP connect and
 *                                             multistream answer times the stock-dialer hold compares
 * hold    MA --connections N                  opens N idle upgraded connections, reports own heap, waits
 *                                             for stdin EOF
 * </pre>
 *
 * <p>Not part of the library: a benchmark harness, run with {@code java -cp benchmarks.jar}.
 */
public final class Driver {
    private static final long TIMEOUT_MILLIS = 120_000;

    private Driver() {}

    /**
     * @param args the command and its options, see the class comment
     * @throws Exception on any failure (the process exits non-zero)
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: Driver serve|perf|upgrades|latency|hold ...");
        }
        Map<String, String> o = Opts.parse(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "serve" -> serve(o);
            case "perf" -> perf(o);
            case "upgrades" -> upgrades(o);
            case "latency" -> latency(o);
            case "hold" -> hold(o);
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
        System.exit(0);
    }

    static Host host(int port) {
        var b = Host.builder().identity(Keys.generateEd25519())
                .security(Boolean.getBoolean("bench.noiseStaticKeyPerSession")
                        ? NoiseSecurityTransport.withStaticKeyPerSession() : new NoiseSecurityTransport())
                .muxer(new YamuxStreamMuxer(yamuxConfig()))
                .protocol(ProtocolIds.PERF, c -> new PerfResponder())
                .onConnection(Driver::tune);
        // Every load generator here is one peer at one address (up to 10,000 held connections, 16 upgrade
        // loops), which the default limits (8 connections per peer, 64 handshakes per address) exist to refuse;
        // the benchmarks measure the upgrade path and what a connection costs, specs/reliability.md measures the
        // limits. -Dbench.limits=true keeps the defaults.
        boolean limits = Boolean.getBoolean("bench.limits");
        if (!limits) {
            b.resourceManager(io.crossdial.upgrader.ResourceManager.UNLIMITED);
        }
        TcpTransportConfig.Builder transport = TcpTransportConfig.builder();
        if (!limits) {
            transport.maxHandshakesPerAddress(0);
        }
        int threads = Integer.getInteger("bench.workerThreads", 0);
        if (threads > 0) {
            transport.workerThreads(threads);
        }
        b.transportConfig(transport.build());
        if (port >= 0) {
            b.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/" + port));
        }
        return b.build().start();
    }

    /**
     * Experiment switches (system properties), off by default: {@code bench.highWaterBytes} raises the TCP
     * channel's write-buffer high water mark (low = half) on every connection; {@code bench.workerThreads}
     * sets the TCP transport's event-loop threads.
     */
    static void tune(Connection c) {
        int high = Integer.getInteger("bench.highWaterBytes", 0);
        if (high > 0) {
            c.channel().config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(high / 2, high));
        }
    }

    /**
     * yamux experiment switches: {@code bench.yamuxWindow} (initial receive window, bytes) and
     * {@code bench.yamuxMaxFrame} (largest Data payload sent, bytes), {@code bench.yamuxKeepAliveMillis}
     * (keepalive Ping interval: the first Ping is what measures the RTT that window growth needs);
     * defaults otherwise.
     */
    static io.crossdial.muxer.yamux.YamuxConfig yamuxConfig() {
        var b = io.crossdial.muxer.yamux.YamuxConfig.builder();
        int window = Integer.getInteger("bench.yamuxWindow", 0);
        if (window > 0) {
            b.initialWindowBytes(window).maxWindowBytes(Math.max(window, 16 << 20));
        }
        int keepAlive = Integer.getInteger("bench.yamuxKeepAliveMillis", 0);
        if (keepAlive > 0) {
            b.keepAliveIntervalMillis(keepAlive);
        }
        int frame = Integer.getInteger("bench.yamuxMaxFrame", 0);
        if (frame > 0) {
            b.maxDataFrameBytes(frame);
        }
        return b.build();
    }

    static String jvm() {
        return System.getProperty("java.vm.name") + " " + Runtime.version();
    }

    private static void serve(Map<String, String> o) throws Exception {
        try (Host host = host(Integer.parseInt(o.getOrDefault("port", "0")))) {
            Multiaddr addr = host.listenAddrs().get(0).withPeerId(host.peerId());
            System.out.println(JsonLines.line("event", "listening", "multiaddr", addr.toString(), "jvm", jvm()));
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.trim().equals("cpu")) {
                    System.out.println(JsonLines.line("event", "cpu", "cpuNanos", cpuNanos()));
                } else if (line.trim().equals("heap")) {
                    long used = gcHeapUsed();
                    System.out.println(JsonLines.line("event", "heap", "heapUsedBytes", used,
                            "connections", host.connections().size()));
                }
            }
        }
    }

    /** @return CPU time this process used so far (all threads, user + system), in ns; -1 if unknown */
    static long cpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** @return heap bytes in use after repeated full collections */
    static long gcHeapUsed() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static void perf(Map<String, String> o) throws Exception {
        Multiaddr addr = Multiaddr.fromString(o.get("_0"));
        long upload = Long.parseLong(o.getOrDefault("upload", String.valueOf(1L << 30)));
        long download = Long.parseLong(o.getOrDefault("download", String.valueOf(1L << 30)));
        int streams = Integer.parseInt(o.getOrDefault("streams", "1"));
        long warmup = Long.parseLong(o.getOrDefault("warmup", "0"));
        try (Host host = host(-1)) {
            Connection c = host.dial(addr).get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            tune(c);
            if (warmup > 0) {
                // the same workload on the same connection, repeated for at least --warmup-seconds: JIT
                // warm-up, not counted; the first round's rate is the cold figure
                double minSeconds = Double.parseDouble(o.getOrDefault("warmup-seconds", "0"));
                long t0 = System.nanoTime();
                long bytes = transfer(c, streams, warmup, warmup);
                double seconds = (System.nanoTime() - t0) / 1e9;
                int rounds = 1;
                while ((System.nanoTime() - t0) / 1e9 < minSeconds) {
                    transfer(c, streams, warmup, warmup);
                    rounds++;
                }
                System.out.println(JsonLines.line("event", "warmed", "bytes", bytes, "seconds", seconds,
                        "gbitPerSecond", bytes * 8 / seconds / 1e9, "rounds", rounds,
                        "warmupSeconds", (System.nanoTime() - t0) / 1e9));
                awaitGo(o);
            }
            long cpu0 = cpuNanos();
            long start = System.nanoTime();
            long total = transfer(c, streams, upload, download);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.println(JsonLines.line("event", "perf", "streams", streams, "bytes", total, "seconds", seconds,
                    "gbitPerSecond", total * 8 / seconds / 1e9, "cpuNanos", cpuNanos() - cpu0, "jvm", jvm(),
                    "crypto", io.crossdial.core.crypto.CryptoProvider.active()));
            c.close().awaitUninterruptibly(2000);
        }
    }

    /** Runs {@code streams} parallel perf streams on {@code c}; returns the bytes moved (both ways). */
    private static long transfer(Connection c, int streams, long upload, long download) throws Exception {
        // each stream's opening and run are bounded in runParallel; this wait only backs them up
        PerfResult r = PerfClient.runParallel(c, streams, upload, download, Duration.ofSeconds(60), TIMEOUT_MILLIS,
                10 * TIMEOUT_MILLIS).get(12 * TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        return r.uploadBytes() + r.downloadBytes();
    }

    /**
     * With {@code --sync}, waits for a line on stdin (the Runner samples the server's CPU time in between, so
     * the warm-up is not counted); at most 60 s.
     */
    static void awaitGo(Map<String, String> o) throws Exception {
        if (!o.containsKey("sync")) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.in.available() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        while (System.in.available() > 0 && System.in.read() != '\n') {
            // consume the line
        }
    }

    /**
     * One timed dial: nanoseconds from dial start to the ping's answer, the local TCP port it used and, for a
     * dial from a listen port, the simultaneous-open outcome: its detection ({@code NONE} for an ordinary dial)
     * and the TCP connect and multistream answer times the stock-dialer hold compares (ns, -1 when unknown).
     */
    private record Dial(long nanos, int localPort, String detection, long connectNanos, long answerNanos) {}

    /**
     * @return a {@code long} component of the simultaneous-open result by name, or -1 when this build's
     *     result has none (the connect and answer times came with the stock-dialer hold; the bench also runs
     *     on older trees for before/after figures)
     */
    private static long simopenNanos(io.crossdial.simopen.SimopenResult r, String component) {
        if (r == null) {
            return -1;
        }
        try {
            return (long) r.getClass().getMethod(component).invoke(r);
        } catch (ReflectiveOperationException | ClassCastException e) {
            return -1;
        }
    }

    /** One dial + ping stream + ping + close. */
    private static Dial dialPingClose(Host host, Multiaddr addr) throws Exception {
        long t0 = System.nanoTime();
        Connection c = host.dial(addr).get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        try {
            PingClient ping = c.newStream(s -> new PingClient(s, Duration.ofSeconds(30)), ProtocolIds.PING)
                    .get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            ping.ping().get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            long t = System.nanoTime() - t0;
            ping.close();
            io.crossdial.simopen.SimopenResult so = c.simopen();
            return new Dial(t, ((java.net.InetSocketAddress) c.channel().localAddress()).getPort(),
                    so == null ? "-" : so.detection().name(), simopenNanos(so, "connectNanos"),
                    simopenNanos(so, "answerNanos"));
        } finally {
            c.close().awaitUninterruptibly(5000);
        }
    }

    private static void upgrades(Map<String, String> o) throws Exception {
        Multiaddr addr = Multiaddr.fromString(o.get("_0"));
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "10"));
        double warmup = Double.parseDouble(o.getOrDefault("warmup", "2"));
        int concurrency = Integer.parseInt(o.getOrDefault("concurrency", "16"));
        try (Host host = host(-1)) {
            UpgradeLoops loops = new UpgradeLoops(host, addr, concurrency);
            Thread.sleep((long) (warmup * 1000));
            if (o.containsKey("sync")) {
                System.out.println(JsonLines.line("event", "warmed", "upgrades", loops.count.get()));
                awaitGo(o);
            }
            long cpu0 = cpuNanos();
            long n0 = loops.count.get();
            long t0 = System.nanoTime();
            Thread.sleep((long) (seconds * 1000));
            long n = loops.count.get() - n0;
            double elapsed = (System.nanoTime() - t0) / 1e9;
            long cpu = cpuNanos() - cpu0;
            loops.stop.set(true);
            loops.done.await(30, TimeUnit.SECONDS);
            System.out.println(JsonLines.line("event", "upgrades", "upgrades", n, "seconds", elapsed,
                    "perSecond", n / elapsed, "concurrency", concurrency, "failures", loops.failures.get(),
                    "errors", String.join(" | ", loops.errors), "cpuNanos", cpu, "jvm", jvm()));
        }
    }

    /**
     * {@code concurrency} asynchronous loops of dial, Noise, yamux, ping stream, one ping, close: each step
     * continues in the previous step's listener (on the connection's event loop), as js-libp2p's loop does
     * with {@code await}; no thread blocks per connection.
     */
    private static final class UpgradeLoops {
        final AtomicLong count = new AtomicLong();
        final AtomicInteger failures = new AtomicInteger();
        final AtomicBoolean stop = new AtomicBoolean();
        final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        final CountDownLatch done;
        private final Host host;
        private final Multiaddr addr;

        UpgradeLoops(Host host, Multiaddr addr, int concurrency) {
            this.host = host;
            this.addr = addr;
            this.done = new CountDownLatch(concurrency);
            for (int i = 0; i < concurrency; i++) {
                next();
            }
        }

        private void next() {
            if (stop.get()) {
                done.countDown();
                return;
            }
            host.dial(addr).whenComplete((c, dialFailure) -> {
                if (dialFailure != null) {
                    failed(dialFailure);
                    // not from inside the callback: a synchronous failure would recurse
                    io.netty.util.concurrent.GlobalEventExecutor.INSTANCE.schedule(this::next, 1,
                            TimeUnit.MILLISECONDS);
                    return;
                }
                c.newStream(s -> new PingClient(s, Duration.ofSeconds(30)), ProtocolIds.PING)
                        .whenComplete((ping, openFailure) -> {
                            if (openFailure != null) {
                                failed(openFailure);
                                closeThenNext(c);
                                return;
                            }
                            ping.ping().whenComplete((rtt, pingFailure) -> {
                                if (pingFailure == null) {
                                    count.incrementAndGet();
                                } else {
                                    failed(pingFailure);
                                }
                                ping.close();
                                closeThenNext(c);
                            });
                        });
            });
        }

        private void closeThenNext(Connection c) {
            c.close().addListener(closed -> c.channel().eventLoop().execute(this::next));
        }

        private void failed(Throwable cause) {
            failures.incrementAndGet();
            if (errors.size() < 3) {
                errors.add(String.valueOf(cause));
            }
        }
    }

    private static void latency(Map<String, String> o) throws Exception {
        Multiaddr addr = Multiaddr.fromString(o.get("_0"));
        int count = Integer.parseInt(o.getOrDefault("count", "50"));
        boolean listen = o.containsKey("listen");
        try (Host host = host(listen ? 0 : -1)) {
            // with a listener, the transport's port reuse (on by default) dials from its port
            int listenPort = listen ? host.listenAddrs().get(0).toSocketAddress().getPort() : -1;
            double first = dialPingClose(host, addr).nanos() / 1e6;
            double[] ms = new double[count];
            int fromListenPort = 0;
            int fellBack = 0;
            Map<String, Integer> detections = new java.util.TreeMap<>();
            List<Long> connects = new ArrayList<>();
            List<Long> answers = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Dial d = dialPingClose(host, addr);
                if (listen && d.localPort() != listenPort && fellBack < count) {
                    fellBack++;
                    i--;
                    continue;
                }
                ms[i] = d.nanos() / 1e6;
                if (d.localPort() == listenPort) {
                    fromListenPort++;
                }
                detections.merge(d.detection(), 1, Integer::sum);
                connects.add(d.connectNanos());
                answers.add(d.answerNanos());
            }
            Arrays.sort(ms);
            System.out.println(JsonLines.line("event", "latency", "firstMillis", first, "count", count,
                    "medianMillis", ms[count / 2], "p90Millis", ms[(int) (count * 0.9)], "minMillis", ms[0],
                    "listenPort", listenPort, "fromListenPort", fromListenPort, "fellBack", fellBack,
                    "detections", detections.toString(), "connectMillisMedian", medianMillis(connects),
                    "answerMillisMedian", medianMillis(answers), "jvm", jvm()));
        }
    }

    /** @return the median of {@code nanos} in ms, or -1 when any is unknown */
    private static double medianMillis(List<Long> nanos) {
        if (nanos.isEmpty() || nanos.contains(-1L)) {
            return -1;
        }
        List<Long> sorted = new ArrayList<>(nanos);
        java.util.Collections.sort(sorted);
        return sorted.get(sorted.size() / 2) / 1e6;
    }

    private static void hold(Map<String, String> o) throws Exception {
        Multiaddr addr = Multiaddr.fromString(o.get("_0"));
        int n = Integer.parseInt(o.getOrDefault("connections", "10000"));
        int parallel = Integer.parseInt(o.getOrDefault("parallel", "32"));
        try (Host host = host(-1)) {
            // warm the code paths before the baseline, so class loading is not counted per connection
            dialPingClose(host, addr);
            long before = gcHeapUsed();
            List<Connection> held = java.util.Collections.synchronizedList(new ArrayList<>(n));
            long t0 = System.nanoTime();
            java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(parallel);
            AtomicInteger failures = new AtomicInteger();
            for (int i = 0; i < n; i++) {
                window.acquire();
                host.dial(addr).whenComplete((c, e) -> {
                    if (e == null) {
                        held.add(c);
                    } else {
                        failures.incrementAndGet();
                    }
                    window.release();
                });
            }
            window.acquire(parallel);
            double seconds = (System.nanoTime() - t0) / 1e9;
            long after = gcHeapUsed();
            int open = (int) held.stream().filter(c -> c.channel().isActive()).count();
            System.out.println(JsonLines.line("event", "held", "connections", open, "failures", failures.get(),
                    "openSeconds", seconds, "heapBeforeBytes", before, "heapAfterBytes", after,
                    "heapPerConnectionBytes", open == 0 ? 0 : (after - before) / (double) open, "jvm", jvm()));
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (in.readLine() != null) {
                // hold until the runner closes stdin
            }
            int alive = (int) held.stream().filter(c -> c.channel().isActive()).count();
            System.err.println("hold: " + alive + " of " + open + " still open at the end");
        }
    }
}
