package io.crossdial.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.crossdial.core.FuzzBound;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the key and peer ID decoders (protobuf {@code PublicKey}/{@code PrivateKey} from crypto.proto,
 * multihash bytes, base58 and CID text): each input is accepted and round-trips, or is refused with a
 * {@link KeyFormatException}. Corpus: {@code KeyProtobufFuzzTestInputs/}.
 */
class KeyProtobufFuzzTest {

    @FuzzTest
    void unmarshalsPublicKeyOrRejectsWithKeyFormatException(byte[] input) {
        FuzzBound.run(() -> checkUnmarshalsPublicKeyOrRejectsWithKeyFormatException(input));
    }

    private static void checkUnmarshalsPublicKeyOrRejectsWithKeyFormatException(byte[] input) {
        PublicKey key;
        try {
            key = Keys.unmarshalPublicKey(input);
        } catch (KeyFormatException expected) {
            return;
        }
        assertEquals(key, Keys.unmarshalPublicKey(key.marshal()));
        PeerId id = PeerId.fromPublicKey(key);
        assertEquals(id, PeerId.fromBytes(id.toBytes()));
        // a signature check on garbage is false, never an exception
        key.verify(input, input);
    }

    @FuzzTest
    void unmarshalsPrivateKeyOrRejectsWithKeyFormatException(byte[] input) {
        FuzzBound.run(() -> checkUnmarshalsPrivateKeyOrRejectsWithKeyFormatException(input));
    }

    private static void checkUnmarshalsPrivateKeyOrRejectsWithKeyFormatException(byte[] input) {
        PrivateKey key;
        try {
            key = Keys.unmarshalPrivateKey(input);
        } catch (KeyFormatException expected) {
            return;
        }
        assertEquals(key.publicKey(), Keys.unmarshalPrivateKey(key.marshal()).publicKey());
    }

    @FuzzTest
    void decodesPeerIdBytesOrRejectsWithKeyFormatException(byte[] input) {
        FuzzBound.run(() -> checkDecodesPeerIdBytesOrRejectsWithKeyFormatException(input));
    }

    private static void checkDecodesPeerIdBytesOrRejectsWithKeyFormatException(byte[] input) {
        PeerId id;
        try {
            id = PeerId.fromBytes(input);
        } catch (KeyFormatException expected) {
            return;
        }
        assertArrayEquals(input, id.toBytes());
        assertEquals(id, PeerId.fromString(id.toBase58()));
        assertEquals(id, PeerId.fromString(id.toCidString()));
    }

    @FuzzTest
    void parsesPeerIdTextOrRejectsWithKeyFormatException(byte[] input) {
        FuzzBound.run(() -> checkParsesPeerIdTextOrRejectsWithKeyFormatException(input));
    }

    private static void checkParsesPeerIdTextOrRejectsWithKeyFormatException(byte[] input) {
        PeerId id;
        try {
            id = PeerId.fromString(new String(input, StandardCharsets.UTF_8));
        } catch (KeyFormatException expected) {
            return;
        }
        assertEquals(id, PeerId.fromBytes(id.toBytes()));
    }
}
