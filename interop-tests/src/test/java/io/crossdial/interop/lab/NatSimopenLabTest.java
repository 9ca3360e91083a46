package io.crossdial.interop.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.crossdial.cli.lab.SimopenLab;
import io.crossdial.lab.NetnsLab;
import io.crossdial.lab.SimopenRound;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Real TCP simultaneous opens through two NATs ({@link NetnsLab.Topology#NAT}: each peer behind its own
 * port-preserving nftables NAT with conntrack filtering, a router between the NATs): the peers dial each
 * other's public address, the crossed SYNs give one connection, each NAT holds one conntrack entry for it
 * with the port kept, and a later connect from an ephemeral port of A gets no answer (NAT B drops it), which
 * is why the connection has to stay on the simultaneous open's 4-tuple.
 *
 * <p>Skipped, with the reason, where the NAT lab cannot be built (not root, no iproute2, nftables or
 * conntrack) or, for the js case, where node or the js peer's packages are missing; with {@code CI=true}
 * those tests fail instead (CI installs them: {@code .ci/install-deps.sh}).
 */
class NatSimopenLabTest {
    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(1500);

    @Test
    void crossdialPeersBehindNatsResolveInBandOnTheOneMappedFourTuple() {
        requireNatLab();
        try (SimopenLab lab = SimopenLab.open(config(SimopenLab.Against.CROSSDIAL, null))) {
            for (int round = 1; round <= 2; round++) {
                SimopenLab.Round r = lab.simultaneousOpen(round);
                SimopenRound row = r.row();
                String where = "round " + round + ": " + row + "\nA: " + r.a() + "\nB: " + r.b() + "\nNATs: "
                        + r.nat() + "\n" + lab.peerStderr();
                assertTrue(row.passed(), where);
                assertEquals("in-band", row.resolution(), where);
                assertEquals("POISON_BYTE", row.detection(), where);
                assertEquals(0, row.redials(), where);
                assertTrue(row.sameFourTuple(), where);
                assertEquals(SimopenRound.Check.OK, row.usableA(), where);
                assertEquals(SimopenRound.Check.OK, row.usableB(), where);
                assertNotEquals(r.a().get("role"), r.b().get("role"), where);
                assertNatView(r, lab, where);
                assertEquals("/ip4/" + lab.lab().peerA().host() + "/tcp/" + r.port(), r.a().get("localAddr"), where);
                assertEquals("/ip4/" + lab.lab().peerB().publicHost() + "/tcp/" + r.port(), r.a().get("remoteAddr"),
                        where);
                assertFalse(lab.peerStderr().contains("LEAK:"), where);
            }
        }
    }

    @Test
    void jsStockDialerBehindNatSharesTheCrossedConnectionWithoutRedial() {
        requireNatLab();
        Path jsDir = SimopenLabTest.requireJsPeer();
        try (SimopenLab lab = SimopenLab.open(config(SimopenLab.Against.JS, jsDir))) {
            for (int round = 1; round <= 2; round++) {
                SimopenLab.Round r = lab.simultaneousOpen(round);
                SimopenLabTest.assertJsRoundOnOneFourTuple(r, lab);
                assertNatView(r, lab, "round " + round + ": " + r.row() + "\nNATs: " + r.nat());
            }
        }
    }

    /** Each NAT holds exactly one entry for the 4-tuple, ports kept, and the ephemeral redial was dropped. */
    private static void assertNatView(SimopenLab.Round r, SimopenLab lab, String where) {
        SimopenLab.NatView nat = r.nat();
        assertEquals(1, nat.tupleA().size(), where);
        assertEquals(1, nat.tupleB().size(), where);
        NetnsLab.ConntrackEntry a = nat.tupleA().get(0);
        NetnsLab.ConntrackEntry b = nat.tupleB().get(0);
        assertEquals("ESTABLISHED", a.state(), where);
        assertEquals("ESTABLISHED", b.state(), where);
        assertTrue(a.assured() && b.assured(), where);
        assertTrue(nat.portsKept(), where);
        // NAT A rewrote A's source to its public address, NAT B saw that address as the remote
        assertEquals(lab.lab().peerA().publicHost(), a.replyDst(), where);
        assertEquals(lab.lab().peerA().publicHost(), b.origDst(), where);
        assertEquals(r.port(), b.origDport(), where);
        assertEquals(NetnsLab.ProbeOutcome.NO_ANSWER, nat.probe().outcome(), where);
        assertTrue(nat.droppedByNatB() > 0, where);
        assertEquals(1, nat.probeMappings().size(), "NAT A mapped the ephemeral port: " + where);
        assertTrue(nat.probeEntriesAtB().isEmpty(), "NAT B keeps no state for it: " + where);
        assertEquals("dropped", nat.ephemeralRedial(), where);
        assertEquals(new SimopenRound.Nat(1, 1, true, "dropped"), r.row().nat(), where);
    }

    private static SimopenLab.Config config(SimopenLab.Against against, Path jsDir) {
        return new SimopenLab.Config(against, jsDir, SimopenLab.classPathPeerCommand(), 20_000,
                SimopenLabTest.ECHO_BYTES, line -> System.err.println("lab: " + line), NetnsLab.Topology.NAT,
                PROBE_TIMEOUT, "noise");
    }

    /** Skips (or in CI fails) when no NAT lab can be built here. */
    private static void requireNatLab() {
        SimopenLabTest.requireLab();
        String reason = NetnsLab.unavailableReason(NetnsLab.Topology.NAT).orElse(null);
        if (reason != null && SimopenLabTest.inCi()) {
            fail("CI=true, so the NAT lab tests must run, but: " + reason);
        }
        assumeTrue(reason == null, () -> "NAT lab unavailable: " + reason);
    }
}
