package io.crossdial.cli.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.lab.JsonLines;
import io.crossdial.lab.LabException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The lab-peer protocol's lines as {@link LabPeerCommand} reads and writes them. */
class LabPeerCommandJsonTest {
    private static Map<String, Object> command(String line) {
        return JsonLines.parseObject(line, LabPeerCommand.MAX_COMMAND_CHARS, JsonLines.BigIntegers.REJECT);
    }

    @Test
    void writesAndParsesADialCommandWithNestedValues() {
        Map<String, Object> cmd = new LinkedHashMap<>();
        cmd.put("cmd", "dial");
        cmd.put("addr", "/ip4/198.18.2.2/tcp/20001/p2p/12D3KooW");
        cmd.put("peerAddrs", List.of("/ip4/198.18.2.2/tcp/20000"));
        cmd.put("echoBytes", 1048576);
        cmd.put("select", Map.of("local", "18446744073709551615"));
        cmd.put("usableMs", 12.5);
        cmd.put("error", null);
        String line = JsonLines.write(cmd);
        assertEquals("{\"cmd\":\"dial\",\"addr\":\"/ip4/198.18.2.2/tcp/20001/p2p/12D3KooW\",\"peerAddrs\":"
                + "[\"/ip4/198.18.2.2/tcp/20000\"],\"echoBytes\":1048576,\"select\":{\"local\":"
                + "\"18446744073709551615\"},\"usableMs\":12.5,\"error\":null}", line);
        Map<String, Object> back = command(line);
        assertEquals(1048576L, back.get("echoBytes"));
        assertEquals(List.of("/ip4/198.18.2.2/tcp/20000"), back.get("peerAddrs"));
        assertEquals(12.5, back.get("usableMs"));
        assertEquals("dial", JsonLines.string(back, "cmd"));
        assertNull(JsonLines.string(back, "absent"));
        assertEquals(1048576L, JsonLines.number(back, "echoBytes", 0));
        assertEquals(7L, JsonLines.number(back, "absent", 7));
        assertTrue(back.containsKey("error"));
        assertNull(back.get("error"));
    }

    @Test
    void rejectsLinesThatAreNotOneObject() {
        assertThrows(LabException.class, () -> command("[1]"));
        assertThrows(LabException.class, () -> command("{\"cmd\":\"x\"} {}"));
        assertThrows(LabException.class, () -> command("{\"cmd\":"));
        assertThrows(LabException.class, () -> command("{\"port\":18446744073709551616}"));
        assertThrows(LabException.class,
                () -> command("{\"a\":\"" + "x".repeat(LabPeerCommand.MAX_COMMAND_CHARS) + "\"}"));
    }

    @Test
    void numberRejectsNonNumbersAndFlagIsOnlyTrue() {
        assertThrows(IllegalArgumentException.class, () -> JsonLines.number(Map.of("port", "80"), "port", 0));
        assertTrue(JsonLines.flag(Map.of("ok", true), "ok"));
        assertFalse(JsonLines.flag(Map.of("ok", "true"), "ok"));
        assertFalse(JsonLines.flag(Map.of(), "ok"));
    }
}
