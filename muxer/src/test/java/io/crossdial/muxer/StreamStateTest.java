package io.crossdial.muxer;

import static io.crossdial.muxer.StreamState.BOTH_CLOSED;
import static io.crossdial.muxer.StreamState.CLOSED;
import static io.crossdial.muxer.StreamState.OPEN;
import static io.crossdial.muxer.StreamState.RECV_CLOSED;
import static io.crossdial.muxer.StreamState.RESET;
import static io.crossdial.muxer.StreamState.SEND_CLOSED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumSet;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class StreamStateTest {

    @Test
    void halfClosesEitherWayMeetInBothClosed() {
        assertEquals(SEND_CLOSED, OPEN.finSent());
        assertEquals(RECV_CLOSED, OPEN.finReceived());
        assertEquals(BOTH_CLOSED, SEND_CLOSED.finReceived());
        assertEquals(BOTH_CLOSED, RECV_CLOSED.finSent());
    }

    @Test
    void everyStateButClosedCanBeResetAndClosed() {
        for (StreamState s : EnumSet.complementOf(EnumSet.of(CLOSED))) {
            assertEquals(RESET, s.reset(), s.name());
            assertEquals(CLOSED, s.closed(), s.name());
        }
        assertThrows(IllegalStateException.class, CLOSED::reset);
        assertThrows(IllegalStateException.class, CLOSED::closed);
    }

    @Test
    void rejectsASecondFinEachWayAndFinsAfterResetOrClose() {
        assertIllegalFrom(StreamState::finSent, SEND_CLOSED, BOTH_CLOSED, RESET, CLOSED);
        assertIllegalFrom(StreamState::finReceived, RECV_CLOSED, BOTH_CLOSED, RESET, CLOSED);
    }

    @Test
    void saysWhatEachStateAllows() {
        assertEquals(EnumSet.of(OPEN, RECV_CLOSED), states(StreamState::canWrite));
        assertEquals(EnumSet.of(OPEN, SEND_CLOSED), states(StreamState::canReceive));
        assertEquals(EnumSet.of(SEND_CLOSED, BOTH_CLOSED), states(StreamState::isFinSent));
        assertEquals(EnumSet.of(RECV_CLOSED, BOTH_CLOSED), states(StreamState::isFinReceived));
        assertEquals(EnumSet.of(OPEN, SEND_CLOSED, RECV_CLOSED, BOTH_CLOSED), states(StreamState::isLive));
        assertEquals(EnumSet.complementOf(EnumSet.of(CLOSED)), states(StreamState::isOpen));
    }

    private static void assertIllegalFrom(UnaryOperator<StreamState> transition, StreamState... from) {
        for (StreamState s : from) {
            assertThrows(IllegalStateException.class, () -> transition.apply(s), s.name());
        }
    }

    private static EnumSet<StreamState> states(java.util.function.Predicate<StreamState> p) {
        EnumSet<StreamState> set = EnumSet.noneOf(StreamState.class);
        for (StreamState s : StreamState.values()) {
            if (p.test(s)) {
                set.add(s);
            }
        }
        return set;
    }
}
