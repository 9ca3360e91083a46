package io.crossdial.cli.lab;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON lines of the lab-peer protocol, on jackson-core's streaming API: one object per line.
 *
 * <p>Objects map to {@code Map<String, Object>} (order kept), arrays to {@code List<Object>}, integers to
 * {@code Long}, fractions to {@code Double}. Writing accepts those plus any {@link Number} and {@link Enum}.
 * Thread-safe.
 */
final class LabJson {
    /** The longest command line the peer accepts, in chars (commands are small). */
    static final int MAX_LINE_CHARS = 64 * 1024;
    private static final JsonFactory FACTORY = new JsonFactory();

    private LabJson() {}

    /**
     * @param text one line
     * @return the object the line holds
     * @throws IllegalArgumentException if the line is longer than {@link #MAX_LINE_CHARS} or not one JSON object
     */
    static Map<String, Object> parseObject(String text) {
        if (text.length() > MAX_LINE_CHARS) {
            throw new IllegalArgumentException("line longer than " + MAX_LINE_CHARS + " chars");
        }
        try (JsonParser p = FACTORY.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            Map<String, Object> object = readObject(p);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("trailing content after the JSON object");
            }
            return object;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> readObject(JsonParser p) throws IOException {
        Map<String, Object> object = new LinkedHashMap<>();
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            object.put(name, readValue(p));
        }
        if (t != JsonToken.END_OBJECT) {
            throw new IllegalArgumentException("unterminated JSON object");
        }
        return object;
    }

    private static Object readValue(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) {
            throw new IllegalArgumentException("unexpected end of JSON");
        }
        switch (t) {
            case START_OBJECT:
                return readObject(p);
            case START_ARRAY: {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    if (p.currentToken() == null) {
                        throw new IllegalArgumentException("unterminated JSON array");
                    }
                    list.add(readValue(p));
                }
                return list;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                return p.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return p.getDoubleValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new IllegalArgumentException("unexpected JSON token " + t);
        }
    }

    /**
     * @param object the object to write
     * @return one line of JSON, without a line break
     * @throws IllegalArgumentException for a value of another type than those listed in the class comment
     */
    static String write(Map<String, ?> object) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            writeValue(g, object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void writeValue(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                writeValue(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof Iterable<?> list) {
            g.writeStartArray();
            for (Object item : list) {
                writeValue(g, item);
            }
            g.writeEndArray();
        } else if (v instanceof CharSequence s) {
            g.writeString(s.toString());
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Number n) {
            g.writeNumber(n.doubleValue());
        } else if (v instanceof Enum<?> e) {
            g.writeString(e.name());
        } else {
            throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
        }
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
