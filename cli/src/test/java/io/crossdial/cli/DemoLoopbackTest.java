package io.crossdial.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code crossdial demo --loopback}, the launcher's class-data training run: both ends of one TCP connection
 * detect the simultaneous open, take opposite roles from the exchanged nonces, and the timeline goes through
 * identify, ping, echo and the /perf/1.0.0 download to the close.
 */
class DemoLoopbackTest {
    private static final Pattern ROLE = Pattern.compile("([AB]): sent select:(\\d+), received select:(\\d+) -> (\\w+)");

    @Test
    @Timeout(120)
    void bothEndsDetectTheSimultaneousOpenTakeOppositeRolesAndRunEveryProtocol() {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            exit = Main.run("demo", "--loopback", "--echo-bytes", "4096");
        } finally {
            System.setOut(saved);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, out);
        List<String> lines = out.lines().toList();
        assertEquals(2, lines.stream().filter(l -> l.contains("(the poison byte): simultaneous open detected")).count(),
                out);
        List<Matcher> roles = lines.stream().map(ROLE::matcher).filter(Matcher::find).toList();
        assertEquals(2, roles.size(), out);
        assertEquals(roles.get(0).group(2), roles.get(1).group(3), "A's nonce is the one B received: " + out);
        assertEquals(roles.get(0).group(3), roles.get(1).group(2), out);
        assertEquals(List.of("initiator", "responder"),
                roles.stream().map(m -> m.group(4)).sorted().toList(), out);
        assertTrue(out.contains("B echoes 4096 random bytes through A over /echo/1.0.0: identical"), out);
        assertTrue(out.contains("A downloads " + DemoCommand.PERF_BYTES + " bytes from B over /perf/1.0.0"), out);
        assertTrue(lines.get(lines.size() - 1).endsWith("closed: yamux GoAway, then TCP close"), out);
    }
}
