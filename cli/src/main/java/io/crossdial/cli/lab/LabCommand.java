package io.crossdial.cli.lab;

import io.crossdial.lab.JsonLines;
import io.crossdial.lab.LabReport;
import io.crossdial.lab.NetnsLab;
import io.crossdial.lab.SimopenRound;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code crossdial lab ...}: experiments in the network-namespace lab (needs root and iproute2).
 * Its one experiment so far is {@link Simopen simopen}.
 */
@Command(name = "lab", mixinStandardHelpOptions = true, versionProvider = io.crossdial.cli.Main.Version.class, description = "Experiments in a network-namespace lab (needs root and iproute2)",
        subcommands = {LabCommand.Simopen.class, HolepunchLab.class})
public final class LabCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a lab experiment is required: simopen or holepunch");
    }

    /**
     * {@code crossdial lab simopen}: N rounds of real TCP simultaneous opens (crossed SYNs) between two peer
     * processes, a report table at the end. Exit code 0 only if every round {@link SimopenRound#passed()
     * passed} (both sides usable, on the same 4-tuple when resolved in-band, and behind NATs one conntrack
     * entry per NAT and the ephemeral redial dropped), 1 if one did not or the lab failed, 2 on a usage error.
     * {@code --nat} puts each peer behind its own NAT ({@link NetnsLab.Topology#NAT}); each round then also
     * prints both NATs' conntrack entries and the ephemeral-port connect's outcome.
     *
     * <p>Besides the {@link LabReport} fields, each round carries the resolve figures of every side that
     * dialed ({@link SimopenLab#resolve}): {@code resolveMs} and {@code resolveRtts} (the round's largest),
     * {@code resolve} (per side: {@code side}, {@code resolveMs}, {@code pingRttMs}, {@code resolveRtts}); the
     * summary carries {@code resolve} ({@code mode}, {@code samples}, {@code medianMs}, {@code maxMs},
     * {@code p50Ms}, {@code p99Ms}, {@code medianRtts}, {@code maxRtts}, {@code medianPingRttMs}, over all sides
     * of all rounds, and {@code sides}: per side name, {@code samples}, {@code p50Ms}, {@code p99Ms}). Behind
     * NATs each round also carries {@code natView}: both NATs' entries and the probe.
     * {@code --ordinary} runs ordinary dials (only A dials, links up) instead, for comparison.
     */
    @Command(name = "simopen", mixinStandardHelpOptions = true, versionProvider = io.crossdial.cli.Main.Version.class, description = {
        "Run N TCP simultaneous opens (crossed SYNs) between two peers in network namespaces and report,",
        "per round, detection, resolution, ms to a usable connection, same 4-tuple, ping and echo."})
    public static final class Simopen implements Callable<Integer> {
        @Option(names = "--pairs", paramLabel = "N", description = "Rounds to run; default 10")
        int pairs = 10;

        @Option(names = "--against", paramLabel = "PEER", description = "Peer B: crossdial (default) or js")
        String against = "crossdial";

        @Option(names = "--json", description = "Print the report as JSON on stdout (progress goes to stderr)")
        boolean json;

        @Option(names = "--keep-going", description = "Run every round even after one failed")
        boolean keepGoing;

        @Option(names = "--js-dir", paramLabel = "DIR",
                description = "The js peer's directory (peer.mjs, node_modules); default: interop-tests/js next"
                        + " to this jar's source tree")
        Path jsDir;

        @Option(names = "--echo-bytes", paramLabel = "N", description = "Bytes each dialer echoes; default 1048576")
        int echoBytes = 1 << 20;

        @Option(names = "--base-port", paramLabel = "P", description = "Round r uses port P+r; default 20000")
        int basePort = 20_000;

        @Option(names = "--ordinary", description = "Ordinary dials instead (links up, only A dials B, from its"
                + " listen port), to compare the resolve time; against crossdial only")
        boolean ordinary;

        @Option(names = "--nat", description = "Put each peer behind its own NAT (nftables snat keeping ports,"
                + " conntrack filtering like a home router); peers dial each other's public address. Needs nft and"
                + " conntrack")
        boolean nat;

        @Option(names = "--probe-timeout-ms", paramLabel = "MS", description = "With --nat: how long the"
                + " ephemeral-port connect after each round waits for an answer; default 2000")
        long probeTimeoutMillis = SimopenLab.DEFAULT_PROBE_TIMEOUT.toMillis();

        @Option(names = "--security", paramLabel = "NAME", description = "The security transport both peers"
                + " propose first, noise (default) or tls; each accepts the other too")
        String security = "noise";

        @Option(names = "--warmup", paramLabel = "N", description = "Unreported rounds to run first (the peers'"
                + " JIT warm-up; they use the ports after the reported rounds'); default 0")
        int warmup;

        @Override
        public Integer call() {
            PrintStream progress = json ? System.err : System.out;
            NetnsLab.Topology topology = nat ? NetnsLab.Topology.NAT : NetnsLab.Topology.ROUTED;
            Optional<String> unavailable = NetnsLab.unavailableReason(topology);
            if (unavailable.isPresent()) {
                System.err.println("crossdial: error: " + unavailable.get());
                return 1;
            }
            if (pairs < 1 || pairs > 10_000) {
                System.err.println("crossdial: error: --pairs must be in [1, 10000]: " + pairs);
                return 2;
            }
            SimopenLab.Against peer;
            try {
                peer = SimopenLab.Against.valueOf(against.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                System.err.println("crossdial: error: --against must be crossdial or js: " + against);
                return 2;
            }
            if (warmup < 0 || warmup > 1_000) {
                System.err.println("crossdial: error: --warmup must be in [0, 1000]: " + warmup);
                return 2;
            }
            if (probeTimeoutMillis < 1 || probeTimeoutMillis > NetnsLab.MAX_PROBE_TIMEOUT.toMillis()) {
                System.err.println("crossdial: error: --probe-timeout-ms must be in [1, "
                        + NetnsLab.MAX_PROBE_TIMEOUT.toMillis() + "]: " + probeTimeoutMillis);
                return 2;
            }
            if (ordinary && nat) {
                System.err.println("crossdial: error: --ordinary cannot run with --nat: NAT B drops every connection"
                        + " it did not see B start, so an ordinary dial never reaches B");
                return 2;
            }
            if (ordinary && peer != SimopenLab.Against.CROSSDIAL) {
                System.err.println("crossdial: error: --ordinary runs against crossdial only");
                return 2;
            }
            Path dir = null;
            if (peer == SimopenLab.Against.JS) {
                dir = jsDir != null ? jsDir.toAbsolutePath() : SimopenLab.defaultJsDir();
                if (dir == null || !Files.isRegularFile(dir.resolve("peer.mjs"))) {
                    System.err.println("crossdial: error: no js peer (peer.mjs) found; pass --js-dir");
                    return 1;
                }
                if (!Files.isDirectory(dir.resolve("node_modules"))) {
                    System.err.println("crossdial: error: " + dir + "/node_modules is missing: run `npm ci` there");
                    return 1;
                }
            }
            String where = nat ? "netns lab, each peer behind its own NAT" : "netns lab";
            String title = ordinary ? "ordinary dial crossdial -> crossdial, " + where + " (links up, A dials B)"
                    : "simopen crossdial <-> " + peer.label() + ", " + where + " (real crossed SYNs)";
            List<List<SimopenLab.SideResolve>> resolves = new ArrayList<>();
            List<SimopenLab.NatView> natViews = new ArrayList<>();
            LabReport report = new LabReport(title, peer == SimopenLab.Against.JS ? "js" : "B");
            boolean allPassed = true;
            SimopenLab.Config config = new SimopenLab.Config(peer, dir, SimopenLab.jarPeerCommand(), basePort,
                    echoBytes, line -> System.err.println("crossdial lab: " + line), topology,
                    java.time.Duration.ofMillis(probeTimeoutMillis), security);
            progress.println(title + ": starting the lab and both peers");
            try (SimopenLab lab = SimopenLab.open(config)) {
                for (int w = 1; w <= warmup; w++) {
                    SimopenLab.Round r = ordinary ? lab.ordinaryDial(pairs + w) : lab.simultaneousOpen(pairs + w);
                    progress.println("warm-up " + w + "/" + warmup + ": "
                            + (r.row().passed() ? "passed" : "NOT passed") + resolveText(SimopenLab.resolve(r)));
                }
                for (int round = 1; round <= pairs; round++) {
                    SimopenLab.Round r = ordinary ? lab.ordinaryDial(round) : lab.simultaneousOpen(round);
                    SimopenRound row = r.row();
                    report.add(row);
                    List<SimopenLab.SideResolve> sides = SimopenLab.resolve(r);
                    resolves.add(sides);
                    natViews.add(r.nat());
                    progress.println(progressLine(row, r.port(), pairs, peer) + resolveText(sides));
                    if (r.nat() != null) {
                        for (String line : r.nat().describe(lab.lab().peerA().host(), lab.lab().peerB().publicHost())) {
                            progress.println("    " + line);
                        }
                    }
                    progress.flush();
                    if (!row.passed()) {
                        allPassed = false;
                        if (!keepGoing) {
                            progress.println("stopping after the first round that did not pass"
                                    + " (--keep-going runs every round)");
                            break;
                        }
                    }
                }
            } catch (RuntimeException e) {
                String message = e.getMessage() == null ? e.toString() : e.getMessage();
                System.err.println("crossdial: error: lab run failed: " + message);
                printReport(report, resolves, natViews);
                return 1;
            }
            printReport(report, resolves, natViews);
            return allPassed && report.rounds().size() == pairs ? 0 : 1;
        }

        private void printReport(LabReport report, List<List<SimopenLab.SideResolve>> resolves,
                List<SimopenLab.NatView> natViews) {
            if (json) {
                System.out.println(withResolve(report.toJson(), resolves, natViews));
            } else {
                System.out.println();
                System.out.print(report.toText());
                System.out.println(resolveSummaryText(resolves));
            }
            System.out.flush();
        }

        private String withResolve(String reportJson, List<List<SimopenLab.SideResolve>> resolves,
                List<SimopenLab.NatView> natViews) {
            Map<String, Object> m = JsonLines.parseObject(reportJson, reportJson.length(),
                    JsonLines.BigIntegers.ACCEPT);
            if (m.get("rounds") instanceof List<?> rounds) {
                for (int i = 0; i < rounds.size() && i < resolves.size(); i++) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> round = (Map<String, Object>) rounds.get(i);
                    List<SimopenLab.SideResolve> sides = resolves.get(i);
                    List<Object> list = new ArrayList<>();
                    double maxMs = -1;
                    double maxRtts = -1;
                    for (SimopenLab.SideResolve side : sides) {
                        Map<String, Object> one = new LinkedHashMap<>();
                        one.put("side", side.side());
                        one.put("resolveMs", round3(side.resolveMs()));
                        one.put("pingRttMs", round3(side.pingRttMs()));
                        one.put("resolveRtts", round3(side.resolveRtts()));
                        list.add(one);
                        maxMs = Math.max(maxMs, side.resolveMs());
                        maxRtts = Math.max(maxRtts, side.resolveRtts());
                    }
                    round.put("resolveMs", sides.isEmpty() ? null : round3(maxMs));
                    round.put("resolveRtts", sides.isEmpty() ? null : round3(maxRtts));
                    round.put("resolve", list);
                    if (i < natViews.size() && natViews.get(i) != null) {
                        round.put("natView", natJson(natViews.get(i)));
                    }
                }
            }
            if (m.get("summary") instanceof Map<?, ?> summary) {
                @SuppressWarnings("unchecked")
                Map<String, Object> sm = (Map<String, Object>) summary;
                sm.put("resolve", resolveSummary(resolves));
            }
            return JsonLines.write(m);
        }

        private static Map<String, Object> natJson(SimopenLab.NatView v) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("natA", v.natA().stream().map(NetnsLab.ConntrackEntry::line).toList());
            m.put("natB", v.natB().stream().map(NetnsLab.ConntrackEntry::line).toList());
            m.put("tupleEntriesA", v.tupleA().size());
            m.put("tupleEntriesB", v.tupleB().size());
            m.put("portsKept", v.portsKept());
            m.put("probePort", v.probePort());
            m.put("probe", v.probe().outcome().name());
            m.put("probeMillis", v.probe().millis());
            m.put("droppedByNatB", v.droppedByNatB());
            m.put("probeMappingsA", v.probeMappings().stream().map(NetnsLab.ConntrackEntry::line).toList());
            m.put("probeEntriesB", v.probeEntriesAtB().size());
            m.put("ephemeralRedial", v.ephemeralRedial());
            return m;
        }

        private Map<String, Object> resolveSummary(List<List<SimopenLab.SideResolve>> resolves) {
            List<Double> ms = new ArrayList<>();
            List<Double> rtts = new ArrayList<>();
            List<Double> ping = new ArrayList<>();
            Map<String, List<Double>> bySide = new LinkedHashMap<>();
            for (List<SimopenLab.SideResolve> sides : resolves) {
                for (SimopenLab.SideResolve side : sides) {
                    ms.add(side.resolveMs());
                    rtts.add(side.resolveRtts());
                    ping.add(side.pingRttMs());
                    bySide.computeIfAbsent(side.side(), k -> new ArrayList<>()).add(side.resolveMs());
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("mode", ordinary ? "ordinary" : "simopen");
            out.put("samples", ms.size());
            out.put("medianMs", median(ms));
            out.put("maxMs", max(ms));
            out.put("p50Ms", percentile(ms, 50));
            out.put("p99Ms", percentile(ms, 99));
            out.put("medianRtts", median(rtts));
            out.put("maxRtts", max(rtts));
            out.put("medianPingRttMs", median(ping));
            Map<String, Object> sides = new LinkedHashMap<>();
            for (Map.Entry<String, List<Double>> e : bySide.entrySet()) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("samples", e.getValue().size());
                one.put("p50Ms", percentile(e.getValue(), 50));
                one.put("p99Ms", percentile(e.getValue(), 99));
                sides.put(e.getKey(), one);
            }
            out.put("sides", sides);
            return out;
        }

        private String resolveSummaryText(List<List<SimopenLab.SideResolve>> resolves) {
            Map<String, Object> s = resolveSummary(resolves);
            if (((Integer) s.get("samples")) == 0) {
                return "resolve (TCP connected -> usable): not measured";
            }
            StringBuilder perSide = new StringBuilder();
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> sides = (Map<String, Map<String, Object>>) s.get("sides");
            for (Map.Entry<String, Map<String, Object>> e : sides.entrySet()) {
                perSide.append(String.format(Locale.ROOT, "%n  %s: p50 %s ms / p99 %s ms (%s rounds)", e.getKey(),
                        e.getValue().get("p50Ms"), e.getValue().get("p99Ms"), e.getValue().get("samples")));
            }
            return String.format(Locale.ROOT, "resolve (TCP connected -> usable, %s, %d sides): ms p50 %s / p99 %s /"
                    + " max %s, round trips median %s / max %s (ping RTT median %s ms)%s", s.get("mode"),
                    s.get("samples"), s.get("p50Ms"), s.get("p99Ms"), s.get("maxMs"), s.get("medianRtts"),
                    s.get("maxRtts"), s.get("medianPingRttMs"), perSide);
        }

        /** The nearest-rank percentile: the smallest value with at least {@code p} % of the values at or below. */
        static Double percentile(List<Double> values, int p) {
            if (values.isEmpty()) {
                return null;
            }
            List<Double> sorted = new ArrayList<>(values);
            sorted.sort(null);
            int rank = (int) Math.ceil(p / 100.0 * sorted.size());
            return round3(sorted.get(Math.max(0, rank - 1)));
        }

        private static String resolveText(List<SimopenLab.SideResolve> sides) {
            StringBuilder sb = new StringBuilder();
            for (SimopenLab.SideResolve side : sides) {
                sb.append(String.format(Locale.ROOT, "  resolve %s %.1f ms (%.1f RTT of %.3f ms)", side.side(),
                        side.resolveMs(), side.resolveRtts(), side.pingRttMs()));
            }
            return sb.toString();
        }

        private static Double median(List<Double> values) {
            if (values.isEmpty()) {
                return null;
            }
            List<Double> sorted = new ArrayList<>(values);
            sorted.sort(null);
            int n = sorted.size();
            double m = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
            return round3(m);
        }

        private static Double max(List<Double> values) {
            return values.isEmpty() ? null : round3(values.stream().mapToDouble(Double::doubleValue).max().getAsDouble());
        }

        private static double round3(double v) {
            return Math.round(v * 1000) / 1000.0;
        }

        private static String progressLine(SimopenRound row, int port, int pairs, SimopenLab.Against peer) {
            String width = Integer.toString(Integer.toString(pairs).length());
            return String.format("round %" + width + "d/%d  port %d  %s %s, A %s  %s  %s ms  A usable %s  %s usable %s"
                    + "  4-tuple %s  redials %d  ping %s  echo %s%s%s",
                    row.round(), pairs, port, row.detected() ? "detected" : "not detected",
                    row.detection().isEmpty() ? "-" : row.detection(), row.roleA().isEmpty() ? "-" : row.roleA(),
                    row.resolution().isEmpty() ? "-" : row.resolution(),
                    row.usableMillis().isPresent() ? Long.toString(row.usableMillis().getAsLong()) : "-",
                    row.usableA().label(), peer == SimopenLab.Against.JS ? "js" : "B", row.usableB().label(),
                    row.sameFourTuple() ? "same" : "different", row.redials(), row.ping().label(), row.echo().label(),
                    row.nat() == null ? "" : "  NAT entries " + row.nat().entriesText() + ", ephemeral redial "
                            + row.nat().ephemeralRedial(),
                    row.note().isEmpty() ? "" : "  (" + row.note() + ")");
        }
    }
}
