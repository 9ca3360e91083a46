package io.crossdial.core.multiaddr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.crossdial.core.FuzzBound;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes both multiaddr forms: an input parses to a multiaddr that survives the round trip through the
 * other form, or is refused with a {@link MultiaddrException}. Corpus: {@code MultiaddrFuzzTestInputs/}.
 */
class MultiaddrFuzzTest {

    @FuzzTest
    void parsesBinaryFormOrRejectsWithMultiaddrException(byte[] input) {
        FuzzBound.run(() -> checkParsesBinaryFormOrRejectsWithMultiaddrException(input));
    }

    private static void checkParsesBinaryFormOrRejectsWithMultiaddrException(byte[] input) {
        Multiaddr parsed;
        try {
            parsed = Multiaddr.fromBytes(input);
        } catch (MultiaddrException expected) {
            return;
        }
        assertArrayEquals(input, parsed.toBytes(), "the binary form is canonical");
        assertEquals(parsed, Multiaddr.fromString(parsed.toString()));
    }

    @FuzzTest
    void parsesTextFormOrRejectsWithMultiaddrException(byte[] input) {
        FuzzBound.run(() -> checkParsesTextFormOrRejectsWithMultiaddrException(input));
    }

    private static void checkParsesTextFormOrRejectsWithMultiaddrException(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        Multiaddr parsed;
        try {
            parsed = Multiaddr.fromString(text);
        } catch (MultiaddrException expected) {
            return;
        }
        Multiaddr again = Multiaddr.fromBytes(parsed.toBytes());
        assertEquals(parsed, again);
        assertEquals(parsed.toString(), again.toString());
        assertEquals(parsed, Multiaddr.fromString(parsed.toString()), "the printed form parses to the same");
    }
}
