package io.crossdial.bench;

import io.crossdial.lab.JsonLines;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the benchmark set ({@code bench/run} calls it): JMH limits and microbenchmarks, then the
 * whole-process workloads for crossdial, js-libp2p and raw TCP, once per JDK, and writes
 * {@code results.json}, {@code table.txt} and PNG charts ({@link Charts}) into the output directory.
 *
 * <pre>
 * Runner --jar bench/target/benchmarks.jar --js interop-tests/js --out DIR --jdks J17,J25 [--quick]
 *        [--only perf1,perf16,upgrades,latency,rtt,hold,cold,jmh,limits] [--jfr] [--crossdial-opts "-Dk=v ..."]
 * </pre>
 *
 * <p>Each figure carries the 1-minute load average read just before it was measured.
 */
public final class Runner {
    private final Path jar;
    private final Path jsDir;
    private final Path out;
    private final boolean quick;
    private final List<String> only;
    private final boolean jfr;
    private final Path log;

    private Runner(Map<String, String> o) {
        jar = Path.of(o.getOrDefault("jar", "bench/target/benchmarks.jar")).toAbsolutePath();
        jsDir = Path.of(o.getOrDefault("js", "interop-tests/js")).toAbsolutePath();
        out = Path.of(o.getOrDefault("out", "bench/target/results")).toAbsolutePath();
        quick = o.containsKey("quick");
        only = o.containsKey("only") ? List.of(o.get("only").split(",")) : List.of();
        jfr = o.containsKey("jfr");
        log = out.resolve("children.log");
        crossdialOpts = o.containsKey("crossdial-opts") ? List.of(o.get("crossdial-opts").trim().split("\\s+"))
                : List.of();
    }

    private final List<String> crossdialOpts;
    /** js does not depend on the JDK: its hold figures (minutes for 10,000 connections) are measured once. */
    private Map<String, Object> jsHold;

    /**
     * @param args see the class comment
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Map<String, String> o = Opts.parse(args);
        if (o.containsKey("report")) {
            report(Path.of(o.get("report")));
            System.exit(0);
        }
        Runner r = new Runner(o);
        Files.createDirectories(r.out);
        List<String> jdks = List.of(o.getOrDefault("jdks", System.getProperty("java.home")).split(","));
        r.run(jdks);
        System.exit(0);
    }

    /** Re-renders ratios, table and charts of a finished run from its results.json and jmh-*.json. */
    @SuppressWarnings("unchecked")
    static void report(Path dir) throws Exception {
        Map<String, Object> results = JsonLines.parseObject(Files.readString(dir.resolve("results.json")), Integer.MAX_VALUE,
                JsonLines.BigIntegers.REJECT);
        Map<String, Object> perJdk = (Map<String, Object>) results.get("jdks");
        for (Map.Entry<String, Object> e : perJdk.entrySet()) {
            Path jmhFile = dir.resolve("jmh-" + e.getKey() + ".json");
            Map<String, Object> j = (Map<String, Object>) e.getValue();
            if (Files.exists(jmhFile) && j.get("jmh") instanceof Map<?, ?> old) {
                Map<String, Object> m = new LinkedHashMap<>((Map<String, Object>) old);
                m.put("scores", parseJmh(jmhFile));
                j.put("jmh", m);
            }
        }
        results.put("ratios", Report.ratios(perJdk));
        Files.writeString(dir.resolve("results.json"), JsonLines.writePretty(results));
        String table = Report.table(results);
        Files.writeString(dir.resolve("table.txt"), table);
        System.out.println(table);
        Charts.write(perJdk, dir);
    }

    private boolean wanted(String what) {
        return only.isEmpty() || only.contains(what);
    }

    static double load() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private void run(List<String> jdks) throws Exception {
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("started", Instant.now().toString());
        results.put("mode", quick ? "quick" : "full");
        results.put("machine", machine());
        results.put("crossdialOpts", String.join(" ", crossdialOpts));
        Map<String, Object> perJdk = new LinkedHashMap<>();
        results.put("jdks", perJdk);
        for (String home : jdks) {
            Jdk jdk = Jdk.of(Path.of(home));
            say("=== " + jdk.label + " (" + home + ")");
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("java", jdk.version);
            perJdk.put(jdk.label, r);
            if (wanted("jmh") || only.contains("limits")) {
                r.put("jmh", jmh(jdk));
            }
            if (wanted("cold")) {
                r.put("cold", cold(jdk));
                Files.writeString(out.resolve("results.json"), JsonLines.writePretty(results));
            }
            if (wanted("perf1")) {
                long each = quick ? 32L << 20 : 1L << 30;
                r.put("perf1", side(jdk, "perf", List.of("--upload", "" + each, "--download", "" + each,
                        "--warmup", "" + each, "--warmup-seconds", quick ? "2" : "20", "--sync"), true));
            }
            if (wanted("perf16")) {
                long each = quick ? 2L << 20 : 64L << 20;
                r.put("perf16", side(jdk, "perf", List.of("--upload", "" + each, "--download", "" + each,
                        "--streams", "16", "--warmup", "" + each, "--warmup-seconds", quick ? "2" : "20", "--sync"),
                        true));
            }
            if (wanted("upgrades")) {
                // the JIT needs about a minute of this workload to settle on 2 busy cores
                // (specs/benchmarks.md, "Method")
                r.put("upgrades", side(jdk, "upgrades", List.of("--seconds", quick ? "3" : "10", "--warmup",
                        quick ? "1" : "60", "--concurrency", "16", "--sync"), false));
            }
            if (wanted("latency")) {
                r.put("latency", side(jdk, "latency", List.of("--count", quick ? "10" : "50"), false));
            }
            if (wanted("rtt")) {
                r.put("rtt", rtt(jdk, 25));
            }
            if (wanted("hold")) {
                r.put("hold", hold(jdk, quick ? 300 : 10_000));
            }
            Files.writeString(out.resolve("results.json"), JsonLines.writePretty(results));
        }
        results.put("finished", Instant.now().toString());
        Map<String, Object> ratios = Report.ratios(perJdk);
        results.put("ratios", ratios);
        Files.writeString(out.resolve("results.json"), JsonLines.writePretty(results));
        String table = Report.table(results);
        Files.writeString(out.resolve("table.txt"), table);
        System.out.println(table);
        Charts.write(perJdk, out);
        say("results in " + out);
    }

    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        try {
            String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
            m.put("cpu", cpu);
            m.put("memTotal", Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\s+", " "));
            m.put("kernel", Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
        } catch (IOException e) {
            m.put("cpu", "?");
        }
        return m;
    }

    static void say(String s) {
        System.err.println("[bench " + java.time.LocalTime.now().withNano(0) + " load " + load() + "] " + s);
    }

    // ---- JMH ------------------------------------------------------------------------------------------

    private Map<String, Object> jmh(Jdk jdk) throws Exception {
        Path file = out.resolve("jmh-" + jdk.label + ".json");
        List<String> argv = new ArrayList<>(jdk.javaArgv());
        argv.addAll(List.of("-jar", jar.toString()));
        if (quick || !wanted("jmh")) {
            argv.addAll(List.of("NoiseBench\\.(rawJdk|cipherStateEncrypt|x25519|ed25519|handshakeXX)|CryptoProviderBench",
                    "-p", "buffers=direct", "-f", "1", "-wi", "1", "-w", "1s", "-i", "1", "-r", "1s"));
        } else {
            argv.addAll(List.of("-f", "1", "-wi", "1", "-w", "1s", "-i", "2", "-r", "1s"));
        }
        argv.addAll(List.of("-jvmArgsAppend", String.join(" ", jdk.extraOpts()).isEmpty() ? "-Dx=1"
                : String.join(" ", jdk.extraOpts()), "-rf", "json", "-rff", file.toString()));
        double before = load();
        say("jmh: " + String.join(" ", argv));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.resolve("jmh-" + jdk.label + ".log").toFile()))
                .start();
        if (!p.waitFor(quick ? 3 : 30, java.util.concurrent.TimeUnit.MINUTES)) {
            p.destroy();
            throw new IllegalStateException("jmh did not finish");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("loadBefore", before);
        m.put("loadAfter", load());
        Map<String, Object> scores = parseJmh(file);
        m.put("scores", scores);
        return m;
    }

    static Map<String, Object> parseJmh(Path file) throws IOException {
        Object parsed = JsonLines.parse(Files.readString(file), Integer.MAX_VALUE, JsonLines.BigIntegers.REJECT);
        Map<String, Object> scores = new LinkedHashMap<>();
        for (Object o : (List<?>) parsed) {
            Map<?, ?> b = (Map<?, ?>) o;
            String name = String.valueOf(b.get("benchmark"));
            name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            Object params = b.get("params");
            if (params instanceof Map<?, ?> pm && !pm.isEmpty()) {
                name += pm.toString().replace(", ", ",").replace("{", "[").replace("}", "]");
            }
            Map<?, ?> metric = (Map<?, ?>) b.get("primaryMetric");
            // best = the fastest measured iteration: a limit is what the JDK can do when the machine lets it
            double best = Double.MAX_VALUE;
            if (metric.get("rawData") instanceof List<?> forks) {
                for (Object fork : forks) {
                    for (Object v : (List<?>) fork) {
                        best = Math.min(best, ((Number) v).doubleValue());
                    }
                }
            }
            Map<String, Object> sc = new LinkedHashMap<>();
            sc.put("score", metric.get("score"));
            sc.put("best", best == Double.MAX_VALUE ? metric.get("score") : best);
            sc.put("unit", metric.get("scoreUnit"));
            scores.put(name, sc);
        }
        return scores;
    }

    // ---- whole-process workloads --------------------------------------------------------------------

    private List<String> crossdialArgv(Jdk jdk, String... args) {
        List<String> argv = new ArrayList<>(jdk.javaArgv());
        argv.addAll(crossdialOpts);
        argv.addAll(List.of("-cp", jar.toString(), "io.crossdial.bench.Driver"));
        argv.addAll(List.of(args));
        return argv;
    }

    private List<String> jsArgv(String... args) {
        List<String> argv = new ArrayList<>(List.of("node", "--expose-gc", jsDir.resolve("bench.mjs").toString()));
        argv.addAll(List.of(args));
        return argv;
    }

    private List<String> tcpArgv(Jdk jdk, String... args) {
        List<String> argv = new ArrayList<>(jdk.javaArgv());
        argv.addAll(List.of("-cp", jar.toString(), "io.crossdial.bench.RawTcp"));
        argv.addAll(List.of(args));
        return argv;
    }

    private List<String> withJfr(List<String> argv, String tag) {
        if (!jfr) {
            return argv;
        }
        List<String> a = new ArrayList<>(argv);
        int at = a.indexOf("-cp");
        a.add(at, "-XX:StartFlightRecording=filename=" + out.resolve(tag + ".jfr") + ",settings=profile");
        return a;
    }

    /** Runs one workload for crossdial and js (and raw TCP for perf); one server process each. */
    private Map<String, Object> side(Jdk jdk, String command, List<String> args, boolean withTcp) {
        Map<String, Object> m = new LinkedHashMap<>();
        Duration limit = Duration.ofMinutes(quick ? 2 : 10);
        String tag = command + (args.contains("--streams") ? "16" : "") + "-" + jdk.label;
        m.put("crossdial", guarded(() -> clientServer("crossdial " + tag,
                withJfr(crossdialArgv(jdk, "serve"), "server-" + tag), a -> withJfr(crossdialArgv(jdk,
                        concat(List.of(command, a), args)), "client-" + tag), command, limit)));
        m.put("js", guarded(() -> clientServer("js " + tag, jsArgv("serve"), a -> jsArgv(concat(List.of(command, a),
                args)), command, limit)));
        if (withTcp) {
            m.put("tcp", guarded(() -> clientServer("tcp " + tag, tcpArgv(jdk, "serve"), port -> tcpArgv(jdk,
                    concat(List.of("client", "--port", port), args)), command, limit)));
        }
        return m;
    }

    private static String[] concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all.toArray(String[]::new);
    }

    interface Work {
        Map<String, Object> run() throws Exception;
    }

    private static Map<String, Object> guarded(Work w) {
        try {
            return w.run();
        } catch (Exception | Error e) {
            say("FAILED: " + e);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("error", String.valueOf(e));
            return m;
        }
    }

    private Map<String, Object> clientServer(String name, List<String> serverArgv,
            java.util.function.Function<String, List<String>> clientArgv, String event, Duration limit) {
        try (Proc server = Proc.start(name + " server", serverArgv, log)) {
            Map<String, Object> listening = server.await("listening", Duration.ofSeconds(60));
            String target = listening.containsKey("multiaddr") ? (String) listening.get("multiaddr")
                    : String.valueOf(listening.get("port"));
            server.send("cpu");
            long serverCpu0 = num(server.await("cpu", Duration.ofSeconds(30)), "cpuNanos");
            double loadBefore = load();
            say(name + ": running");
            List<String> argv = clientArgv.apply(target);
            try (Proc client = Proc.start(name + " client", argv, log)) {
                Map<String, Object> warmed = null;
                if (argv.contains("--sync")) {
                    // the client warmed up on the same connection; count from here, on both sides
                    warmed = client.await("warmed", limit);
                    server.send("cpu");
                    serverCpu0 = num(server.await("cpu", Duration.ofSeconds(30)), "cpuNanos");
                    client.send("go");
                }
                Map<String, Object> r = new LinkedHashMap<>(client.await(event, limit));
                if (warmed != null) {
                    r.put("warmupBytes", warmed.get("bytes"));
                    r.put("warmupGbitPerSecond", warmed.get("gbitPerSecond"));
                    r.put("warmupRounds", warmed.get("rounds"));
                }
                server.send("cpu");
                long serverCpu = num(server.await("cpu", Duration.ofSeconds(30)), "cpuNanos") - serverCpu0;
                r.put("serverCpuNanos", serverCpu);
                r.put("clientCpuNanos", r.remove("cpuNanos"));
                // work per CPU-second of both processes together: robust against other load on the machine
                double cpuSeconds = (serverCpu + num(r, "clientCpuNanos")) / 1e9;
                if (r.get("bytes") instanceof Number b) {
                    r.put("gbitPerCpuSecond", b.doubleValue() * 8 / 1e9 / cpuSeconds);
                }
                if (r.get("upgrades") instanceof Number u) {
                    r.put("cpuMillisPerUpgrade", cpuSeconds * 1e3 / u.doubleValue());
                }
                r.put("load", loadBefore);
                say(name + ": " + summary(r));
                return r;
            }
        }
    }

    /**
     * Round trips of an ordinary dial: connect + first ping through {@link DelayProxy} (one-way delay
     * {@code delayMs}), median over a few dials, divided by the proxy's round-trip time. The TCP handshake
     * to the proxy is not delayed, so the count is the round trips after TCP connect. crossdial runs twice:
     * from an ephemeral port (the client does not listen), and from a listen port (the client listens and
     * dials from that port with SO_REUSEPORT, the dials simultaneous-open handling applies to); js-libp2p
     * dials from an ephemeral port.
     */
    private Map<String, Object> rtt(Jdk jdk, int delayMs) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<String> args = List.of("--count", quick ? "3" : "10");
        m.put("crossdial", guarded(() -> throughProxy("crossdial rtt-" + jdk.label, crossdialArgv(jdk, "serve"),
                a -> crossdialArgv(jdk, concat(List.of("latency", a), args)), jdk, delayMs)));
        m.put("crossdialFromListenPort", guarded(() -> throughProxy("crossdial rtt-listen-port-" + jdk.label,
                crossdialArgv(jdk, "serve"), a -> crossdialArgv(jdk, concat(List.of("latency", a, "--listen"), args)),
                jdk, delayMs)));
        m.put("js", guarded(() -> throughProxy("js rtt-" + jdk.label, jsArgv("serve"),
                a -> jsArgv(concat(List.of("latency", a), args)), jdk, delayMs)));
        return m;
    }

    private Map<String, Object> throughProxy(String name, List<String> serverArgv,
            java.util.function.Function<String, List<String>> clientArgv, Jdk jdk, int delayMs) {
        try (Proc server = Proc.start(name + " server", serverArgv, log)) {
            String target = (String) server.await("listening", Duration.ofSeconds(60)).get("multiaddr");
            java.util.regex.Matcher pm = java.util.regex.Pattern.compile("/tcp/(\\d+)/").matcher(target);
            if (!pm.find()) {
                throw new IllegalStateException("no tcp port in " + target);
            }
            List<String> proxyArgv = new ArrayList<>(jdk.javaArgv());
            proxyArgv.addAll(List.of("-cp", jar.toString(), "io.crossdial.bench.DelayProxy", "--target-port",
                    pm.group(1), "--delay-ms", String.valueOf(delayMs)));
            try (Proc proxy = Proc.start(name + " proxy", proxyArgv, log)) {
                long port = num(proxy.await("listening", Duration.ofSeconds(60)), "port");
                String via = target.replace("/tcp/" + pm.group(1) + "/", "/tcp/" + port + "/");
                double loadBefore = load();
                try (Proc client = Proc.start(name + " client", clientArgv.apply(via), log)) {
                    Map<String, Object> r = new LinkedHashMap<>(client.await("latency", Duration.ofMinutes(2)));
                    double rttMs = 2.0 * delayMs;
                    r.put("proxyRttMillis", rttMs);
                    r.put("roundTripsAfterConnect", ((Number) r.get("medianMillis")).doubleValue() / rttMs);
                    // the fastest dial: less of the other load on the machine in it than in the median
                    r.put("minRoundTripsAfterConnect", ((Number) r.get("minMillis")).doubleValue() / rttMs);
                    r.put("load", loadBefore);
                    say(name + ": median " + r.get("medianMillis") + " ms = "
                            + String.format(Locale.ROOT, "%.2f", (Double) r.get("roundTripsAfterConnect")) + " RTT"
                            + String.format(Locale.ROOT, " (fastest %.2f)", (Double) r.get("minRoundTripsAfterConnect"))
                            + (num(r, "listenPort") > 0 ? ", " + r.get("fromListenPort") + " of " + r.get("count")
                                    + " dials from listen port " + r.get("listenPort") + " (" + r.get("fellBack")
                                    + " fell back to an ephemeral port, not counted); simopen " + r.get("detections")
                                    + ", connect " + millis(r.get("connectMillisMedian")) + " ms, answer "
                                    + millis(r.get("answerMillisMedian")) + " ms (medians)" : ""));
                    return r;
                }
            }
        }
    }

    // ---- cold processes ----------------------------------------------------------------------------------

    /**
     * Fresh client processes against a running server of their own kind, what {@code crossdial perf} and
     * {@code crossdial dial} do: per round one new process per implementation, alternating crossdial and js;
     * the medians of {@code rounds} rounds. Workloads: a one-stream download of 256 MiB and of 1 GiB (no
     * upload, no warm-up: the JIT's and the class loader's first run), and spawn-to-first-ping (process start,
     * host set-up, dial, Noise, yamux, one ping: the wall time from {@code ProcessBuilder.start()} to the
     * client's line). crossdial runs the dial twice: without class-data sharing and with the archive the
     * launcher uses (on JDK >= 25 an AOT cache, -XX:AOTCacheOutput/-XX:AOTCache; else AppCDS,
     * -XX:ArchiveClassesAtExit/-XX:SharedArchiveFile), made here by one training process (a 256 MiB
     * download) that is not counted; the perf rounds run with the archive too.
     */
    private Map<String, Object> cold(Jdk jdk) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        int rounds = quick ? 1 : 3;
        int dials = quick ? 2 : 5;
        Path archive = out.resolve("cds-" + jdk.label + (jdk.feature >= 25 ? ".aot" : ".jsa"));
        Files.deleteIfExists(archive);
        List<String> make = jdk.feature >= 25 ? List.of("-XX:AOTCacheOutput=" + archive, "-Xlog:cds=off", "-Xlog:aot=off")
                : List.of("-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds=off");
        List<String> use = jdk.feature >= 25 ? List.of("-XX:AOTCache=" + archive, "-Xlog:cds=off", "-Xlog:aot=off")
                : List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off");
        // what the launcher gives its short-lived clients on a JDK without AEAD intrinsics: C1 only for dial (the
        // latency rows), and for perf (the transfer rows) also a tenth of the compile thresholds
        List<String> jit = jdk.feature < 20 ? List.of("-XX:TieredStopAtLevel=1") : List.of();
        List<String> perfJit = jit.isEmpty() ? jit : List.of(concat(jit, List.of("-XX:CompileThresholdScaling=0.1")));
        m.put("clientJit", jit.isEmpty() ? "tiered (C1+C2)"
                : "C1 only (-XX:TieredStopAtLevel=1, as the launcher; perf rows also -XX:CompileThresholdScaling=0.1)");
        try (Proc cdServer = Proc.start("crossdial cold server", crossdialArgv(jdk, "serve"), log);
                Proc jsServer = Proc.start("js cold server", jsArgv("serve"), log)) {
            String cdTarget = (String) cdServer.await("listening", Duration.ofSeconds(60)).get("multiaddr");
            String jsTarget = (String) jsServer.await("listening", Duration.ofSeconds(60)).get("multiaddr");
            say("cold " + jdk.label + ": training run for " + archive.getFileName());
            List<String> train = withOpts(crossdialArgv(jdk, "perf", cdTarget, "--upload", "0", "--download",
                    String.valueOf(256L << 20)), make);
            Process t = new ProcessBuilder(train).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            if (!t.waitFor(3, java.util.concurrent.TimeUnit.MINUTES)) {
                t.destroyForcibly();
            }
            boolean cds = Files.isRegularFile(archive);
            m.put("archive", cds ? archive.getFileName().toString() + " (" + Files.size(archive) + " bytes)" : null);
            // The rows measure a fresh dialer against a running listener (what `crossdial perf` against a
            // `crossdial listen` is): both listeners first serve a few throwaway transfers, so that their own
            // JIT warm-up (HotSpot's, V8's) is not counted against the first dialers.
            int listenerWarmups = quick ? 1 : 4;
            for (int i = 0; i < listenerWarmups; i++) {
                String[] a = {"--upload", "0", "--download", String.valueOf(256L << 20)};
                oneShot("crossdial listener warm-up", crossdialArgv(jdk, concat(List.of("perf", cdTarget), List.of(a))),
                        "perf");
                oneShot("js listener warm-up", jsArgv(concat(List.of("perf", jsTarget), List.of(a))), "perf");
            }
            m.put("listenerWarmupTransfers", listenerWarmups);
            for (long bytes : new long[] {256L << 20, 1L << 30}) {
                if (quick && bytes > (256L << 20)) {
                    continue;
                }
                String key = bytes == (1L << 30) ? "coldPerf1g" : "coldPerf256m";
                List<Double> cd = new ArrayList<>();
                List<Double> js = new ArrayList<>();
                double loadBefore = load();
                for (int i = 0; i < rounds; i++) {
                    String[] a = {"--upload", "0", "--download", String.valueOf(bytes)};
                    List<String> cdArgv = withOpts(crossdialArgv(jdk, concat(List.of("perf", cdTarget), List.of(a))),
                            perfJit);
                    cd.add(dnum(oneShot("crossdial " + key, cds ? withOpts(cdArgv, use) : cdArgv, "perf"),
                            "gbitPerSecond"));
                    js.add(dnum(oneShot("js " + key, jsArgv(concat(List.of("perf", jsTarget), List.of(a))), "perf"),
                            "gbitPerSecond"));
                }
                m.put(key, Map.of("crossdial", sample(cd, "gbitPerSecond", loadBefore), "js",
                        sample(js, "gbitPerSecond", loadBefore)));
                say("cold " + jdk.label + " " + key + ": crossdial " + cd + " js " + js + " Gbit/s");
            }
            List<Double> plain = new ArrayList<>();
            List<Double> shared = new ArrayList<>();
            List<Double> js = new ArrayList<>();
            double loadBefore = load();
            for (int i = 0; i < dials; i++) {
                List<String> cdArgv = withOpts(crossdialArgv(jdk, "latency", cdTarget, "--count", "1"), jit);
                plain.add(spawnToLine("crossdial coldDial", cdArgv));
                if (cds) {
                    shared.add(spawnToLine("crossdial coldDial cds", withOpts(cdArgv, use)));
                }
                js.add(spawnToLine("js coldDial", jsArgv("latency", jsTarget, "--count", "1")));
            }
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("crossdial", sample(cds ? shared : plain, "millis", loadBefore));
            d.put("crossdialWithoutCds", sample(plain, "millis", loadBefore));
            d.put("js", sample(js, "millis", loadBefore));
            m.put("coldDial", d);
            say("cold " + jdk.label + " spawn to first ping ms: crossdial " + plain + ", with class-data sharing "
                    + shared + ", js " + js);
        }
        return m;
    }

    private static List<String> withOpts(List<String> argv, List<String> opts) {
        List<String> a = new ArrayList<>(argv);
        a.addAll(a.indexOf("-cp"), opts);
        return a;
    }

    /** @return the client's event line (the process is closed after it) */
    private Map<String, Object> oneShot(String name, List<String> argv, String event) {
        try (Proc p = Proc.start(name, argv, log)) {
            return p.await(event, Duration.ofMinutes(quick ? 2 : 5));
        }
    }

    /** @return ms from starting the process to its {@code latency} line (after its first dial and ping) */
    private double spawnToLine(String name, List<String> argv) {
        long t0 = System.nanoTime();
        try (Proc p = Proc.start(name, argv, log)) {
            p.await("latency", Duration.ofMinutes(1));
            return (System.nanoTime() - t0) / 1e6;
        }
    }

    private static Map<String, Object> sample(List<Double> values, String key, double load) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put(key, sorted.isEmpty() ? null : sorted.get(sorted.size() / 2));
        r.put("all", values);
        r.put("load", load);
        return r;
    }

    private static String millis(Object ms) {
        return ms instanceof Number n && n.doubleValue() >= 0 ? String.format(Locale.ROOT, "%.2f", n.doubleValue())
                : "?";
    }

    private Map<String, Object> hold(Jdk jdk, int connections) {
        Map<String, Object> m = new LinkedHashMap<>();
        Duration limit = Duration.ofMinutes(quick ? 2 : 10);
        List<String> args = List.of("--connections", String.valueOf(connections));
        m.put("crossdial", guarded(() -> holdOne("crossdial hold-" + jdk.label, crossdialArgv(jdk, "serve"),
                a -> crossdialArgv(jdk, concat(List.of("hold", a), args)), limit)));
        if (jsHold == null) {
            jsHold = guarded(() -> holdOne("js hold", jsArgv("serve"), a -> jsArgv(concat(List.of("hold", a), args)),
                    limit));
        }
        m.put("js", jsHold);
        return m;
    }

    private Map<String, Object> holdOne(String name, List<String> serverArgv,
            java.util.function.Function<String, List<String>> clientArgv, Duration limit) {
        try (Proc server = Proc.start(name + " server", serverArgv, log)) {
            String target = (String) server.await("listening", Duration.ofSeconds(60)).get("multiaddr");
            server.send("heap");
            Map<String, Object> base = server.await("heap", Duration.ofSeconds(60));
            double loadBefore = load();
            say(name + ": opening connections");
            try (Proc client = Proc.start(name + " client", clientArgv.apply(target), log)) {
                Map<String, Object> held = client.await("held", limit);
                server.send("heap");
                Map<String, Object> after = server.await("heap", Duration.ofSeconds(60));
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("dialer", held);
                long baseBytes = num(base, "heapUsedBytes") + num(base, "externalBytes");
                long afterBytes = num(after, "heapUsedBytes") + num(after, "externalBytes");
                long conns = num(after, "connections");
                r.put("listenerConnections", conns);
                r.put("listenerHeapBeforeBytes", baseBytes);
                r.put("listenerHeapAfterBytes", afterBytes);
                r.put("listenerHeapPerConnectionBytes", conns == 0 ? null : (afterBytes - baseBytes) / (double) conns);
                r.put("dialerHeapPerConnectionBytes", held.get("heapPerConnectionBytes"));
                r.put("load", loadBefore);
                say(name + ": " + summary(r));
                return r;
            }
        }
    }

    private static double dnum(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static long num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v instanceof Number n ? n.longValue() : 0;
    }

    private static String summary(Map<String, Object> r) {
        StringBuilder b = new StringBuilder();
        for (String k : List.of("gbitPerSecond", "gbitPerCpuSecond", "perSecond", "cpuMillisPerUpgrade", "failures", "medianMillis", "firstMillis",
                "listenerHeapPerConnectionBytes", "dialerHeapPerConnectionBytes", "listenerConnections", "load")) {
            if (r.containsKey(k)) {
                Object v = r.get(k);
                b.append(k).append('=').append(v instanceof Double d ? String.format(Locale.ROOT, "%.3f", d) : v)
                        .append(' ');
            }
        }
        return b.toString().trim();
    }

    /** A JDK to run drivers on. */
    record Jdk(Path home, String label, String version, int feature) {
        static Jdk of(Path home) throws IOException, InterruptedException {
            Process p = new ProcessBuilder(home.resolve("bin/java").toString(), "-version").redirectErrorStream(true)
                    .start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            java.util.regex.Matcher mm = java.util.regex.Pattern.compile("version \"([^\"]+)\"").matcher(text);
            String version = mm.find() ? mm.group(1) : "?";
            String first = version.split("[.+-]")[0];
            int feature = first.equals("1") ? 8 : Integer.parseInt(first);
            return new Jdk(home, "jdk" + feature, version, feature);
        }

        List<String> extraOpts() {
            return feature >= 23 ? List.of("--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED")
                    : List.of();
        }

        List<String> javaArgv() {
            List<String> a = new ArrayList<>();
            a.add(home.resolve("bin/java").toString());
            a.addAll(extraOpts());
            return a;
        }
    }

    static void writeString(Path p, String s) {
        try {
            Files.writeString(p, s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
