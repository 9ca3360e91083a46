package io.crossdial.cli.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.stream.DoubleStream;
import org.junit.jupiter.api.Test;

class LabCommandTest {

    @Test
    void percentilesAreNearestRank() {
        List<Double> hundred = DoubleStream.iterate(1, v -> v + 1).limit(100).boxed().toList();
        assertEquals(50.0, LabCommand.Simopen.percentile(hundred, 50));
        assertEquals(99.0, LabCommand.Simopen.percentile(hundred, 99));
        List<Double> five = List.of(30.0, 10.0, 50.0, 20.0, 40.0);
        assertEquals(30.0, LabCommand.Simopen.percentile(five, 50));
        assertEquals(50.0, LabCommand.Simopen.percentile(five, 99), "p99 of few samples is their maximum");
        assertEquals(7.0, LabCommand.Simopen.percentile(List.of(7.0), 99));
        assertNull(LabCommand.Simopen.percentile(List.of(), 50));
        assertEquals(52.233, LabCommand.Simopen.percentile(List.of(26.5, 52.233209, 41.6), 100),
                "p100 is the maximum, rounded to 1 us like the others");
    }

    @Test
    void holepunchSummaryRoundsItsMaximum() {
        java.util.Map<String, Object> s = HolepunchLab.summary(List.of(
                java.util.Map.of("direct", true, "usable", true, "holepunch", java.util.Map.of("relayedToDirectMs", 52.233209)),
                java.util.Map.of("direct", false, "usable", true)));
        assertEquals(1L, s.get("direct"));
        assertEquals(2L, s.get("usable"));
        assertEquals(52.233, s.get("timeToDirectMaxMs"));
        assertEquals(52.233, s.get("timeToDirectP50Ms"));
    }
}
