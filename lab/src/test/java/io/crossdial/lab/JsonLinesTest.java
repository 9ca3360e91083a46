package io.crossdial.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crossdial.lab.JsonLines.BigIntegers;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonLinesTest {

    @Test
    void writesOneLineWithFieldsInInsertionOrder() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cmd", "dial");
        m.put("port", 20001);
        m.put("ok", true);
        m.put("none", null);
        m.put("list", List.of(1, "two\nlines"));
        assertEquals("{\"cmd\":\"dial\",\"port\":20001,\"ok\":true,\"none\":null,\"list\":[1,\"two\\nlines\"]}",
                JsonLines.write(m));
    }

    @Test
    void parsesNestedValuesToMapsListsLongsAndDoubles() {
        Map<String, Object> m = parse(
                " {\"a\":{\"b\":[1,2.5,null,false]},\"big\":123456789012345678901234567890} ");
        assertEquals(Map.of("b", Arrays.asList(1L, 2.5, null, false)), m.get("a"));
        assertEquals(new BigInteger("123456789012345678901234567890"), m.get("big"));
    }

    @Test
    void rejectsAnythingButOneObject() {
        assertThrows(LabException.class, () -> parse("[1]"));
        assertThrows(LabException.class, () -> parse("{\"a\":1} {\"b\":2}"));
        assertThrows(LabException.class, () -> parse("{\"a\":"));
        assertThrows(LabException.class, () -> parse("not json"));
        assertThrows(LabException.class, () -> parse(""));
    }

    @Test
    void rejectsALineLongerThanTheMaximumBeforeParsing() {
        assertThrows(LabException.class, () -> JsonLines.parseObject("{\"a\":\"xx\"}", 9, BigIntegers.ACCEPT));
        assertEquals(Map.of("a", "xx"), JsonLines.parseObject("{\"a\":\"xx\"}", 10, BigIntegers.ACCEPT));
    }

    @Test
    void rejectsIntegersBeyond64BitsWhenAskedTo() {
        assertEquals(Map.of("n", Long.MAX_VALUE),
                JsonLines.parseObject("{\"n\":" + Long.MAX_VALUE + "}", 100, BigIntegers.REJECT));
        assertThrows(LabException.class,
                () -> JsonLines.parseObject("{\"n\":18446744073709551616}", 100, BigIntegers.REJECT));
    }

    @Test
    void writesNanAndInfinityAsNullAndRejectsUnknownTypes() {
        assertEquals("{\"a\":null,\"b\":null,\"c\":0.5}", JsonLines.line("a", Double.NaN, "b",
                Double.POSITIVE_INFINITY, "c", 0.5));
        assertThrows(IllegalArgumentException.class, () -> JsonLines.line("a", new Object()));
        assertThrows(IllegalArgumentException.class, () -> JsonLines.line("a"));
        assertThrows(IllegalArgumentException.class, () -> JsonLines.line(1, "a"));
    }

    @Test
    void writesIndentedJsonForFilesAndParsesItBack() {
        Map<String, Object> m = JsonLines.object("mode", "quick", "jdks", JsonLines.object("jdk17",
                JsonLines.object("perf1", List.of(1, 2.5))));
        String text = JsonLines.writePretty(m);
        assertEquals("{\n  \"mode\" : \"quick\",\n  \"jdks\" : {\n    \"jdk17\" : {\n      \"perf1\" : [ 1, 2.5 ]"
                + "\n    }\n  }\n}", text);
        assertEquals(Map.of("mode", "quick", "jdks", Map.of("jdk17", Map.of("perf1", List.of(1L, 2.5)))),
                JsonLines.parseObject(text, text.length(), BigIntegers.REJECT));
    }

    @Test
    void parsesAnyOneValue() {
        assertEquals(List.of(Map.of("score", 1.5), "x"), JsonLines.parse(" [{\"score\":1.5},\"x\"]\n", 100,
                BigIntegers.REJECT));
        assertThrows(LabException.class, () -> JsonLines.parse("", 100, BigIntegers.REJECT));
        assertThrows(LabException.class, () -> JsonLines.parse("[1] 2", 100, BigIntegers.REJECT));
        assertThrows(LabException.class, () -> JsonLines.parse("[1]", 2, BigIntegers.REJECT));
    }

    private static Map<String, Object> parse(String text) {
        return JsonLines.parseObject(text, LabPeer.MAX_LINE_CHARS, BigIntegers.ACCEPT);
    }
}
