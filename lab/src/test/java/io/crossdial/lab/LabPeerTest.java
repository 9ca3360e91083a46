package io.crossdial.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JSON-lines driver against small shell peers; needs no namespace. */
class LabPeerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static LabPeer shell(String script) {
        return LabPeer.start("sh", new ProcessBuilder("sh", "-c", script));
    }

    @Test
    void sendsOneJsonLineAndReadsTheAnswer() {
        try (LabPeer peer = shell("read line; echo \"$line\"")) {
            peer.send(Map.of("cmd", "ping", "n", 7));
            assertEquals(Map.of("cmd", "ping", "n", 7L), peer.next(WAIT));
        }
    }

    @Test
    void awaitEventKeepsEarlierMessagesQueuedInOrder() {
        try (LabPeer peer = shell("echo '{\"event\":\"a\"}'; echo '{\"event\":\"b\"}'; echo '{\"event\":\"c\"}'")) {
            assertEquals("c", peer.awaitEvent("c", WAIT).get("event"));
            assertEquals("a", peer.next(WAIT).get("event"));
            assertEquals("b", peer.next(WAIT).get("event"));
        }
    }

    @Test
    void skipsLinesThatAreNotJsonAndNotesThem() {
        try (LabPeer peer = shell("echo 'WARNING: noise'; echo '[1,2]'; echo '{\"event\":\"ok\"}'")) {
            assertEquals("ok", peer.next(WAIT).get("event"));
            assertTrue(peer.diagnostics().contains("WARNING: noise"), peer.diagnostics());
            assertTrue(peer.diagnostics().contains("[1,2]"), peer.diagnostics());
        }
    }

    @Test
    void skipsLinesLongerThanTheLimit() {
        try (LabPeer peer = shell("head -c " + (LabPeer.MAX_LINE_CHARS + 10)
                + " /dev/zero | tr '\\0' x; echo; echo '{\"event\":\"after\"}'")) {
            assertEquals("after", peer.awaitEvent("after", WAIT).get("event"));
            assertTrue(peer.diagnostics().contains("longer than"), peer.diagnostics());
        }
    }

    @Test
    void errorEventFailsAwaitEventWithItsMessage() {
        try (LabPeer peer = shell("echo '{\"event\":\"error\",\"message\":\"bind failed\"}'; read x")) {
            LabException e = assertThrows(LabException.class, () -> peer.awaitEvent("connected", WAIT));
            assertTrue(e.getMessage().contains("bind failed"), e.getMessage());
        }
    }

    @Test
    void endOfOutputFailsWithExitCodeAndStderr() {
        try (LabPeer peer = shell("echo 'boom: no such address' >&2; exit 3")) {
            LabException e = assertThrows(LabException.class, () -> peer.next(WAIT));
            assertTrue(e.getMessage().contains("exited with code 3"), e.getMessage());
            assertTrue(e.getMessage().contains("boom: no such address"), e.getMessage());
        }
    }

    @Test
    void timeoutNamesTheAwaitedEvent() {
        try (LabPeer peer = shell("read x")) {
            LabException e = assertThrows(LabException.class,
                    () -> peer.awaitEvent("connected", Duration.ofMillis(100)));
            assertTrue(e.getMessage().contains("'connected'"), e.getMessage());
        }
    }

    @Test
    void closeKillsAPeerThatIgnoresEndOfInputWithItsChildren() throws Exception {
        LabPeer peer = shell("trap '' HUP; sleep 600 & wait");
        Thread.sleep(200); // let sh start its child; nothing is asserted on timing
        List<ProcessHandle> children = ProcessHandle.of(peer.pid()).orElseThrow().descendants().toList();
        peer.close();
        assertFalse(peer.isAlive());
        for (ProcessHandle child : children) {
            child.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertFalse(child.isAlive(), "child " + child.pid());
        }
        assertThrows(LabException.class, () -> peer.send(Map.of("cmd", "late")));
        peer.close(); // idempotent
    }
}
