package io.crossdial.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesOneLineWithFieldsInInsertionOrder() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cmd", "dial");
        m.put("port", 20001);
        m.put("ok", true);
        m.put("none", null);
        m.put("list", List.of(1, "two\nlines"));
        assertEquals("{\"cmd\":\"dial\",\"port\":20001,\"ok\":true,\"none\":null,\"list\":[1,\"two\\nlines\"]}",
                Json.write(m));
    }

    @Test
    void parsesNestedValuesToMapsListsLongsAndDoubles() {
        Map<String, Object> m = Json.parseObject(
                " {\"a\":{\"b\":[1,2.5,null,false]},\"big\":123456789012345678901234567890} ");
        assertEquals(Map.of("b", Arrays.asList(1L, 2.5, null, false)), m.get("a"));
        assertEquals(new BigInteger("123456789012345678901234567890"), m.get("big"));
    }

    @Test
    void rejectsAnythingButOneObject() {
        assertThrows(LabException.class, () -> Json.parseObject("[1]"));
        assertThrows(LabException.class, () -> Json.parseObject("{\"a\":1} {\"b\":2}"));
        assertThrows(LabException.class, () -> Json.parseObject("{\"a\":"));
        assertThrows(LabException.class, () -> Json.parseObject("not json"));
        assertThrows(LabException.class, () -> Json.parseObject(""));
    }
}
