package io.crossdial.cli.lab;

import io.crossdial.lab.JsonLines;
import io.crossdial.lab.LabException;
import java.util.Map;

/**
 * The JSON lines of the lab-peer protocol: {@link JsonLines} with this peer's line limit, integers beyond 64
 * bits rejected and failures as {@link IllegalArgumentException}, plus typed accessors for command fields.
 *
 * <p>Objects map to {@code Map<String, Object>} (order kept), arrays to {@code List<Object>}, integers to
 * {@code Long}, fractions to {@code Double}. Writing accepts the types {@link JsonLines} lists. Thread-safe.
 */
final class LabJson {
    /** The longest command line the peer accepts, in chars (commands are small). */
    static final int MAX_LINE_CHARS = 64 * 1024;

    private LabJson() {}

    /**
     * @param text one line
     * @return the object the line holds
     * @throws IllegalArgumentException if the line is longer than {@link #MAX_LINE_CHARS} or not one JSON object
     */
    static Map<String, Object> parseObject(String text) {
        try {
            return JsonLines.parseObject(text, MAX_LINE_CHARS, JsonLines.BigIntegers.REJECT);
        } catch (LabException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * @param object the object to write
     * @return one line of JSON, without a line break
     * @throws IllegalArgumentException for a value of another type than those {@link JsonLines} lists
     */
    static String write(Map<String, ?> object) {
        return JsonLines.write(object);
    }

    /** @return the string value of {@code key}, or null when absent */
    static String string(Map<String, ?> m, String key) {
        Object v = m.get(key);
        return v == null ? null : v.toString();
    }

    /** @return the integer value of {@code key}, or {@code dflt} when absent */
    static long number(Map<String, ?> m, String key, long dflt) {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.longValue();
        }
        throw new IllegalArgumentException("'" + key + "' must be a number: " + v);
    }

    /** @return whether {@code key} is {@code true} */
    static boolean flag(Map<String, ?> m, String key) {
        return Boolean.TRUE.equals(m.get(key));
    }
}
