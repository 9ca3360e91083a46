package io.crossdial.interop.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.crossdial.cli.lab.HolepunchLab;
import io.crossdial.lab.NetnsLab;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Hole punching through two NATs ({@link NetnsLab.Topology#NAT}, links up): a relay on the public router, A
 * behind NAT A reserving on it, B behind NAT B dialing A through it with DCUtR; the direct connection is a TCP
 * simultaneous open from both listen ports (the poison byte detects it, B takes the client role DCUtR gives
 * it), and ping and echo run on it. Skipped like the other NAT lab tests where the lab cannot be built (fails
 * instead with {@code CI=true}).
 */
class HolepunchLabTest {
    @Test
    void crossdialRelayGivesDirectConnectionsThroughBothNats() {
        requireNatLab();
        assertRounds(HolepunchLab.of(2, "crossdial", null, 21_000).run(System.out));
    }

    @Test
    void jsRelayGivesDirectConnectionsThroughBothNats() {
        requireNatLab();
        Path jsDir = SimopenLabTest.requireJsPeer();
        assertRounds(HolepunchLab.of(2, "js", jsDir, 21_100).run(System.out));
    }

    @SuppressWarnings("unchecked")
    private static void assertRounds(List<Map<String, Object>> rounds) {
        assertEquals(2, rounds.size());
        for (Map<String, Object> r : rounds) {
            String where = r.toString();
            assertEquals(Boolean.TRUE, r.get("usable"), where);
            assertEquals(Boolean.TRUE, r.get("direct"), where);
            Map<String, Object> punch = (Map<String, Object>) r.get("holepunch");
            assertEquals("POISON_BYTE", punch.get("simopen"), where);
            assertEquals("initiator", punch.get("roleHint"), where);
            assertEquals("initiator", punch.get("role"), "the DCUtR client's hint won the select: exchange; " + where);
            assertTrue(String.valueOf(punch.get("remoteAddr")).startsWith("/ip4/198.18.1.2/tcp/"),
                    "B reached A at NAT A's public address: " + where);
        }
        Map<String, Object> summary = HolepunchLab.summary(rounds);
        assertEquals(2L, summary.get("direct"));
    }

    private static void requireNatLab() {
        SimopenLabTest.requireLab();
        String reason = NetnsLab.unavailableReason(NetnsLab.Topology.NAT).orElse(null);
        if (reason != null && SimopenLabTest.inCi()) {
            fail("CI=true, so the NAT lab tests must run, but: " + reason);
        }
        assumeTrue(reason == null, () -> "NAT lab unavailable: " + reason);
    }
}
