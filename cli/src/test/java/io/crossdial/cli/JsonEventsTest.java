package io.crossdial.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crossdial.lab.JsonLines;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The exact form of the {@code --json} events: key order, integers, fractions to 3 decimals, nulls. */
class JsonEventsTest {
    @Test
    void dialedEventKeepsKeyOrderAndRoundsFractionsToThreeDecimals() {
        String line = JsonLines.line("event", "dialed", "ok", true, "remotePeer", "12D3KooWA",
                "connectMs", Main.round3(12.34567), "pingRttMs", List.of(Main.round3(0.1234567), Main.round3(2.0)),
                "echoBytes", 1 << 20, "identify", JsonLines.object("observedAddr", null));
        assertEquals("{\"event\":\"dialed\",\"ok\":true,\"remotePeer\":\"12D3KooWA\",\"connectMs\":12.346,"
                + "\"pingRttMs\":[0.123,2.0],\"echoBytes\":1048576,\"identify\":{\"observedAddr\":null}}", line);
    }

    @Test
    void perfEventWritesLongsAsIntegersAndAnAbsentWarmupAsNull() {
        String line = JsonLines.line("event", "perf", "uploadBytes", 10_000_000_000L, "seconds", Main.round3(1.0006),
                "warmupFirstGbitPerSecond", null);
        assertEquals("{\"event\":\"perf\",\"uploadBytes\":10000000000,\"seconds\":1.001,"
                + "\"warmupFirstGbitPerSecond\":null}", line);
    }
}
