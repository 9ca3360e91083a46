package io.crossdial.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Proves the NAT topology with plain JDK sockets: each peer behind its own port-preserving, filtering NAT,
 * both dial the other's public address from their listen port, the SYNs cross between the NATs, both
 * connect() calls succeed on one connection with no accept, each NAT holds exactly one conntrack entry for the
 * 4-tuple with the port kept, and a later connect from an ephemeral port gets no answer (NAT B drops it).
 */
class NetnsNatTest {
    private static final Duration STEP = Duration.ofSeconds(15);

    @Test
    void crossedSynsThroughTwoNatsGiveOneConnectionAndAnEphemeralDialIsDropped() {
        LabTesting.assumeNatLabAvailable();
        try (NetnsLab lab = NetnsLab.create("nat", NetnsLab.Topology.NAT);
                LabPeer a = LabTesting.startSocketPeer(lab, lab.peerA());
                LabPeer b = LabTesting.startSocketPeer(lab, lab.peerB())) {
            NetnsLab.PeerNamespace sideA = lab.peerA();
            NetnsLab.PeerNamespace sideB = lab.peerB();
            assertEquals("198.19.1.2", sideA.host());
            assertEquals("198.18.1.2", sideA.publicHost());
            assertEquals(5, lab.namespaces().size());
            for (int round = 1; round <= 2; round++) {
                int port = 21_000 + round;
                lab.linksDown();
                a.send(Map.of("cmd", "listen", "host", sideA.host(), "port", port));
                b.send(Map.of("cmd", "listen", "host", sideB.host(), "port", port));
                a.awaitEvent("listening", STEP);
                b.awaitEvent("listening", STEP);
                a.send(Map.of("cmd", "dial", "host", sideB.publicHost(), "port", port, "timeoutMillis", 10_000));
                b.send(Map.of("cmd", "dial", "host", sideA.publicHost(), "port", port, "timeoutMillis", 10_000));
                a.awaitEvent("dialing", STEP);
                b.awaitEvent("dialing", STEP);
                // both first SYNs passed their own NAT (mapping made) and died on the down links
                assertEquals(1, entries(lab, sideA, port).size(), "NAT A mapping before links up");
                assertEquals(1, entries(lab, sideB, port).size(), "NAT B mapping before links up");
                lab.linksUp();
                Map<String, Object> ca = a.awaitEvent("connected", STEP);
                Map<String, Object> cb = b.awaitEvent("connected", STEP);
                assertEquals(sideA.host() + ":" + port, ca.get("local"));
                assertEquals(sideB.publicHost() + ":" + port, ca.get("remote"));
                assertEquals(sideB.host() + ":" + port, cb.get("local"));
                assertEquals(sideA.publicHost() + ":" + port, cb.get("remote"));
                a.send(Map.of("cmd", "accepts"));
                b.send(Map.of("cmd", "accepts"));
                assertEquals(0L, a.awaitEvent("accepts", STEP).get("count"));
                assertEquals(0L, b.awaitEvent("accepts", STEP).get("count"));
                a.send(Map.of("cmd", "exchange", "text", "from A " + round));
                b.send(Map.of("cmd", "exchange", "text", "from B " + round));
                assertEquals("from B " + round, a.awaitEvent("exchanged", STEP).get("received"));
                assertEquals("from A " + round, b.awaitEvent("exchanged", STEP).get("received"));

                for (NetnsLab.PeerNamespace side : List.of(sideA, sideB)) {
                    List<NetnsLab.ConntrackEntry> e = entries(lab, side, port);
                    assertEquals(1, e.size(), side.label() + ": " + e);
                    NetnsLab.ConntrackEntry entry = e.get(0);
                    assertEquals("ESTABLISHED", entry.state(), entry.line());
                    assertTrue(entry.assured(), entry.line());
                    assertTrue(entry.portPreserved(), entry.line());
                    assertEquals(side.host(), entry.origSrc(), entry.line());
                    assertEquals(side.publicHost(), entry.replyDst(), entry.line());
                }

                long droppedBefore = lab.inboundDropped(sideB);
                NetnsLab.Probe probe = lab.probeConnect(sideA.namespace(), sideB.publicAddress(), port,
                        Duration.ofMillis(1500));
                assertEquals(NetnsLab.ProbeOutcome.NO_ANSWER, probe.outcome(), probe.toString());
                assertTrue(lab.inboundDropped(sideB) > droppedBefore, "NAT B counted the dropped SYN");
                assertTrue(entries(lab, sideB, port).size() == 1, "no mapping at NAT B for the probe");
                assertEquals(2, entries(lab, sideA, port).size(), "NAT A mapped the probe's ephemeral port");

                a.send(Map.of("cmd", "reset"));
                b.send(Map.of("cmd", "reset"));
                a.awaitEvent("reset", STEP);
                b.awaitEvent("reset", STEP);
            }
            assertFalse(lab.conntrack(sideA).isEmpty());
        }
    }

    @Test
    void natLabNamesFitTheKernelLimitStayInTheBenchmarkingRangeAndCloseRemovesAllFiveNamespaces() {
        LabTesting.assumeNatLabAvailable();
        NetnsLab lab = NetnsLab.create("natnames", NetnsLab.Topology.NAT);
        List<String> namespaces = lab.namespaces();
        try {
            assertEquals(List.of(lab.peerA().namespace(), lab.peerA().nat().namespace(), lab.routerNamespace(),
                    lab.peerB().nat().namespace(), lab.peerB().namespace()), namespaces);
            for (NetnsLab.PeerNamespace side : List.of(lab.peerA(), lab.peerB())) {
                for (String name : List.of(side.interfaceName(), side.routerInterfaceName(),
                        side.nat().insideInterfaceName(), side.nat().outsideInterfaceName())) {
                    assertTrue(name.length() <= 15, name);
                }
                // 198.18.0.0/15: 198.18.x.x (public side) and 198.19.x.x (inside)
                assertTrue(side.host().startsWith("198.19."), side.host());
                assertTrue(side.publicHost().startsWith("198.18."), side.publicHost());
            }
            assertTrue(NetnsLab.listNamespaces().containsAll(namespaces));
        } finally {
            lab.close();
        }
        List<String> left = NetnsLab.listNamespaces();
        for (String ns : namespaces) {
            assertFalse(left.contains(ns), ns + " left behind: " + left);
        }
    }

    @Test
    void routedLabHasNoNats() {
        LabTesting.assumeLabAvailable();
        try (NetnsLab lab = NetnsLab.create("nonat")) {
            assertEquals(NetnsLab.Topology.ROUTED, lab.topology());
            assertEquals(lab.peerA().host(), lab.peerA().publicHost());
            assertEquals(null, lab.peerA().nat());
            org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> lab.conntrack(lab.peerA()));
        }
    }

    @Test
    void parsesConntrackLines() {
        NetnsLab.ConntrackEntry e = NetnsLab.ConntrackEntry.parse("tcp      6 431999 ESTABLISHED src=198.19.1.2"
                + " dst=198.18.2.2 sport=20001 dport=20002 src=198.18.2.2 dst=198.18.1.2 sport=20002 dport=20001"
                + " [ASSURED] mark=0 use=1");
        assertEquals("ESTABLISHED 198.19.1.2:20001 -> 198.18.2.2:20002 as 198.18.1.2:20001 [ASSURED]", e.summary());
        assertTrue(e.portPreserved());
        assertTrue(e.involves(20002));
        assertFalse(e.involves(20003));
        NetnsLab.ConntrackEntry syn = NetnsLab.ConntrackEntry.parse("tcp      6 117 SYN_SENT src=198.19.1.2"
                + " dst=198.18.2.2 sport=54882 dport=5000 [UNREPLIED] src=198.18.2.2 dst=198.18.1.2 sport=5000"
                + " dport=1024 mark=0 use=1");
        assertTrue(syn.unreplied());
        assertFalse(syn.portPreserved());
        assertEquals(null, NetnsLab.ConntrackEntry.parse("conntrack v1.4.7 (conntrack-tools): 1 flow entries"));
    }

    private static List<NetnsLab.ConntrackEntry> entries(NetnsLab lab, NetnsLab.PeerNamespace side, int port) {
        return lab.conntrack(side).stream().filter(e -> e.involves(port)).toList();
    }
}
