package io.crossdial.lab;

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
import java.util.Optional;

/**
 * JSON lines on jackson-core's streaming API: one object per line, written without line breaks. The lab's
 * peer protocol, the CLI's {@code lab-peer} and the js peer driver in the interop tests all speak it; the
 * CLI's {@code --json} events and the bench's child-process events and {@code results.json} are written with
 * it too. It is the only JSON code in crossdial.
 *
 * <p>Values map as follows: object - {@code Map<String, Object>} (insertion order kept), array -
 * {@code List<Object>}, string - {@code String}, integer - {@code Long} (beyond 64 bits see
 * {@link BigIntegers}), fraction - {@code Double}, {@code true}/{@code false} - {@code Boolean}, {@code null} -
 * {@code null}. Writing accepts the same types plus any {@link Number} ({@code Integer}, {@code Short},
 * {@code Byte} as integers, {@code BigInteger} and {@code BigDecimal} exactly, any other as a double; a NaN
 * or infinite double as {@code null}, which JSON has no number for), any {@link CharSequence}, {@link Enum}
 * (its name) and {@link Optional} (its value or {@code null}).
 *
 * <p>Thread-safe (the factory is shared, parsers and generators are per call).
 */
public final class JsonLines {
    private static final JsonFactory FACTORY = new JsonFactory();

    /** What {@link #parseObject(String, int, BigIntegers)} does with an integer beyond 64 bits. */
    public enum BigIntegers {
        /** Reads it as a {@code java.math.BigInteger}. */
        ACCEPT,
        /** Fails the line with a {@link LabException} ("malformed JSON: ... out of range of long"). */
        REJECT
    }

    private JsonLines() {}

    /**
     * Writes {@code object} as one line of JSON (no trailing newline).
     *
     * @param object the object; its values may nest maps and iterables freely
     * @return the JSON text, on one line
     * @throws IllegalArgumentException if a value has a type listed nowhere in the class comment
     */
    public static String write(Map<String, ?> object) {
        StringWriter out = new StringWriter();
        try (JsonGenerator gen = FACTORY.createGenerator(out)) {
            writeValue(gen, object);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    /**
     * Writes {@code value} as indented, multi-line JSON (jackson-core's default pretty printer), for files
     * people read.
     *
     * @param value a map, iterable or any other value the class comment lists
     * @return the JSON text, without a trailing line break
     * @throws IllegalArgumentException if a value has a type listed nowhere in the class comment
     */
    public static String writePretty(Object value) {
        StringWriter out = new StringWriter();
        try (JsonGenerator gen = FACTORY.createGenerator(out)) {
            gen.useDefaultPrettyPrinter();
            writeValue(gen, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    /**
     * @param keysAndValues alternating {@code String} keys and values
     * @return an object of those entries in that order (a later duplicate key replaces the value)
     * @throws IllegalArgumentException if the count is odd or a key is not a {@code String}
     */
    public static Map<String, Object> object(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values must pair up: " + keysAndValues.length + " given");
        }
        Map<String, Object> object = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (!(keysAndValues[i] instanceof String key)) {
                throw new IllegalArgumentException("key " + i / 2 + " is not a String: " + keysAndValues[i]);
            }
            object.put(key, keysAndValues[i + 1]);
        }
        return object;
    }

    /**
     * @param keysAndValues alternating {@code String} keys and values
     * @return {@link #write} of {@link #object}: one line, keys in the order given
     * @throws IllegalArgumentException as {@link #object} and {@link #write} do
     */
    public static String line(Object... keysAndValues) {
        return write(object(keysAndValues));
    }

    /**
     * Parses one JSON value that fills {@code text} (surrounding whitespace and line breaks allowed), e.g. a
     * whole file.
     *
     * @param text the JSON text
     * @param maxChars the longest {@code text} accepted, in chars; checked before parsing
     * @param bigIntegers whether an integer beyond 64 bits is read or fails the text
     * @return the value, mapped as the class comment says
     * @throws LabException if {@code text} is longer than {@code maxChars} or not exactly one well-formed
     *     JSON value; the message carries the start of {@code text}
     */
    public static Object parse(String text, int maxChars, BigIntegers bigIntegers) {
        if (text.length() > maxChars) {
            throw new LabException("JSON text of " + text.length() + " chars, more than " + maxChars + ": "
                    + abbreviate(text));
        }
        try (JsonParser parser = FACTORY.createParser(text)) {
            if (parser.nextToken() == null) {
                throw new LabException("no JSON value: " + abbreviate(text));
            }
            Object value = readValue(parser, bigIntegers);
            if (parser.nextToken() != null) {
                throw new LabException("trailing content after the JSON value: " + abbreviate(text));
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new LabException("malformed JSON: " + e.getOriginalMessage() + ": " + abbreviate(text), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // parsing a String does not do I/O
        }
    }

    /**
     * Parses one JSON object that fills {@code text} (surrounding whitespace allowed).
     *
     * @param text one line
     * @param maxLineChars the longest {@code text} accepted, in chars; checked before parsing
     * @param bigIntegers whether an integer beyond 64 bits is read or fails the line
     * @return the object, mapped as the class comment says
     * @throws LabException if {@code text} is longer than {@code maxLineChars} or not exactly one well-formed
     *     JSON object; the message carries the start of {@code text}
     */
    public static Map<String, Object> parseObject(String text, int maxLineChars, BigIntegers bigIntegers) {
        if (text.length() > maxLineChars) {
            throw new LabException("JSON line of " + text.length() + " chars, more than " + maxLineChars + ": "
                    + abbreviate(text));
        }
        try (JsonParser parser = FACTORY.createParser(text)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new LabException("not a JSON object: " + abbreviate(text));
            }
            Map<String, Object> object = readObject(parser, bigIntegers);
            if (parser.nextToken() != null) {
                throw new LabException("trailing content after the JSON object: " + abbreviate(text));
            }
            return object;
        } catch (JsonProcessingException e) {
            throw new LabException("malformed JSON: " + e.getOriginalMessage() + ": " + abbreviate(text), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // parsing a String does not do I/O
        }
    }

    private static Map<String, Object> readObject(JsonParser parser, BigIntegers bigIntegers) throws IOException {
        Map<String, Object> object = new LinkedHashMap<>();
        JsonToken token;
        while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            parser.nextToken();
            object.put(name, readValue(parser, bigIntegers));
        }
        if (token != JsonToken.END_OBJECT) {
            throw new LabException("unterminated JSON object");
        }
        return object;
    }

    private static Object readValue(JsonParser parser, BigIntegers bigIntegers) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == null) {
            throw new LabException("unexpected end of JSON");
        }
        switch (token) {
            case START_OBJECT:
                return readObject(parser, bigIntegers);
            case START_ARRAY: {
                List<Object> list = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    if (parser.currentToken() == null) {
                        throw new LabException("unterminated JSON array");
                    }
                    list.add(readValue(parser, bigIntegers));
                }
                return list;
            }
            case VALUE_STRING:
                return parser.getText();
            case VALUE_NUMBER_INT:
                // getLongValue() fails an integer beyond 64 bits with a JsonProcessingException
                boolean big = parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER;
                return big && bigIntegers == BigIntegers.ACCEPT
                        ? parser.getBigIntegerValue() : Long.valueOf(parser.getLongValue());
            case VALUE_NUMBER_FLOAT:
                return parser.getDoubleValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new LabException("unexpected JSON token " + token);
        }
    }

    private static void writeValue(JsonGenerator gen, Object value) throws IOException {
        if (value == null) {
            gen.writeNull();
        } else if (value instanceof Map<?, ?> map) {
            gen.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                gen.writeFieldName(String.valueOf(e.getKey()));
                writeValue(gen, e.getValue());
            }
            gen.writeEndObject();
        } else if (value instanceof Iterable<?> list) {
            gen.writeStartArray();
            for (Object item : list) {
                writeValue(gen, item);
            }
            gen.writeEndArray();
        } else if (value instanceof CharSequence s) {
            gen.writeString(s.toString());
        } else if (value instanceof Boolean b) {
            gen.writeBoolean(b);
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short
                || value instanceof Byte) {
            gen.writeNumber(((Number) value).longValue());
        } else if (value instanceof java.math.BigInteger big) {
            gen.writeNumber(big);
        } else if (value instanceof java.math.BigDecimal dec) {
            gen.writeNumber(dec);
        } else if (value instanceof Number n) {
            double d = n.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                gen.writeNull();
            } else {
                gen.writeNumber(d);
            }
        } else if (value instanceof Enum<?> e) {
            gen.writeString(e.name());
        } else if (value instanceof Optional<?> o) {
            writeValue(gen, o.orElse(null));
        } else {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    /**
     * @param object a parsed object
     * @param key a field name
     * @return the field's value as a string ({@code toString} of a non-string), or null when absent or null
     */
    public static String string(Map<String, ?> object, String key) {
        Object v = object.get(key);
        return v == null ? null : v.toString();
    }

    /**
     * @param object a parsed object
     * @param key a field name
     * @param dflt what an absent or null field stands for
     * @return the field's integer value ({@code longValue} of any number)
     * @throws IllegalArgumentException if the field holds something other than a number
     */
    public static long number(Map<String, ?> object, String key, long dflt) {
        Object v = object.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.longValue();
        }
        throw new IllegalArgumentException("'" + key + "' must be a number: " + v);
    }

    /**
     * @param object a parsed object
     * @param key a field name
     * @return whether the field is {@code true} (absent, null and anything else are false)
     */
    public static boolean flag(Map<String, ?> object, String key) {
        return Boolean.TRUE.equals(object.get(key));
    }

    /**
     * @param text any text, e.g. a line that did not parse
     * @return {@code text} if it has at most 200 chars, else its first 200 chars and its length
     */
    public static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...(" + text.length() + " chars)";
    }
}
