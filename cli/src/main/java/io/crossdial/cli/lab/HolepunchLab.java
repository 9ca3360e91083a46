package io.crossdial.cli.lab;

import io.crossdial.lab.JsonLines;
import io.crossdial.cli.Main;
import io.crossdial.lab.LabException;
import io.crossdial.lab.LabPeer;
import io.crossdial.lab.NetnsLab;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code crossdial lab holepunch}: hole punching through two NATs ({@link NetnsLab.Topology#NAT}, links up): a
 * circuit relay on the public router (crossdial's {@code relay}, or js-libp2p's with {@code --relay js}), peer
 * A behind NAT A reserving on it once ({@code listen --relay}, port {@code base}), and per round a new peer B
 * behind NAT B (a new process, port {@code base+10000+r}, so each round is a new 4-tuple and new conntrack
 * entries) dialing A through the relay with {@code dial --holepunch}: DCUtR over the relayed connection, then
 * a TCP simultaneous open through both NATs from the two listen ports, ping and echo on the direct connection. One line per round, then a
 * summary with the direct count and time-to-direct p50/p99 (from B's relayed connection being usable to its
 * direct connection being usable). Exit code 0 when at least {@code --min-direct} percent of the rounds got a
 * direct connection and every round ended usable (direct, or relayed), 1 otherwise.
 */
@Command(name = "holepunch", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = {
    "Hole punching in the NAT lab: a relay on the public router, each peer behind its own NAT; per round a",
    "relayed dial, DCUtR, a direct TCP simultaneous open; one line per round and a summary."})
public final class HolepunchLab implements Callable<Integer> {
    static final Duration STEP = Duration.ofSeconds(40);

    @Option(names = "--pairs", paramLabel = "N", description = "Rounds to run; default 10")
    int pairs = 10;

    @Option(names = "--relay", paramLabel = "KIND", description = "The relay: crossdial (default) or js")
    String relayKind = "crossdial";

    @Option(names = "--json", description = "Print the report as JSON on stdout (progress goes to stderr)")
    boolean json;

    @Option(names = "--base-port", paramLabel = "P", description = "A listens on P, B on P+10000+r; default 20000")
    int basePort = 20_000;

    @Option(names = "--echo-bytes", paramLabel = "N", description = "Bytes B echoes on the direct connection; default 65536")
    int echoBytes = 64 * 1024;

    @Option(names = "--min-direct", paramLabel = "PERCENT", description = "Direct connections needed for exit 0; default 95")
    int minDirect = 95;

    @Option(names = "--js-dir", paramLabel = "DIR", description = "The js peer's directory; default interop-tests/js")
    Path jsDir;

    @Override
    public Integer call() {
        PrintStream progress = json ? System.err : System.out;
        Optional<String> unavailable = NetnsLab.unavailableReason(NetnsLab.Topology.NAT);
        if (unavailable.isPresent()) {
            System.err.println("crossdial: error: " + unavailable.get());
            return 1;
        }
        if (pairs < 1 || pairs > 1000 || basePort < 1024 || basePort + 10_000 + pairs > 65_535) {
            System.err.println("crossdial: error: --pairs in [1, 1000] and ports in [1024, 65535] required");
            return 2;
        }
        if (!relayKind.equals("crossdial") && !relayKind.equals("js")) {
            System.err.println("crossdial: error: --relay must be crossdial or js: " + relayKind);
            return 2;
        }
        List<Map<String, Object>> rounds;
        try {
            rounds = run(progress);
        } catch (LabException | IllegalStateException e) {
            System.err.println("crossdial: error: lab: " + e.getMessage());
            return 1;
        }
        Map<String, Object> summary = summary(rounds);
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("rounds", rounds);
            out.put("summary", summary);
            System.out.println(JsonLines.write(out));
        } else {
            System.out.println(summaryLine(summary));
        }
        long direct = (Long) summary.get("direct");
        long usable = (Long) summary.get("usable");
        return direct * 100 >= (long) minDirect * pairs && usable == pairs ? 0 : 1;
    }

    /**
     * A configured run, for tests.
     *
     * @param pairs rounds
     * @param relayKind {@code crossdial} or {@code js}
     * @param jsDir the js peer's directory (for {@code js}), or null for the default
     * @param basePort A listens on base+r, B on base+10000+r
     * @return the experiment, not yet run
     */
    public static HolepunchLab of(int pairs, String relayKind, Path jsDir, int basePort) {
        HolepunchLab h = new HolepunchLab();
        h.pairs = pairs;
        h.relayKind = relayKind;
        h.jsDir = jsDir;
        h.basePort = basePort;
        return h;
    }

    /**
     * Builds the NAT lab, starts the relay and runs the rounds; removes the lab and every process at the end.
     *
     * @param progress where the round lines go
     * @return one map per round: {@code round}, {@code usable}, {@code direct}, {@code relayedAtEnd},
     *     {@code holepunch} (B's figures: {@code ok}, {@code attempts}, {@code timeToDirectMs},
     *     {@code relayedToDirectMs}, {@code rttMs}, {@code roleHint}, {@code role}, {@code simopen},
     *     {@code localAddr}, {@code remoteAddr}, or {@code error}), {@code error}
     * @throws LabException when the lab or the relay cannot be set up
     */
    public List<Map<String, Object>> run(PrintStream progress) {
        List<Map<String, Object>> rounds = new ArrayList<>();
        List<LabPeer> peers = new ArrayList<>();
        try (NetnsLab lab = NetnsLab.create("hp", NetnsLab.Topology.NAT)) {
            lab.linksUp();
            String relayHost = routerAddressTowards(lab.peerA());
            LabPeer relay = startRelay(lab, relayHost, peers);
            Map<String, Object> listening = relay.awaitEvent(relayKind.equals("js") ? "listening" : "relay-listening",
                    STEP);
            String relayAddr = firstAddr(listening, relayHost);
            progress.println("relay (" + relayKind + ") in the router namespace: " + relayAddr);
            List<String> argvA = new ArrayList<>(SimopenLab.jarPeerCommand());
            argvA.addAll(List.of("listen", "--listen", "/ip4/" + lab.peerA().host() + "/tcp/" + basePort, "--relay",
                    relayAddr, "--json"));
            LabPeer a = LabPeer.start("A", lab.command(lab.peerA().namespace(), argvA));
            peers.add(a);
            Map<String, Object> reservation = a.awaitEvent("reservation", STEP);
            @SuppressWarnings("unchecked")
            String circuit = String.valueOf(((List<Object>) reservation.get("circuitAddrs")).get(0));
            progress.println("A behind NAT A reserved: reachable as " + circuit);
            for (int r = 1; r <= pairs; r++) {
                Map<String, Object> round = round(lab, circuit, r);
                rounds.add(round);
                progress.println(line(round, r));
                progress.flush();
            }
        } finally {
            peers.forEach(LabPeer::close);
        }
        return rounds;
    }

    /** The router's address on the link towards a peer's NAT: the NAT's public address with host part 1. */
    static String routerAddressTowards(NetnsLab.PeerNamespace side) {
        String pub = side.publicHost();
        return pub.substring(0, pub.lastIndexOf('.')) + ".1";
    }

    private LabPeer startRelay(NetnsLab lab, String host, List<LabPeer> peers) {
        List<String> argv;
        Path dir = null;
        if (relayKind.equals("js")) {
            dir = jsDir != null ? jsDir.toAbsolutePath() : SimopenLab.defaultJsDir();
            if (dir == null || !Files.isRegularFile(dir.resolve("peer.mjs"))) {
                throw new LabException("no js peer (peer.mjs) found; give --js-dir");
            }
            argv = List.of(SimopenLab.findOnPath("node"), dir.resolve("peer.mjs").toString(), "relay", "--host", host,
                    "--port", "4001", "--ignore-stdin");
        } else {
            argv = new ArrayList<>(SimopenLab.jarPeerCommand());
            argv.addAll(List.of("relay", "--listen", "/ip4/" + host + "/tcp/4001", "--json"));
        }
        ProcessBuilder pb = lab.command(lab.routerNamespace(), argv);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        LabPeer p = LabPeer.start("relay", pb);
        peers.add(p);
        return p;
    }

    @SuppressWarnings("unchecked")
    private static String firstAddr(Map<String, Object> listening, String host) {
        for (Object a : (List<Object>) listening.get("multiaddrs")) {
            if (String.valueOf(a).contains("/" + host + "/")) {
                return String.valueOf(a);
            }
        }
        throw new LabException("the relay does not listen on " + host + ": " + listening);
    }

    /** One round: a new B behind NAT B dials A through the relay with {@code --holepunch}. */
    private Map<String, Object> round(NetnsLab lab, String circuit, int r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("round", r);
        int portB = basePort + 10_000 + r;
        List<String> argvB = new ArrayList<>(SimopenLab.jarPeerCommand());
        argvB.addAll(List.of("dial", circuit, "--listen", "/ip4/" + lab.peerB().host() + "/tcp/" + portB,
                "--holepunch", "--json", "--echo-bytes", Integer.toString(echoBytes), "--timeout-ms", "20000"));
        try (LabPeer b = LabPeer.start("B", lab.command(lab.peerB().namespace(), argvB))) {
            Map<String, Object> dialed = b.awaitEvent("dialed", STEP);
            out.put("usable", Boolean.TRUE.equals(dialed.get("ok")));
            out.put("relayedAtEnd", dialed.get("relayed"));
            Object punch = dialed.get("holepunch");
            out.put("holepunch", punch);
            out.put("direct", punch instanceof Map<?, ?> m && Boolean.TRUE.equals(m.get("ok"))
                    && Boolean.FALSE.equals(dialed.get("relayed")));
            out.put("error", dialed.get("error"));
        } catch (LabException e) {
            out.putIfAbsent("usable", false);
            out.putIfAbsent("direct", false);
            out.put("error", String.valueOf(e.getMessage()));
        }
        return out;
    }

    private static String line(Map<String, Object> round, int r) {
        StringBuilder sb = new StringBuilder(String.format("round %3d  ", r));
        boolean direct = Boolean.TRUE.equals(round.get("direct"));
        sb.append(direct ? "direct " : "RELAYED").append("  usable ").append(Boolean.TRUE.equals(round.get("usable"))
                ? "ok" : "NO");
        if (round.get("holepunch") instanceof Map<?, ?> m) {
            if (Boolean.TRUE.equals(m.get("ok"))) {
                sb.append(String.format("  attempt %s  time-to-direct %.1f ms (DCUtR %.1f ms, relayed rtt %.2f ms)",
                        m.get("attempts"), num(m.get("relayedToDirectMs")), num(m.get("timeToDirectMs")),
                        num(m.get("rttMs"))));
                sb.append("  ").append(m.get("localAddr")).append(" -> ").append(m.get("remoteAddr"));
                sb.append("  ").append(m.get("simopen")).append(", B ").append(m.get("role"));
            } else {
                sb.append("  holepunch failed: ").append(m.get("error"));
            }
        }
        if (round.get("error") != null) {
            sb.append("  error: ").append(round.get("error"));
        }
        return sb.toString();
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** @return direct, usable and time-to-direct p50/p99/max over the rounds of {@link #run} */
    public static Map<String, Object> summary(List<Map<String, Object>> rounds) {
        long direct = rounds.stream().filter(x -> Boolean.TRUE.equals(x.get("direct"))).count();
        long usable = rounds.stream().filter(x -> Boolean.TRUE.equals(x.get("usable"))).count();
        List<Double> ttd = new ArrayList<>();
        for (Map<String, Object> x : rounds) {
            if (Boolean.TRUE.equals(x.get("direct")) && x.get("holepunch") instanceof Map<?, ?> m) {
                ttd.add(num(m.get("relayedToDirectMs")));
            }
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("rounds", (long) rounds.size());
        s.put("direct", direct);
        s.put("usable", usable);
        s.put("timeToDirectP50Ms", LabCommand.Simopen.percentile(ttd, 50));
        s.put("timeToDirectP99Ms", LabCommand.Simopen.percentile(ttd, 99));
        s.put("timeToDirectMaxMs", LabCommand.Simopen.percentile(ttd, 100));
        return s;
    }

    private static String summaryLine(Map<String, Object> s) {
        return String.format("%s/%s direct, %s/%s usable (direct or relayed); time-to-direct p50 %s ms / p99 %s ms / max %s ms",
                s.get("direct"), s.get("rounds"), s.get("usable"), s.get("rounds"), s.get("timeToDirectP50Ms"),
                s.get("timeToDirectP99Ms"), s.get("timeToDirectMaxMs"));
    }
}
