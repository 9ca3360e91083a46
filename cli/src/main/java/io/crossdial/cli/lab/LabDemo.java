package io.crossdial.cli.lab;

import io.crossdial.lab.JsonLines;
import io.crossdial.lab.NetnsLab;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The lab half of {@code crossdial demo}: one real simultaneous open between two crossdial peer processes in
 * the network-namespace lab ({@link SimopenLab}), told as a timeline built from the peers' {@code dialed}
 * events (wall-clock instants, 0 = the moment both dials were sent). Output on stdout, a few lines. With
 * {@code nat} each peer sits behind its own NAT ({@link NetnsLab.Topology#NAT}) and the timeline ends with
 * both NATs' conntrack entries and an ephemeral-port connect that NAT B drops.
 */
public final class LabDemo {
    private LabDemo() {}

    private record Entry(long atUs, String text) {}

    /**
     * Runs the demo round, routed, and prints its timeline.
     *
     * @param echoBytes how many random bytes each side echoes
     * @return the exit code: 0 if the round gave one usable connection that passed ping and echo, else 1
     */
    public static int run(int echoBytes) {
        return run(echoBytes, false);
    }

    /**
     * Runs the demo round and prints its timeline.
     *
     * @param echoBytes how many random bytes each side echoes
     * @param nat whether each peer sits behind its own NAT
     * @return the exit code: 0 if the round gave one usable connection that passed ping and echo (and, behind
     *     NATs, one conntrack entry per NAT and the ephemeral redial dropped), else 1
     */
    public static int run(int echoBytes, boolean nat) {
        PrintStream out = System.out;
        long startNanos = System.nanoTime();
        NetnsLab.Topology topology = nat ? NetnsLab.Topology.NAT : NetnsLab.Topology.ROUTED;
        if (nat) {
            out.println("mode: network-namespace lab behind NATs (real crossed SYNs): A at 198.19.1.2 behind NAT A"
                    + " (public 198.18.1.2), B at 198.19.2.2 behind NAT B (public 198.18.2.2), a router between"
                    + " the NATs; each NAT keeps ports and drops unsolicited inbound packets");
        } else {
            out.println("mode: network-namespace lab (real crossed SYNs): A at 198.18.1.2 and B at 198.18.2.2 in"
                    + " their own namespaces, a router between them");
        }
        out.flush();
        SimopenLab.Config config = new SimopenLab.Config(SimopenLab.Against.CROSSDIAL, null,
                SimopenLab.jarPeerCommand(), 20_000, echoBytes, line -> System.err.println("crossdial lab: " + line))
                .withTopology(topology);
        SimopenLab.Round round;
        String idA;
        String idB;
        NetnsLab.PeerNamespace sideA;
        NetnsLab.PeerNamespace sideB;
        try (SimopenLab lab = SimopenLab.open(config)) {
            round = lab.simultaneousOpen(1);
            idA = lab.peerIdA();
            idB = lab.peerIdB();
            sideA = lab.lab().peerA();
            sideB = lab.lab().peerB();
        } catch (RuntimeException e) {
            System.err.println("crossdial: error: demo round failed: " + e.getMessage());
            return 1;
        }
        Map<String, Object> a = round.a();
        Map<String, Object> b = round.b();
        int p = round.port();
        out.printf("setup: lab built, peer processes started; A %s and B %s listen on port %d%n", shortId(idA),
                shortId(idB), p);
        List<Entry> entries = new ArrayList<>();
        long t0 = round.dialsSentAtUs();
        if (nat) {
            entries.add(new Entry(t0, "A dials B's public address " + sideB.publicHost() + ":" + p + " and B dials A's "
                    + sideA.publicHost() + ":" + p + ", each from its listen port " + p + "; each first SYN passes"
                    + " its own NAT (which maps it, port kept) and dies on the down link behind it"));
            entries.add(new Entry(round.linksUpAtUs(), "links up: the retransmitted SYNs cross between the NATs; each"
                    + " NAT lets the other's SYN in as the reply to its own mapping"));
        } else {
            entries.add(new Entry(t0, "A dials B and B dials A, each from its listen port " + p
                    + "; the links are down: both first SYNs are lost"));
            entries.add(new Entry(round.linksUpAtUs(), "links up: the retransmitted SYNs cross"));
        }
        if (!JsonLines.flag(a, "ok") || !JsonLines.flag(b, "ok")) {
            print(out, t0, entries);
            out.println("FAILED: A: " + describeFailure(a) + "; B: " + describeFailure(b));
            return 1;
        }
        Long estA = asLong(a.get("tcpEstablishedAtUs"));
        Long estB = asLong(b.get("tcpEstablishedAtUs"));
        String tuple = nat
                ? sideA.host() + ":" + a.get("localPort") + " -> " + sideB.publicHost() + ":" + a.get("remotePort")
                        + " (A) / " + sideB.host() + ":" + b.get("localPort") + " -> " + sideA.publicHost() + ":"
                        + b.get("remotePort") + " (B)"
                : sideA.host() + ":" + a.get("localPort") + " <-> " + sideB.host() + ":" + a.get("remotePort");
        long established = estA != null && estB != null ? Math.min(estA, estB)
                : estA != null ? estA : estB != null ? estB : asLong(a.get("usableAtUs"));
        entries.add(new Entry(established, "TCP connected on " + tuple + " in both namespaces, no accept (A accepted "
                + a.get("inboundAccepted") + ", B accepted " + b.get("inboundAccepted") + ")"));
        // the two sockets become established within one lab RTT (well under 1 ms) of each other; the earlier
        // sighting is the better estimate, as a busy peer's /proc poller may see it late
        side(entries, "A", "B", a, established);
        side(entries, "B", "A", b, established);
        boolean aInitiator = "initiator".equals(a.get("role"));
        String ini = aInitiator ? "A" : "B";
        String res = aInitiator ? "B" : "A";
        long usableAt = Math.max(asLong(a.get("usableAtUs")), asLong(b.get("usableAtUs")));
        entries.add(new Entry(usableAt, String.format("Noise XX (%s initiator, %s responder, peer IDs verified), %s"
                + " (%s client): usable after %.0f ms on A, %.0f ms on B", ini, res, a.get("muxer"), ini,
                num(a, "usableMs"), num(b, "usableMs"))));
        if (a.get("pingAtUs") != null && b.get("pingAtUs") != null) {
            entries.add(new Entry(Math.max(asLong(a.get("pingAtUs")), asLong(b.get("pingAtUs"))), String.format(
                    "/ipfs/ping/1.0.0 both ways: rtt %.2f ms (A->B), %.2f ms (B->A)", num(a, "pingRttMs"),
                    num(b, "pingRttMs"))));
        }
        if (a.get("echoDoneAtUs") != null && b.get("echoDoneAtUs") != null) {
            entries.add(new Entry(Math.max(asLong(a.get("echoDoneAtUs")), asLong(b.get("echoDoneAtUs"))),
                    String.format("/echo/1.0.0 both ways: %d random bytes came back identical (%.0f ms, %.0f ms)",
                            echoBytes, num(a, "echoMs"), num(b, "echoMs"))));
        }
        print(out, t0, entries);
        if (round.nat() != null) {
            out.println("after the checks:");
            for (String line : round.nat().describe(sideA.host(), sideB.publicHost())) {
                out.println("  " + line);
            }
        }
        boolean passed = round.row().passed() && !round.row().note().contains("SAME ROLES");
        out.printf("%s: one TCP connection, both peers dialers, opposite roles%s; lab removed (%.1f s in all)%n",
                passed ? "done" : "FAILED (" + round.row().note() + ")",
                nat ? ", through two NATs, each holding one conntrack entry for it" : "",
                (System.nanoTime() - startNanos) / 1e9);
        return passed ? 0 : 1;
    }

    private static void side(List<Entry> entries, String me, String other, Map<String, Object> e, long establishedUs) {
        String detection = JsonLines.string(e, "detection");
        String how = "POISON_BYTE".equals(detection) ? "first byte from " + other + " was 0x00 (the poison byte)"
                : "SPEC_PROPOSAL".equals(detection) ? other + " proposed /libp2p/simultaneous-connect"
                : "no simultaneous open seen";
        Object elapsed = e.get("resolvedAfterConnectMs");
        long usableAt = asLong(e.get("usableAtUs"));
        long at = elapsed instanceof Number n
                ? Math.min(usableAt, establishedUs + Math.round(n.doubleValue() * 1000)) : usableAt;
        @SuppressWarnings("unchecked")
        Map<String, Object> select = (Map<String, Object>) e.get("select");
        entries.add(new Entry(at, String.format("%s: %s; sent select:%s, got select:%s -> %s", me, how,
                select.get("local"), select.get("remote"), e.get("role"))));
    }

    private static void print(PrintStream out, long t0, List<Entry> entries) {
        entries.sort(Comparator.comparingLong(Entry::atUs));
        for (Entry en : entries) {
            out.printf("%+9.1f ms  %s%n", (en.atUs() - t0) / 1000.0, en.text());
        }
        out.flush();
    }

    private static String describeFailure(Map<String, Object> e) {
        if (e == null) {
            return "no answer";
        }
        return JsonLines.flag(e, "ok") ? "ok" : String.valueOf(e.get("error"));
    }

    private static String shortId(String id) {
        return id == null || id.length() < 16 ? String.valueOf(id) : id.substring(0, 10) + ".." + id.substring(id.length() - 6);
    }

    private static Long asLong(Object v) {
        return v instanceof Number n ? n.longValue() : null;
    }

    private static double num(Map<String, Object> e, String key) {
        return e.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** @return whether the lab can run here (see {@link NetnsLab#unavailableReason()}) */
    public static boolean available() {
        return NetnsLab.unavailableReason().isEmpty();
    }

    /**
     * @param nat whether each peer is to sit behind a NAT
     * @return why such a lab cannot run here, empty if it can ({@link NetnsLab#unavailableReason(NetnsLab.Topology)})
     */
    public static java.util.Optional<String> unavailableReason(boolean nat) {
        return NetnsLab.unavailableReason(nat ? NetnsLab.Topology.NAT : NetnsLab.Topology.ROUTED);
    }
}
