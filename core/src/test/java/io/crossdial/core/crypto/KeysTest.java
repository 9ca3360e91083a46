package io.crossdial.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.crossdial.core.crypto.pb.CryptoProtos;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;
import org.junit.jupiter.api.Test;

/** Key encodings and signatures, against the peer-ids spec's test vectors and RFC 8032. */
class KeysTest {
    private static final HexFormat HEX = HexFormat.of();

    // libp2p/specs peer-ids/peer-ids.md, "Test vectors"
    static final String ED25519_PRIVATE = "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d"
            + "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
    static final String ED25519_PUBLIC = "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
    static final String SECP256K1_PRIVATE = "0802122053dadf1d5a164d6b4acdb15e24aa4c5b1d3461bdbd42abedb0a4404d56ced8fb";
    static final String SECP256K1_PUBLIC = "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99";
    static final String ECDSA_PUBLIC = "0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004de3d300fa36ae0e8"
            + "f5d530899d83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec034e9f77c409e62";

    @Test
    void derivesSpecEd25519PublicKeyFromSpecPrivateKey() {
        PrivateKey key = Keys.unmarshalPrivateKey(HEX.parseHex(ED25519_PRIVATE));
        assertEquals(KeyType.ED25519, key.type());
        assertEquals(ED25519_PUBLIC, HEX.formatHex(key.publicKey().marshal()));
        assertEquals(ED25519_PRIVATE, HEX.formatHex(key.marshal()));
        assertEquals(64, key.raw().length);
    }

    @Test
    void derivesSpecSecp256k1PublicKeyFromSpecPrivateKey() {
        PrivateKey key = Keys.unmarshalPrivateKey(HEX.parseHex(SECP256K1_PRIVATE));
        assertEquals(KeyType.SECP256K1, key.type());
        assertEquals(SECP256K1_PUBLIC, HEX.formatHex(key.publicKey().marshal()));
        assertEquals(SECP256K1_PRIVATE, HEX.formatHex(key.marshal()));
    }

    @Test
    void roundTripsSpecPublicKeysByteForByte() {
        for (String hex : new String[] {ED25519_PUBLIC, SECP256K1_PUBLIC}) {
            PublicKey key = Keys.unmarshalPublicKey(HEX.parseHex(hex));
            assertEquals(hex, HEX.formatHex(key.marshal()));
            assertEquals(key, Keys.unmarshalPublicKey(key.marshal()));
            assertEquals(key.hashCode(), Keys.unmarshalPublicKey(key.marshal()).hashCode());
        }
    }

    @Test
    void marshalIsTheDeterministicProtobufEncoding() {
        PrivateKey ed = Keys.generateEd25519();
        byte[] pub = ed.publicKey().marshal();
        assertEquals("08011220", HEX.formatHex(pub, 0, 4));
        assertEquals(36, pub.length);
        byte[] viaProtobuf = CryptoProtos.PublicKey.newBuilder()
                .setType(CryptoProtos.KeyType.Ed25519)
                .setData(ByteString.copyFrom(ed.publicKey().raw()))
                .build()
                .toByteArray();
        assertArrayEquals(viaProtobuf, pub);
        assertEquals("08011240", HEX.formatHex(ed.marshal(), 0, 4));

        PrivateKey k1 = Keys.generateSecp256k1();
        assertEquals("08021221", HEX.formatHex(k1.publicKey().marshal(), 0, 4));
        assertEquals("08021220", HEX.formatHex(k1.marshal(), 0, 4));
    }

    @Test
    void pinsKeyTypeNumbers() {
        assertEquals(0, KeyType.RSA.number());
        assertEquals(1, KeyType.ED25519.number());
        assertEquals(2, KeyType.SECP256K1.number());
        assertEquals(3, KeyType.ECDSA.number());
        for (KeyType t : KeyType.values()) {
            assertEquals(CryptoProtos.KeyType.forNumber(t.number()).getNumber(), t.number());
        }
    }

    @Test
    void signsRfc8032TestOneUnderTheLibp2pEnvelope() {
        // RFC 8032 section 7.1, TEST 1: empty message
        byte[] seed = HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        PrivateKey key = Keys.unmarshalPrivateKey(privateEnvelope(1, seed));
        assertEquals("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                HEX.formatHex(key.publicKey().raw()));
        byte[] sig = key.sign(new byte[0]);
        assertEquals("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
                + "d25bf5f0595bbe24655141438e7a100b", HEX.formatHex(sig));
        assertTrue(key.publicKey().verify(new byte[0], sig));
    }

    @Test
    void acceptsEd25519SeedOnlyAndWritesSixtyFourBytes() {
        byte[] full = HEX.parseHex(ED25519_PRIVATE);
        byte[] seed = Arrays.copyOfRange(full, 4, 36);
        PrivateKey key = Keys.unmarshalPrivateKey(privateEnvelope(1, seed));
        assertEquals(ED25519_PRIVATE, HEX.formatHex(key.marshal()));
    }

    @Test
    void acceptsLegacyNinetySixByteEd25519PrivateKey() {
        byte[] data = Arrays.copyOfRange(HEX.parseHex(ED25519_PRIVATE), 4, 68);
        byte[] legacy = Arrays.copyOf(data, 96);
        System.arraycopy(data, 32, legacy, 64, 32);
        PrivateKey key = Keys.unmarshalPrivateKey(privateEnvelope(1, legacy));
        assertEquals(ED25519_PRIVATE, HEX.formatHex(key.marshal()));
        legacy[95] ^= 1;
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPrivateKey(privateEnvelope(1, legacy)));
    }

    @Test
    void rejectsEd25519PrivateKeyWhosePublicHalfDoesNotMatchTheSeed() {
        byte[] bad = HEX.parseHex(ED25519_PRIVATE);
        bad[bad.length - 1] ^= 1;
        KeyFormatException e = assertThrows(KeyFormatException.class, () -> Keys.unmarshalPrivateKey(bad));
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    }

    @Test
    void signsAndVerifiesWithBothKeyTypes() {
        byte[] msg = "noise-libp2p-static-key:".getBytes(StandardCharsets.US_ASCII);
        for (PrivateKey key : new PrivateKey[] {Keys.generateEd25519(), Keys.generateSecp256k1(),
                Keys.generate(KeyType.ED25519), Keys.generate(KeyType.SECP256K1)}) {
            byte[] sig = key.sign(msg);
            assertTrue(key.publicKey().verify(msg, sig), key.type().toString());
            PublicKey decoded = Keys.unmarshalPublicKey(key.publicKey().marshal());
            assertTrue(decoded.verify(msg, sig));
            PrivateKey reloaded = Keys.unmarshalPrivateKey(key.marshal());
            assertArrayEquals(key.raw(), reloaded.raw());
            assertTrue(key.publicKey().verify(msg, reloaded.sign(msg)));

            byte[] other = msg.clone();
            other[0] ^= 1;
            assertFalse(key.publicKey().verify(other, sig));
            byte[] tampered = sig.clone();
            tampered[tampered.length - 1] ^= 1;
            assertFalse(key.publicKey().verify(msg, tampered));
            assertFalse(key.publicKey().verify(msg, new byte[0]));
            assertFalse(key.publicKey().verify(msg, new byte[200]));
            assertFalse(Keys.generate(key.type()).publicKey().verify(msg, sig));
        }
    }

    @Test
    void secp256k1SignaturesAreDeterministicLowSDer() {
        PrivateKey key = Keys.unmarshalPrivateKey(HEX.parseHex(SECP256K1_PRIVATE));
        byte[] msg = "hello".getBytes(StandardCharsets.US_ASCII);
        byte[] sig = key.sign(msg);
        assertArrayEquals(sig, key.sign(msg));
        assertEquals(0x30, sig[0] & 0xFF);
        assertEquals(sig.length - 2, sig[1] & 0xFF);
        ASN1Sequence seq = ASN1Sequence.getInstance(sig);
        BigInteger s = ASN1Integer.getInstance(seq.getObjectAt(1)).getValue();
        assertTrue(s.compareTo(Secp256k1.HALF_N) <= 0);
    }

    @Test
    void secp256k1VerifiesHighSButNotBerOrJunk() throws Exception {
        PrivateKey key = Keys.generateSecp256k1();
        byte[] msg = "msg".getBytes(StandardCharsets.US_ASCII);
        byte[] sig = key.sign(msg);
        ASN1Sequence seq = ASN1Sequence.getInstance(sig);
        BigInteger r = ASN1Integer.getInstance(seq.getObjectAt(0)).getValue();
        BigInteger s = ASN1Integer.getInstance(seq.getObjectAt(1)).getValue();
        byte[] highS = new DERSequence(new ASN1Integer[] {new ASN1Integer(r), new ASN1Integer(Secp256k1.N.subtract(s))})
                .getEncoded();
        assertTrue(key.publicKey().verify(msg, highS));

        byte[] trailing = Arrays.copyOf(sig, sig.length + 1);
        assertFalse(key.publicKey().verify(msg, trailing));
        byte[] ber = new byte[sig.length + 1]; // long-form length 0x81 where short form is required
        ber[0] = 0x30;
        ber[1] = (byte) 0x81;
        ber[2] = sig[1];
        System.arraycopy(sig, 2, ber, 3, sig.length - 2);
        assertFalse(key.publicKey().verify(msg, ber));
        byte[] zeroR = new DERSequence(new ASN1Integer[] {new ASN1Integer(0), new ASN1Integer(s)}).getEncoded();
        assertFalse(key.publicKey().verify(msg, zeroR));
        assertFalse(key.publicKey().verify(msg, HEX.parseHex("3006020101020101")));
        assertFalse(key.publicKey().verify(msg, HEX.parseHex("ffffffff")));
    }

    @Test
    void acceptsUncompressedSecp256k1PublicKeyAndWritesItCompressed() {
        PrivateKey key = Keys.unmarshalPrivateKey(HEX.parseHex(SECP256K1_PRIVATE));
        byte[] uncompressed = Secp256k1.DOMAIN.getCurve().decodePoint(key.publicKey().raw()).getEncoded(false);
        assertEquals(65, uncompressed.length);
        PublicKey decoded = Keys.unmarshalPublicKey(publicEnvelope(2, uncompressed));
        assertEquals(SECP256K1_PUBLIC, HEX.formatHex(decoded.marshal()));
    }

    @Test
    void rejectsUnknownKeyType() {
        byte[] data = new byte[32];
        KeyFormatException e = assertThrows(KeyFormatException.class,
                () -> Keys.unmarshalPublicKey(publicEnvelope(7, data)));
        assertTrue(e.getMessage().contains("unknown key type 7"), e.getMessage());
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPrivateKey(privateEnvelope(9, data)));
    }

    @Test
    void rejectsUnsupportedRsaAndEcdsaKeys() {
        KeyFormatException e = assertThrows(KeyFormatException.class,
                () -> Keys.unmarshalPublicKey(HEX.parseHex(ECDSA_PUBLIC)));
        assertTrue(e.getMessage().contains("unsupported key type ECDSA"), e.getMessage());
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPublicKey(publicEnvelope(0, new byte[300])));
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPrivateKey(privateEnvelope(3, new byte[100])));
        assertThrows(KeyFormatException.class, () -> Keys.generate(KeyType.RSA));
        assertThrows(KeyFormatException.class, () -> Keys.generate(KeyType.ECDSA));
    }

    @Test
    void rejectsWrongKeyLengths() {
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPublicKey(publicEnvelope(1, new byte[31])));
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPublicKey(publicEnvelope(1, new byte[33])));
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPublicKey(publicEnvelope(2, new byte[32])));
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPrivateKey(privateEnvelope(1, new byte[63])));
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPrivateKey(privateEnvelope(2, new byte[31])));
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPrivateKey(privateEnvelope(2, new byte[33])));
    }

    @Test
    void rejectsInvalidSecp256k1Values() {
        byte[] notOnCurve = new byte[33];
        Arrays.fill(notOnCurve, (byte) 0xff); // x >= p
        notOnCurve[0] = 0x02;
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPublicKey(publicEnvelope(2, notOnCurve)));
        byte[] badPrefix = HEX.parseHex(SECP256K1_PUBLIC.substring(8));
        badPrefix[0] = 0x05;
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPublicKey(publicEnvelope(2, badPrefix)));
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPrivateKey(privateEnvelope(2, new byte[32])));
        byte[] n = org.bouncycastle.util.BigIntegers.asUnsignedByteArray(32, Secp256k1.N);
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPrivateKey(privateEnvelope(2, n)));
    }

    @Test
    void rejectsMalformedEnvelopes() {
        byte[] spec = HEX.parseHex(ED25519_PUBLIC);
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPublicKey(Arrays.copyOf(spec, 20)));
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPublicKey(HEX.parseHex("0801")));
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPublicKey(Arrays.copyOfRange(spec, 2, 36)));
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPublicKey(new byte[0]));
        assertThrows(KeyFormatException.class, () -> Keys.unmarshalPublicKey(null));
        assertThrows(KeyFormatException.class,
                () -> Keys.unmarshalPublicKey(new byte[Keys.MAX_ENCODED_KEY_BYTES + 1]));
        assertThrows(KeyFormatException.class,
                () -> Keys.unmarshalPrivateKey(new byte[Keys.MAX_ENCODED_KEY_BYTES + 1]));
    }

    @Test
    void distinctKeysAreNotEqual() {
        assertNotEquals(Keys.generateEd25519().publicKey(), Keys.generateEd25519().publicKey());
        assertNotEquals(Keys.unmarshalPublicKey(HEX.parseHex(ED25519_PUBLIC)),
                Keys.unmarshalPublicKey(HEX.parseHex(SECP256K1_PUBLIC)));
    }

    @Property(tries = 200)
    void randomBytesOnlyEverFailWithKeyFormatException(@ForAll byte[] bytes) {
        try {
            Keys.unmarshalPublicKey(bytes);
        } catch (KeyFormatException expected) {
            // the only allowed failure
        }
        try {
            Keys.unmarshalPrivateKey(bytes);
        } catch (KeyFormatException expected) {
            // the only allowed failure
        }
    }

    @Property(tries = 50)
    void ed25519SignaturesVerifyForAnyMessage(@ForAll byte[] msg) {
        PrivateKey key = Keys.generateEd25519();
        assertTrue(key.publicKey().verify(msg, key.sign(msg)));
    }

    @Property(tries = 30)
    void secp256k1SignaturesVerifyForAnyMessage(@ForAll byte[] msg) {
        PrivateKey key = Keys.generateSecp256k1();
        assertTrue(key.publicKey().verify(msg, key.sign(msg)));
    }

    static byte[] publicEnvelope(int type, byte[] data) {
        return envelope(type, data);
    }

    static byte[] privateEnvelope(int type, byte[] data) {
        return envelope(type, data);
    }

    private static byte[] envelope(int type, byte[] data) {
        byte[] len = io.crossdial.core.varint.UnsignedVarint.encode(data.length);
        byte[] out = new byte[3 + len.length + data.length];
        out[0] = 0x08;
        out[1] = (byte) type;
        out[2] = 0x12;
        System.arraycopy(len, 0, out, 3, len.length);
        System.arraycopy(data, 0, out, 3 + len.length, data.length);
        return out;
    }
}
