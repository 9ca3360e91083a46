package io.crossdial.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class LabReportTest {
    private static final SimopenRound GOOD = new SimopenRound(1, true, "initiator", OptionalLong.of(1012), true,
            SimopenRound.Check.OK, SimopenRound.Check.OK, "");
    private static final SimopenRound BAD = new SimopenRound(2, false, "failed", OptionalLong.empty(), false,
            SimopenRound.Check.FAILED, SimopenRound.Check.SKIPPED, "Noise: message is not long enough");

    @Test
    void rendersATableWithASummaryLine() {
        LabReport report = new LabReport("simopen js <-> jvm").add(GOOD).add(BAD);
        assertEquals("simopen js <-> jvm, 2 rounds\n"
                + "round  detected  resolution  ms to usable  same 4-tuple  ping    echo     note\n"
                + "    1  yes       initiator           1012  yes           ok      ok\n"
                + "    2  no        failed                 -  no            failed  skipped  Noise: message is not long enough\n"
                + "1/2 detected, 1/2 usable (ms min 1012 / median 1012 / max 1012), 1/2 same 4-tuple, ping 1/2 ok,"
                + " echo 1/2 ok, 1/2 passed\n", report.toText());
    }

    @Test
    void jsonCarriesRoundsAndSummaryAndReadsBack() {
        LabReport report = new LabReport("t").add(GOOD).add(BAD);
        Map<String, Object> json =
                JsonLines.parseObject(report.toJson(), LabPeer.MAX_LINE_CHARS, JsonLines.BigIntegers.ACCEPT);
        assertEquals("t", json.get("title"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rounds = (List<Map<String, Object>>) json.get("rounds");
        assertEquals(List.of(GOOD, BAD), rounds.stream().map(SimopenRound::fromMap).toList());
        assertEquals(Map.of("rounds", 2L, "detected", 1L, "usable", 1L, "sameFourTuple", 1L, "pingOk", 1L,
                "echoOk", 1L, "passed", 1L, "minUsableMillis", 1012L, "medianUsableMillis", 1012L,
                "maxUsableMillis", 1012L), json.get("summary"));
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
