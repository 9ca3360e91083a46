package io.crossdial.muxer;

import static io.crossdial.muxer.SessionState.ACTIVE;
import static io.crossdial.muxer.SessionState.CLOSED;
import static io.crossdial.muxer.SessionState.FAILED;
import static io.crossdial.muxer.SessionState.GOING_AWAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SessionStateTest {

    @Test
    void goesAwayOnlyFromActive() {
        assertEquals(GOING_AWAY, ACTIVE.goAway());
        assertThrows(IllegalStateException.class, GOING_AWAY::goAway);
        assertThrows(IllegalStateException.class, FAILED::goAway);
        assertThrows(IllegalStateException.class, CLOSED::goAway);
    }

    @Test
    void failsOnceAndNeverAfterClosing() {
        assertEquals(FAILED, ACTIVE.fail());
        assertEquals(FAILED, GOING_AWAY.fail());
        assertThrows(IllegalStateException.class, FAILED::fail);
        assertThrows(IllegalStateException.class, CLOSED::fail);
    }

    @Test
    void closedIsTerminal() {
        assertEquals(CLOSED, ACTIVE.close());
        assertEquals(CLOSED, GOING_AWAY.close());
        assertEquals(CLOSED, FAILED.close());
        assertThrows(IllegalStateException.class, CLOSED::close);
    }

    @Test
    void readsFramesUntilFailedOrClosed() {
        assertTrue(ACTIVE.readsFrames());
        assertTrue(GOING_AWAY.readsFrames());
        assertFalse(FAILED.readsFrames());
        assertFalse(CLOSED.readsFrames());
    }
}
