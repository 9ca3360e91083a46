package io.crossdial.core.crypto;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import io.crossdial.core.crypto.pb.CryptoProtos;
import java.security.SecureRandom;

/**
 * Generates, encodes and decodes libp2p keys (peer-ids spec, "Keys"). Ed25519 and secp256k1 are
 * implemented with BouncyCastle; RSA and ECDSA are recognised and rejected with {@link KeyFormatException}.
 *
 * <p>Encoding ({@link PublicKey#marshal()}, {@link PrivateKey#marshal()}) is the spec's deterministic
 * protobuf: {@code 08 <type> 12 <varint len> <Data>}. Decoding reads the protobuf with the generated
 * {@link CryptoProtos} classes after checking the input is at most {@link #MAX_ENCODED_KEY_BYTES} bytes;
 * both fields must be present, unknown extra fields are ignored. Stateless and thread-safe.
 */
public final class Keys {
    /** Upper bound on an encoded key accepted by the unmarshal methods: 8 KiB (an RSA-4096 private key is ~2.4 KiB). */
    public static final int MAX_ENCODED_KEY_BYTES = 8192;

    private static final SecureRandom RANDOM = new SecureRandom();

    private Keys() {}

    /** @return a new random Ed25519 private key */
    public static PrivateKey generateEd25519() {
        return Ed25519PrivateKey.generate(RANDOM);
    }

    /** @return a new random secp256k1 private key */
    public static PrivateKey generateSecp256k1() {
        return Secp256k1PrivateKey.generate(RANDOM);
    }

    /**
     * @param type the key type
     * @return a new random private key of that type
     * @throws KeyFormatException if the type is not supported
     */
    public static PrivateKey generate(KeyType type) {
        switch (type) {
            case ED25519:
                return generateEd25519();
            case SECP256K1:
                return generateSecp256k1();
            default:
                throw unsupported(type);
        }
    }

    /**
     * @param encoded a protobuf {@code PublicKey}; Ed25519 Data is 32 bytes, secp256k1 Data 33 (or 65,
     *     re-encoded as 33)
     * @return the key
     * @throws KeyFormatException if the bytes are longer than {@link #MAX_ENCODED_KEY_BYTES}, not a valid
     *     protobuf, name an unknown or unsupported type, or carry invalid key Data
     */
    public static PublicKey unmarshalPublicKey(byte[] encoded) {
        checkLength(encoded, "public");
        CryptoProtos.PublicKey pb;
        try {
            pb = CryptoProtos.PublicKey.parser().parsePartialFrom(encoded);
        } catch (InvalidProtocolBufferException e) {
            throw new KeyFormatException("malformed protobuf PublicKey: " + e.getMessage(), e);
        }
        KeyType type = keyType(pb.hasType(), pb.hasType() ? pb.getType().getNumber() : -1, pb.getUnknownFields(),
                pb.hasData(), "PublicKey");
        byte[] data = pb.getData().toByteArray();
        switch (type) {
            case ED25519:
                return new Ed25519PublicKey(data);
            case SECP256K1:
                return Secp256k1PublicKey.fromData(data);
            default:
                throw unsupported(type);
        }
    }

    /**
     * @param encoded a protobuf {@code PrivateKey}; Ed25519 Data is 64 bytes ({@code seed || public}, the
     *     public half must match), a 32-byte seed or the legacy 96 bytes; secp256k1 Data is a 32-byte scalar
     * @return the key
     * @throws KeyFormatException if the bytes are longer than {@link #MAX_ENCODED_KEY_BYTES}, not a valid
     *     protobuf, name an unknown or unsupported type, or carry invalid key Data
     */
    public static PrivateKey unmarshalPrivateKey(byte[] encoded) {
        checkLength(encoded, "private");
        CryptoProtos.PrivateKey pb;
        try {
            pb = CryptoProtos.PrivateKey.parser().parsePartialFrom(encoded);
        } catch (InvalidProtocolBufferException e) {
            throw new KeyFormatException("malformed protobuf PrivateKey: " + e.getMessage(), e);
        }
        KeyType type = keyType(pb.hasType(), pb.hasType() ? pb.getType().getNumber() : -1, pb.getUnknownFields(),
                pb.hasData(), "PrivateKey");
        byte[] data = pb.getData().toByteArray();
        switch (type) {
            case ED25519:
                return Ed25519PrivateKey.fromData(data);
            case SECP256K1:
                return Secp256k1PrivateKey.fromData(data);
            default:
                throw unsupported(type);
        }
    }

    private static void checkLength(byte[] encoded, String kind) {
        if (encoded == null) {
            throw new KeyFormatException("no encoded " + kind + " key");
        }
        if (encoded.length > MAX_ENCODED_KEY_BYTES) {
            throw new KeyFormatException("encoded " + kind + " key of " + encoded.length + " bytes exceeds the limit "
                    + MAX_ENCODED_KEY_BYTES);
        }
    }

    private static KeyType keyType(boolean hasType, int number, UnknownFieldSet unknown, boolean hasData,
            String message) {
        if (!hasType) {
            // proto2 keeps an out-of-range enum number as an unknown field 1
            UnknownFieldSet.Field f = unknown.getField(1);
            if (f != null && !f.getVarintList().isEmpty()) {
                throw new KeyFormatException("unknown key type " + f.getVarintList().get(f.getVarintList().size() - 1)
                        + " in " + message);
            }
            throw new KeyFormatException(message + " has no Type field");
        }
        if (!hasData) {
            throw new KeyFormatException(message + " has no Data field");
        }
        for (KeyType t : KeyType.values()) {
            if (t.number() == number) {
                return t;
            }
        }
        throw new KeyFormatException("unknown key type " + number + " in " + message);
    }

    private static KeyFormatException unsupported(KeyType type) {
        return new KeyFormatException("unsupported key type " + type + " (crossdial implements ED25519 and SECP256K1)");
    }
}
