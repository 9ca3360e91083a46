package io.crossdial.security.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import io.crossdial.core.crypto.CryptoProvider;
import io.crossdial.core.crypto.CryptoProvider.Choice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Known-answer tests for Noise_XX_25519_ChaChaPoly_SHA256 from the cacophony and snow vector files
 * (src/test/resources/noise/xx-25519-chachapoly-sha256.vectors): fixed keys, exact message bytes,
 * handshake hash, and the transport messages after {@code Split()}, with each ChaCha20-Poly1305 provider
 * ({@link CryptoProvider}: the JDK's and Conscrypt's).
 */
class HandshakeStateVectorTest {
    private static final HexFormat HEX = HexFormat.of();

    record Vector(String source, Map<String, String> fields, List<byte[]> payloads, List<byte[]> ciphertexts) {
        byte[] hex(String key) {
            return HEX.parseHex(fields.get(key));
        }

        @Override
        public String toString() {
            return source;
        }
    }

    static Stream<Vector> vectors() throws IOException {
        List<Vector> out = new ArrayList<>();
        try (InputStream in = HandshakeStateVectorTest.class.getResourceAsStream(
                        "/noise/xx-25519-chachapoly-sha256.vectors");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            Vector current = null;
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int colon = line.indexOf(": ");
                String key = line.substring(0, colon);
                String value = line.substring(colon + 2);
                switch (key) {
                    case "source" -> {
                        current = new Vector(value, new LinkedHashMap<>(), new ArrayList<>(), new ArrayList<>());
                        out.add(current);
                    }
                    case "payload" -> current.payloads().add(HEX.parseHex(value));
                    case "ciphertext" -> current.ciphertexts().add(HEX.parseHex(value));
                    default -> current.fields().put(key, value);
                }
            }
        }
        assertEquals(2, out.size(), "both vector entries load");
        return out.stream();
    }

    static Stream<Arguments> providersAndVectors() throws IOException {
        List<Vector> all = vectors().toList();
        return Stream.of(Choice.JDK, Choice.CONSCRYPT).flatMap(c -> all.stream().map(v -> Arguments.of(c, v)));
    }

    @AfterAll
    static void restoreDefaultProvider() {
        CryptoProvider.select(Choice.AUTO);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("providersAndVectors")
    void producesExactHandshakeAndTransportMessages(Choice provider, Vector v) {
        CryptoProvider.select(provider);
        assertEquals(provider.cliName(), CryptoProvider.active(), CryptoProvider::describe);
        HandshakeState initiator = new HandshakeState(
                true, v.hex("init_prologue"), v.hex("init_static"), v.hex("init_ephemeral"));
        HandshakeState responder = new HandshakeState(
                false, v.hex("resp_prologue"), v.hex("resp_static"), v.hex("resp_ephemeral"));

        for (int i = 0; i < HandshakeState.MESSAGE_COUNT; i++) {
            HandshakeState writer = i % 2 == 0 ? initiator : responder;
            HandshakeState reader = i % 2 == 0 ? responder : initiator;
            assertTrue(writer.isMyTurn());
            assertFalse(reader.isMyTurn());
            byte[] message = writer.writeMessage(v.payloads().get(i));
            assertEquals(HEX.formatHex(v.ciphertexts().get(i)), HEX.formatHex(message), "message " + (i + 1));
            assertArrayEquals(v.payloads().get(i), reader.readMessage(message), "payload " + (i + 1));
        }
        assertTrue(initiator.isComplete());
        assertTrue(responder.isComplete());
        assertArrayEquals(initiator.handshakeHash(), responder.handshakeHash());
        if (v.fields().containsKey("handshake_hash")) {
            assertEquals(v.fields().get("handshake_hash"), HEX.formatHex(initiator.handshakeHash()));
        }
        assertArrayEquals(HandshakeState.publicKey(v.hex("resp_static")), initiator.remoteStaticPublicKey());
        assertArrayEquals(HandshakeState.publicKey(v.hex("init_static")), responder.remoteStaticPublicKey());

        CipherState[] initiatorCiphers = initiator.split();
        CipherState[] responderCiphers = responder.split();
        for (int i = HandshakeState.MESSAGE_COUNT; i < v.payloads().size(); i++) {
            CipherState send = i % 2 == 0 ? initiatorCiphers[0] : responderCiphers[0];
            CipherState receive = i % 2 == 0 ? responderCiphers[1] : initiatorCiphers[1];
            byte[] ciphertext = send.encryptWithAd(new byte[0], v.payloads().get(i));
            assertEquals(HEX.formatHex(v.ciphertexts().get(i)), HEX.formatHex(ciphertext), "transport message " + i);
            assertArrayEquals(v.payloads().get(i), receive.decryptWithAd(new byte[0], ciphertext));
        }
    }
}
