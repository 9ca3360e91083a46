package io.crossdial.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class LabReportTest {
    private static final SimopenRound GOOD = new SimopenRound(1, true, "in-band", OptionalLong.of(1012), true,
            SimopenRound.Check.OK, SimopenRound.Check.OK, "", SimopenRound.Check.OK, SimopenRound.Check.OK, 0,
            "STOCK_DIALER", "responder", null);
    private static final SimopenRound BAD = new SimopenRound(2, false, "failed", OptionalLong.empty(), false,
            SimopenRound.Check.FAILED, SimopenRound.Check.SKIPPED, "Noise: message is not long enough",
            SimopenRound.Check.FAILED, SimopenRound.Check.FAILED, 1, "NONE", "", null);

    @Test
    void rendersATableWithSummaryLines() {
        LabReport report = new LabReport("simopen crossdial <-> js", "js").add(GOOD).add(BAD);
        assertEquals("simopen crossdial <-> js, 2 rounds\n"
                + "round  detected  detection     role A     resolution  ms to usable  A usable  js usable"
                + "  same 4-tuple  redials  ping    echo     note\n"
                + "    1  yes       STOCK_DIALER  responder  in-band             1012  ok        ok       "
                + "  yes                 0  ok      ok\n"
                + "    2  no        NONE          -          failed                 -  failed    failed   "
                + "  no                  1  failed  skipped  Noise: message is not long enough\n"
                + "1/2 detected, 1/2 usable (ms min 1012 / median 1012 / max 1012), 1/2 same 4-tuple, ping 1/2 ok,"
                + " echo 1/2 ok, 1/2 passed\n"
                + "A usable 1/2, js usable 1/2, same 4-tuple 1/2, redials 1 (in 1/2 rounds), detection"
                + " STOCK_DIALER 1/2, NONE 1/2, role A responder 1/2\n", report.toText());
    }

    @Test
    void natRoundsAddTheirColumnsAndALine() {
        SimopenRound.Nat nat = new SimopenRound.Nat(1, 1, true, "dropped");
        SimopenRound round = new SimopenRound(1, true, "in-band", OptionalLong.of(1003), true, SimopenRound.Check.OK,
                SimopenRound.Check.OK, "", SimopenRound.Check.OK, SimopenRound.Check.OK, 0, "POISON_BYTE",
                "initiator", nat);
        SimopenRound changed = new SimopenRound(2, true, "in-band", OptionalLong.of(1003), true,
                SimopenRound.Check.OK, SimopenRound.Check.OK, "", SimopenRound.Check.OK, SimopenRound.Check.OK, 0,
                "POISON_BYTE", "responder", new SimopenRound.Nat(1, 2, false, "answered"));
        LabReport report = new LabReport("nat").add(round).add(changed);
        String text = report.toText();
        assertTrue(text.contains("  NAT entries       ephemeral redial  note\n"), text);
        assertTrue(text.contains("  1/1 port kept     dropped\n"), text);
        assertTrue(text.contains("  1/2 PORT CHANGED  answered\n"), text);
        assertTrue(text.endsWith("NATs: one conntrack entry per NAT for the 4-tuple, port kept, in 1/2 rounds;"
                + " ephemeral redial dropped by NAT B in 1/2\n"), text);
        assertTrue(round.passed());
        assertFalse(changed.passed(), "a NAT that changed the port or answered the ephemeral redial fails the round");
        Map<String, Object> json =
                JsonLines.parseObject(report.toJson(), LabPeer.MAX_LINE_CHARS, JsonLines.BigIntegers.ACCEPT);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rounds = (List<Map<String, Object>>) json.get("rounds");
        assertEquals(List.of(round, changed), rounds.stream().map(SimopenRound::fromMap).toList());
        @SuppressWarnings("unchecked")
        Map<String, Object> summary = (Map<String, Object>) json.get("summary");
        assertEquals(2L, summary.get("natRounds"));
        assertEquals(1L, summary.get("natEntriesOk"));
        assertEquals(1L, summary.get("ephemeralDropped"));
        assertEquals(Map.of("initiator", 1L, "responder", 1L), summary.get("rolesA"));
    }

    @Test
    void jsonCarriesRoundsAndSummaryAndReadsBack() {
        LabReport report = new LabReport("t").add(GOOD).add(BAD);
        Map<String, Object> json =
                JsonLines.parseObject(report.toJson(), LabPeer.MAX_LINE_CHARS, JsonLines.BigIntegers.ACCEPT);
        assertEquals("t", json.get("title"));
        assertEquals("B", json.get("peerB"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rounds = (List<Map<String, Object>>) json.get("rounds");
        assertEquals(List.of(GOOD, BAD), rounds.stream().map(SimopenRound::fromMap).toList());
        Map<String, Object> expected = new java.util.HashMap<>(Map.of("rounds", 2L, "detected", 1L, "usable", 1L,
                "sameFourTuple", 1L, "pingOk", 1L, "echoOk", 1L, "passed", 1L, "minUsableMillis", 1012L,
                "medianUsableMillis", 1012L, "maxUsableMillis", 1012L));
        expected.putAll(Map.of("usableA", 1L, "usableB", 1L, "redials", 1L, "roundsWithRedial", 1L, "detections",
                Map.of("STOCK_DIALER", 1L, "NONE", 1L), "rolesA", Map.of("responder", 1L)));
        assertEquals(expected, json.get("summary"));
    }

    @Test
    void medianIsTheLowerMiddleOfUsableRounds() {
        LabReport report = new LabReport("t");
        long[] millis = {1030, 1001, 1020, 1010};
        for (int i = 0; i < millis.length; i++) {
            report.add(new SimopenRound(i + 1, true, "responder", OptionalLong.of(millis[i]), true,
                    SimopenRound.Check.OK, SimopenRound.Check.OK, null));
        }
        LabReport.Summary s = report.summary();
        assertEquals(OptionalLong.of(1001), s.minUsableMillis());
        assertEquals(OptionalLong.of(1010), s.medianUsableMillis());
        assertEquals(OptionalLong.of(1030), s.maxUsableMillis());
        assertEquals(4, s.passed());
    }

    @Test
    void readsChecksFromBooleansAndMissingFields() {
        SimopenRound r = SimopenRound.fromMap(Map.of("round", 3L, "ping", true, "echo", false));
        assertEquals(new SimopenRound(3, false, "", OptionalLong.empty(), false, SimopenRound.Check.OK,
                SimopenRound.Check.FAILED, ""), r);
        assertThrows(IllegalArgumentException.class, () -> SimopenRound.fromMap(Map.of("detected", true)));
        assertThrows(IllegalArgumentException.class, () -> new SimopenRound(0, false, "", OptionalLong.empty(),
                false, SimopenRound.Check.OK, SimopenRound.Check.OK, ""));
    }
}
