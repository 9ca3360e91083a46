package io.crossdial.cli.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabJsonTest {
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
        String line = LabJson.write(cmd);
        assertEquals("{\"cmd\":\"dial\",\"addr\":\"/ip4/198.18.2.2/tcp/20001/p2p/12D3KooW\",\"peerAddrs\":"
                + "[\"/ip4/198.18.2.2/tcp/20000\"],\"echoBytes\":1048576,\"select\":{\"local\":"
                + "\"18446744073709551615\"},\"usableMs\":12.5,\"error\":null}", line);
        Map<String, Object> back = LabJson.parseObject(line);
        assertEquals(1048576L, back.get("echoBytes"));
        assertEquals(List.of("/ip4/198.18.2.2/tcp/20000"), back.get("peerAddrs"));
        assertEquals(12.5, back.get("usableMs"));
        assertEquals(1048576L, LabJson.number(back, "echoBytes", 0));
        assertEquals(7L, LabJson.number(back, "absent", 7));
    }

    @Test
    void rejectsLinesThatAreNotOneObject() {
        assertThrows(IllegalArgumentException.class, () -> LabJson.parseObject("[1]"));
        assertThrows(IllegalArgumentException.class, () -> LabJson.parseObject("{\"cmd\":\"x\"} {}"));
        assertThrows(IllegalArgumentException.class, () -> LabJson.parseObject("{\"cmd\":"));
        assertThrows(IllegalArgumentException.class,
                () -> LabJson.parseObject("{\"a\":\"" + "x".repeat(LabJson.MAX_LINE_CHARS) + "\"}"));
    }

    @Test
    void numberRejectsNonNumbers() {
        assertThrows(IllegalArgumentException.class, () -> LabJson.number(Map.of("port", "80"), "port", 0));
    }
}
