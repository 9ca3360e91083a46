package io.crossdial.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The base58btc, base36 and base32 codecs behind peer ID text. */
class BaseEncodingTest {
    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest(name = "{0} <-> {1}")
    @CsvSource({
        "'', ''",
        "00, 1",
        "000001, 112",
        "61, 2g",
        "626262, a3gV",
        "636363, aPEr",
        "516b6fcd0f, ABnLTmg",
        "572e4794, 3EFU7m",
        "00eb15231dfceb60925886b67d065299925915aeb172c06647, 1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L",
    })
    void base58MatchesBitcoinVectors(String hex, String text) {
        assertEquals(text, BaseN.BASE58_BTC.encode(HEX.parseHex(hex), 100));
        assertArrayEquals(HEX.parseHex(hex), BaseN.BASE58_BTC.decode(text, 100));
    }

    @Test
    void base58EncodesHelloWorld() {
        assertEquals("2NEpo7TZRRrLZSi2U", BaseN.BASE58_BTC.encode("Hello World!".getBytes(StandardCharsets.US_ASCII), 100));
    }

    @Test
    void baseNEnforcesBounds() {
        assertThrows(KeyFormatException.class, () -> BaseN.BASE58_BTC.encode(new byte[11], 10));
        assertThrows(KeyFormatException.class, () -> BaseN.BASE58_BTC.decode("1".repeat(11), 10));
        assertThrows(KeyFormatException.class, () -> BaseN.BASE58_BTC.decode("abc0", 10));
        assertThrows(KeyFormatException.class, () -> BaseN.BASE58_BTC.decode("abc\u00e9", 10));
        assertThrows(KeyFormatException.class, () -> BaseN.BASE36_LOWER.decode("ABC", 10));
    }

    @ParameterizedTest(name = "{0} <-> {1}")
    @CsvSource({
        // RFC 4648 section 10, lower case, padding removed
        "'', ''", "f, my", "fo, mzxq", "foo, mzxw6", "foob, mzxw6yq", "fooba, mzxw6ytb", "foobar, mzxw6ytboi",
    })
    void base32MatchesRfc4648Vectors(String plain, String text) {
        byte[] bytes = plain.getBytes(StandardCharsets.US_ASCII);
        assertEquals(text, Base32.encode(bytes));
        assertArrayEquals(bytes, Base32.decode(text, 100));
    }

    @Test
    void base32RejectsNonCanonicalText() {
        assertThrows(KeyFormatException.class, () -> Base32.decode("mz", 100)); // trailing bits set
        assertThrows(KeyFormatException.class, () -> Base32.decode("m", 100)); // impossible length
        assertThrows(KeyFormatException.class, () -> Base32.decode("MZXQ", 100));
        assertThrows(KeyFormatException.class, () -> Base32.decode("mzxq====", 100));
        assertThrows(KeyFormatException.class, () -> Base32.decode("mzxw6ytboi", 9));
    }

    @Property
    void base58RoundTrips(@ForAll @Size(max = 64) byte[] bytes) {
        assertArrayEquals(bytes, BaseN.BASE58_BTC.decode(BaseN.BASE58_BTC.encode(bytes, 64), 100));
    }

    @Property
    void base36RoundTrips(@ForAll @Size(max = 64) byte[] bytes) {
        assertArrayEquals(bytes, BaseN.BASE36_LOWER.decode(BaseN.BASE36_LOWER.encode(bytes, 64), 110));
    }

    @Property
    void base32RoundTrips(@ForAll @Size(max = 64) byte[] bytes) {
        assertArrayEquals(bytes, Base32.decode(Base32.encode(bytes), 110));
    }
}
