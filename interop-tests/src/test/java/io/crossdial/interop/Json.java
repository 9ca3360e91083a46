package io.crossdial.interop;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The js peer's line protocol in plain Java values, with jackson-core's streaming API: a JSON object is a
 * {@code Map<String, Object>} (insertion order kept), an array a {@code List<Object>}, a number a
 * {@code Long} or {@code Double}, plus {@code String}, {@code Boolean} and {@code null}. Thread-safe.
 */
final class Json {
    private static final JsonFactory FACTORY = new JsonFactory();
    /** The longest line the js peer may print (its largest line, `dialed`, is a few KiB). */
    static final int MAX_LINE_CHARS = 1 << 20;

    private Json() {}

    /**
     * @param line one JSON object, at most {@value #MAX_LINE_CHARS} characters
     * @return the object
     * @throws IllegalArgumentException if the line is not exactly one JSON object, or is too long
     */
    static Map<String, Object> parseObject(String line) {
        if (line.length() > MAX_LINE_CHARS) {
            throw new IllegalArgumentException("JSON line of " + line.length() + " chars, more than " + MAX_LINE_CHARS);
        }
        try (JsonParser p = FACTORY.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object: " + line);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> out = (Map<String, Object>) value(p);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("trailing data after the JSON object: " + line);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + line + " (" + e.getMessage() + ")", e);
        }
    }

    private static Object value(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    m.put(name, value(p));
                }
                return m;
            }
            case START_ARRAY: {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(value(p));
                }
                return l;
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
                throw new IOException("unexpected token " + t);
        }
    }

    /**
     * @param value a map, list, string, number, boolean or null (nested freely)
     * @return its JSON text on one line
     */
    static String write(Object value) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            write(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof Iterable<?> l) {
            g.writeStartArray();
            for (Object o : l) {
                write(g, o);
            }
            g.writeEndArray();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Integer || v instanceof Long) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Number n) {
            g.writeNumber(n.doubleValue());
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            throw new IllegalArgumentException("cannot write " + v.getClass() + " as JSON");
        }
    }
}
