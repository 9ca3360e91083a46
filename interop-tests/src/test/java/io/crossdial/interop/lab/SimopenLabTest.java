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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Real TCP simultaneous opens (crossed SYNs, one connection, no accept) between peer processes in the
 * network-namespace lab, through {@link SimopenLab} and the hidden {@code crossdial lab-peer}.
 *
 * <p>Skipped, with the reason, where the lab cannot be built (not root, no iproute2) or, for the js case,
 * where node or the js peer's packages are missing; with {@code CI=true} those tests fail instead, since CI
 * runs as root with iproute2 and node installed. The same rounds behind NATs: {@link NatSimopenLabTest}.
 */
class SimopenLabTest {
    static final int ECHO_BYTES = 64 * 1024;

    @Test
    void crossdialPeersResolveCrossedSynsInBandOnOneFourTupleWithOppositeRoles() {
        requireLab();
        try (SimopenLab lab = SimopenLab.open(config(SimopenLab.Against.CROSSDIAL, null))) {
            for (int round = 1; round <= 3; round++) {
                SimopenLab.Round r = lab.simultaneousOpen(round);
                SimopenRound row = r.row();
                String where = "round " + round + ": " + row + "\nA: " + r.a() + "\nB: " + r.b() + "\n"
                        + lab.peerStderr();
                assertTrue(row.usable(), where);
                assertTrue(row.detected(), where);
                assertEquals("in-band", row.resolution(), where);
                assertTrue(row.sameFourTuple(), where);
                assertEquals(SimopenRound.Check.OK, row.ping(), where);
                assertEquals(SimopenRound.Check.OK, row.echo(), where);
                assertEquals("POISON_BYTE", r.a().get("detection"), where);
                assertEquals("POISON_BYTE", r.b().get("detection"), where);
                assertEquals(0L, r.a().get("redials"), where);
                assertNotEquals(r.a().get("role"), r.b().get("role"), where);
                Map<?, ?> selectA = (Map<?, ?>) r.a().get("select");
                Map<?, ?> selectB = (Map<?, ?>) r.b().get("select");
                assertEquals(selectA.get("local"), selectB.get("remote"), where);
                assertEquals(selectA.get("remote"), selectB.get("local"), where);
                assertFalse(lab.peerStderr().contains("LEAK:"), where);
            }
        }
    }

    @Test
    void jsStockDialerAndCrossdialShareTheCrossedConnectionWithoutRedial() {
        requireLab();
        Path jsDir = requireJsPeer();
        try (SimopenLab lab = SimopenLab.open(config(SimopenLab.Against.JS, jsDir))) {
            for (int round = 1; round <= 2; round++) {
                SimopenLab.Round r = lab.simultaneousOpen(round);
                assertJsRoundOnOneFourTuple(r, lab);
            }
        }
    }

    @Test
    void aJsTlsDialerIsResolvedInBandWithCrossdialAsTheTlsServer() {
        requireLab();
        Path jsDir = requireJsPeer();
        try (SimopenLab lab = SimopenLab.open(config(SimopenLab.Against.JS, jsDir).withSecurity("tls"))) {
            SimopenLab.Round r = lab.simultaneousOpen(1);
            assertJsRoundOnOneFourTuple(r, lab);
            assertEquals("/tls/1.0.0", r.a().get("security"), r.a().toString());
            assertEquals("/tls/1.0.0", r.b().get("encryption"), r.b().toString());
        }
    }

    @Test
    void ordinaryDialInTheLabHasNoSimopenExchange() {
        requireLab();
        try (SimopenLab lab = SimopenLab.open(config(SimopenLab.Against.CROSSDIAL, null))) {
            SimopenLab.Round r = lab.ordinaryDial(1);
            String where = r.row() + "\nA: " + r.a() + "\nB: " + r.b() + "\n" + lab.peerStderr();
            assertEquals(Boolean.TRUE, r.a().get("ok"), where);
            assertEquals("NONE", r.a().get("detection"), where);
            assertEquals(Boolean.FALSE, r.a().get("detected"), where);
            assertEquals("none", r.a().get("resolution"), where);
            assertEquals("initiator", r.a().get("role"), where);
            assertEquals(0L, r.a().get("selectRounds"), where);
            assertEquals(Map.of("local", "0", "remote", "0"), r.a().get("select"), where);
            assertEquals(0L, r.a().get("redials"), where);
            assertEquals((long) r.port(), r.a().get("localPort"), "dialed from the listen port: " + where);
            assertEquals(SimopenRound.Check.OK, r.row().ping(), where);
            assertEquals(SimopenRound.Check.OK, r.row().echo(), where);
            assertEquals(1L, r.b().get("count"), where);
            assertEquals("inbound", ((Map<?, ?>) ((List<?>) r.b().get("list")).get(0)).get("direction"), where);
        }
    }

    /**
     * Checks a round against the js peer: crossdial detected the stock dialer and went on as responder on the
     * crossed connection, no redial, and both A's and js's own dials passed ping and echo on that 4-tuple.
     */
    static void assertJsRoundOnOneFourTuple(SimopenLab.Round r, SimopenLab lab) {
        SimopenRound row = r.row();
        String where = "round " + row.round() + ": " + row + "\nA: " + r.a() + "\njs: " + r.b() + "\n"
                + lab.peerStderr();
        assertTrue(row.passed(), where);
        assertTrue(row.detected(), where);
        assertEquals("in-band", row.resolution(), where);
        assertEquals("STOCK_DIALER", row.detection(), where);
        assertEquals("responder", row.roleA(), where);
        assertEquals(0, row.redials(), where);
        assertEquals(SimopenRound.Check.OK, row.usableA(), where);
        assertEquals(SimopenRound.Check.OK, row.usableB(), "js's ping and 64 KiB echo: " + where);
        assertTrue(row.sameFourTuple(), where);
        assertEquals((long) r.port(), r.a().get("localPort"), where);
        assertEquals((long) r.bPort(), r.a().get("remotePort"), where);
        assertEquals(0L, r.a().get("inboundAccepted"), where);
        assertEquals((long) SimopenLab.JS_ECHO_BYTES, r.b().get("echoBytes"), where);
        assertFalse(lab.peerStderr().contains("LEAK:"), where);
    }

    static SimopenLab.Config config(SimopenLab.Against against, Path jsDir) {
        return new SimopenLab.Config(against, jsDir, SimopenLab.classPathPeerCommand(), 20_000, ECHO_BYTES,
                line -> System.err.println("lab: " + line));
    }

    static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips (or in CI fails) when no lab can be built here. */
    static void requireLab() {
        String reason = NetnsLab.unavailableReason().orElse(null);
        if (reason != null && inCi()) {
            fail("CI=true, so the network-namespace lab tests must run, but: " + reason);
        }
        assumeTrue(reason == null, () -> "network-namespace lab unavailable: " + reason);
    }

    /** @return the js peer's directory; skips (or in CI fails) when node or its packages are missing */
    static Path requireJsPeer() {        String base = System.getProperty("basedir", System.getProperty("user.dir"));
        Path dir = Path.of(base).toAbsolutePath().resolve("js");
        if (!Files.isRegularFile(dir.resolve("peer.mjs"))) {
            dir = Path.of(base).toAbsolutePath().resolve("interop-tests").resolve("js");
        }
        String problem = null;
        if (!Files.isRegularFile(dir.resolve("peer.mjs"))) {
            problem = "the js peer is missing: " + dir.resolve("peer.mjs");
        } else if (!Files.isDirectory(dir.resolve("node_modules"))) {
            problem = "the js peer's packages are not installed: run `npm ci` in " + dir;
        } else if (!onPath("node")) {
            problem = "node is not installed";
        }
        if (problem != null && inCi()) {
            fail("CI=true, so the js lab test must run, but " + problem);
        }
        String why = problem;
        assumeTrue(why == null, () -> why);
        return dir;
    }

    static boolean onPath(String name) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(java.io.File.pathSeparator)) {
                if (Files.isExecutable(Path.of(d, name))) {
                    return true;
                }
            }
        }
        return Files.isExecutable(Path.of("/usr/bin", name)) || Files.isExecutable(Path.of("/usr/local/bin", name));
    }
}
