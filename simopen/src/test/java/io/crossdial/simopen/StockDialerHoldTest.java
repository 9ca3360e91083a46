package io.crossdial.simopen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crossdial.core.spi.Role;
import org.junit.jupiter.api.Test;

/** When a dial from a listen port holds its first handshake message, and for how long. */
class StockDialerHoldTest {
    private static final long MS = 1_000_000;

    private static SimopenResult ordinary(long connectNanos, long answerNanos) {
        return new SimopenResult(Role.INITIATOR, Detection.NONE, 0, 0, 0, answerNanos, connectNanos, answerNanos);
    }

    @Test
    void anAnswerThatCameSoonerThanTheConnectTookIsHeldForTheAnswerTimePlusTheSlack() {
        StockDialerHold hold = new StockDialerHold(5, 150, 2_000);
        // the lab: both first SYNs died, the connect took 1.0 s; js's proposal came 3 ms after our write
        assertEquals(3 + 150, hold.holdMillis(ordinary(1_000 * MS, 3 * MS)));
        // behind NATs without a lost SYN: connect = one RTT (80 ms), the proposal after half of it
        assertEquals(40 + 150, hold.holdMillis(ordinary(80 * MS, 40 * MS)));
    }

    @Test
    void aListenersAnswerIsNeverSoonerThanTheConnectAndIsNotHeld() {
        StockDialerHold hold = StockDialerHold.DEFAULT;
        assertEquals(0, hold.holdMillis(ordinary(80 * MS, 81 * MS)));
        assertEquals(0, hold.holdMillis(ordinary(80 * MS, 200 * MS)));
        // loopback: the connect's event-loop overhead can exceed the answer time, but not by the margin
        assertEquals(0, hold.holdMillis(ordinary(400_000, 100_000)));
        assertEquals(0, hold.holdMillis(ordinary(5 * MS + 100_000, 100_000)));
        assertEquals(500, hold.holdMillis(ordinary(5 * MS + 100_001, 100_000)), "0 ms answer + 500 ms slack");
    }

    @Test
    void unknownTimesAndTheNeverPolicyDoNotHold() {
        assertEquals(0, StockDialerHold.DEFAULT.holdMillis(ordinary(-1, 3 * MS)));
        assertEquals(0, StockDialerHold.DEFAULT.holdMillis(ordinary(1_000 * MS, -1)));
        assertEquals(0, StockDialerHold.NEVER.holdMillis(ordinary(1_000 * MS, 3 * MS)));
    }

    @Test
    void theHoldIsCappedByItsMaximum() {
        assertEquals(300, new StockDialerHold(5, 150, 300).holdMillis(ordinary(3_000 * MS, 1_000 * MS)));
    }

    @Test
    void negativeValuesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new StockDialerHold(-1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new StockDialerHold(0, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new StockDialerHold(0, 0, -1));
    }

    @Test
    void theDefaultsArePinned() {
        assertEquals(new StockDialerHold(5, 500, 2_000), StockDialerHold.DEFAULT);
    }
}
