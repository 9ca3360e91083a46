package io.crossdial.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One-line JSON events for {@code --json} output, written with jackson-core. */
final class Json {
    private static final JsonFactory FACTORY = new JsonFactory();

    private final Map<String, Object> fields = new LinkedHashMap<>();

    private Json(String event) {
        fields.put("event", event);
    }

    static Json event(String event) {
        return new Json(event);
    }

    Json put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    String line() {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, fields);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void write(JsonGenerator g, Object value) throws IOException {
        if (value == null) {
            g.writeNull();
        } else if (value instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (value instanceof List<?> list) {
            g.writeStartArray();
            for (Object o : list) {
                write(g, o);
            }
            g.writeEndArray();
        } else if (value instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (value instanceof Integer || value instanceof Long) {
            g.writeNumber(((Number) value).longValue());
        } else if (value instanceof Number n) {
            g.writeNumber(Math.round(n.doubleValue() * 1000.0) / 1000.0);
        } else {
            g.writeString(String.valueOf(value));
        }
    }
}
