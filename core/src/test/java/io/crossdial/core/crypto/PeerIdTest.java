package io.crossdial.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Peer IDs, against the peer-ids spec's examples and go-multiaddr's CID test strings. */
class PeerIdTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void derivesIdentityPeerIdOfSpecEd25519Key() {
        PublicKey key = Keys.unmarshalPublicKey(HEX.parseHex(KeysTest.ED25519_PUBLIC));
        PeerId id = PeerId.fromPublicKey(key);
        assertEquals("0024" + KeysTest.ED25519_PUBLIC, HEX.formatHex(id.toBytes()));
        assertEquals("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq", id.toBase58());
        assertEquals(id.toBase58(), id.toString());
        assertEquals(key, id.extractPublicKey());
        assertTrue(id.matches(key));
        assertEquals(id, PeerId.fromString(id.toBase58()));
        assertEquals(id, PeerId.fromPublicKey(Keys.unmarshalPrivateKey(HEX.parseHex(KeysTest.ED25519_PRIVATE)).publicKey()));
    }

    @Test
    void derivesIdentityPeerIdOfSpecSecp256k1Key() {
        PublicKey key = Keys.unmarshalPublicKey(HEX.parseHex(KeysTest.SECP256K1_PUBLIC));
        PeerId id = PeerId.fromPublicKey(key);
        assertEquals("0025" + KeysTest.SECP256K1_PUBLIC, HEX.formatHex(id.toBytes()));
        assertEquals("16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY", id.toBase58());
        assertEquals(key, id.extractPublicKey());
    }

    @Test
    void roundTripsSpecEd25519PeerIdText() {
        String text = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
        PeerId id = PeerId.fromString(text);
        assertEquals(text, id.toBase58());
        assertEquals("00240801122", HEX.formatHex(id.toBytes()).substring(0, 11));
        PublicKey key = id.extractPublicKey();
        assertEquals(KeyType.ED25519, key.type());
        assertEquals(id, PeerId.fromPublicKey(key));
        assertEquals(id, PeerId.fromBytes(id.toBytes()));
        assertEquals(id.hashCode(), PeerId.fromBytes(id.toBytes()).hashCode());
    }

    @Test
    void parsesSpecCidFormOfSha256PeerId() {
        PeerId fromCid = PeerId.fromString("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe");
        PeerId fromBase58 = PeerId.fromString("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
        assertEquals(fromBase58, fromCid);
        assertEquals("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N", fromCid.toBase58());
        assertEquals("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", fromBase58.toCidString());
        assertNull(fromCid.extractPublicKey());
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
        // go-multiaddr multiaddr_test.go "good" p2p values: base32, base36 and base58 CIDs of the same peers
        "bafzaajaiaejcalj543iwv2d7pkjt7ykvefrkfu7qjfi6sduakhso4lay6abn2d5u, 12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV",
        "k51qzi5uqu5dhb6l8spkdx7yxafegfkee5by8h7lmjh2ehc2sgg34z7c15vzqs, 12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV",
        "bafzbeigvf25ytwc3akrijfecaotc74udrhcxzh2cx3we5qqnw5vgrei4bm, QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC",
        "k2k4r8oqamigqdo6o7hsbfwd45y70oyynp98usk7zmyfrzpqxh1pohl7, QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC",
    })
    void parsesCidFormsOfKnownPeers(String cid, String base58) {
        PeerId id = PeerId.fromString(cid);
        assertEquals(base58, id.toBase58());
        if (cid.startsWith("b")) {
            assertEquals(cid, id.toCidString());
        }
    }

    @Test
    void parsesBase58CidForm() {
        PeerId id = PeerId.fromString("12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV");
        byte[] cid = new byte[2 + id.toBytes().length];
        cid[0] = 0x01;
        cid[1] = 0x72;
        System.arraycopy(id.toBytes(), 0, cid, 2, id.toBytes().length);
        assertEquals(id, PeerId.fromString("z" + BaseN.BASE58_BTC.encode(cid, 100)));
    }

    @Test
    void hashesKeysLongerThanFortyTwoBytes() throws Exception {
        byte[] ecdsa = HEX.parseHex(KeysTest.ECDSA_PUBLIC);
        PublicKey big = new PublicKey() {
            @Override
            public KeyType type() {
                return KeyType.ECDSA;
            }

            @Override
            public byte[] raw() {
                return Arrays.copyOfRange(ecdsa, 4, ecdsa.length);
            }

            @Override
            public byte[] marshal() {
                return ecdsa.clone();
            }

            @Override
            public boolean verify(byte[] data, byte[] signature) {
                return false;
            }
        };
        PeerId id = PeerId.fromPublicKey(big);
        byte[] expected = new byte[34];
        expected[0] = 0x12;
        expected[1] = 0x20;
        System.arraycopy(MessageDigest.getInstance("SHA-256").digest(ecdsa), 0, expected, 2, 32);
        assertArrayEquals(expected, id.toBytes());
        assertTrue(id.toBase58().startsWith("Qm"));
        assertNull(id.extractPublicKey());
    }

    @Test
    void peerIdsOfGeneratedKeysRoundTrip() {
        for (PrivateKey key : new PrivateKey[] {Keys.generateEd25519(), Keys.generateSecp256k1()}) {
            PeerId id = PeerId.fromPublicKey(key.publicKey());
            assertEquals(id, PeerId.fromString(id.toBase58()));
            assertEquals(id, PeerId.fromString(id.toCidString()));
            assertEquals(key.publicKey(), id.extractPublicKey());
        }
        assertTrue(PeerId.fromPublicKey(Keys.generateEd25519().publicKey()).toBase58().startsWith("12D3KooW"));
        assertTrue(PeerId.fromPublicKey(Keys.generateSecp256k1().publicKey()).toBase58().startsWith("16Uiu2HA"));
        assertNotEquals(PeerId.fromPublicKey(Keys.generateEd25519().publicKey()),
                PeerId.fromPublicKey(Keys.generateEd25519().publicKey()));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5S0", // '0' is not base58
        "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5Sl", // 'l' is not base58
        "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA1", // trailing byte
        "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5S", // truncated
        "QmxoHT6iViN5xAjoz1VZ553cL31U9F94ht3QvWR1FrEbZY", // sha2-256 digest length is not 32 (go-multiaddr)
        "xafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", // unknown multibase prefix
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", // CID with the dag-pb codec
        "bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqx", // truncated CID
        "BAFZBEIE5745RPV2M6TJYUUGYWY4D5EWRQGQQHFNF445HE3OMZPJBX5XQXE", // upper-case base32 is multibase 'B'
        "bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqx1", // '1' is not base32
    })
    void rejectsMalformedPeerIdText(String text) {
        assertThrows(KeyFormatException.class, () -> PeerId.fromString(text));
    }

    @Test
    void rejectsOverlongText() {
        assertThrows(KeyFormatException.class, () -> PeerId.fromString("1".repeat(PeerId.MAX_TEXT_LENGTH + 1)));
        assertThrows(KeyFormatException.class, () -> PeerId.fromString(null));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "00", "0000", "1220", "13200000000000000000000000000000000000000000000000000000000000000000",
        "121f00000000000000000000000000000000000000000000000000000000000000",
        "002b" + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "0003010203ff", "8000",
    })
    void rejectsInvalidMultihashes(String hex) {
        assertThrows(KeyFormatException.class, () -> PeerId.fromBytes(HEX.parseHex(hex)));
    }

    @Test
    void rejectsCidOfWrongVersion() {
        byte[] mh = PeerId.fromString("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N").toBytes();
        byte[] cid = new byte[mh.length + 2];
        cid[0] = 0x02;
        cid[1] = 0x72;
        System.arraycopy(mh, 0, cid, 2, mh.length);
        assertThrows(KeyFormatException.class, () -> PeerId.fromString("b" + Base32.encode(cid)));
    }

    @Test
    void extractPublicKeyRejectsAnInlinedNonKey() {
        PeerId id = PeerId.fromBytes(HEX.parseHex("0003010203"));
        assertThrows(KeyFormatException.class, id::extractPublicKey);
    }

    @Test
    void toBytesReturnsACopy() {
        PeerId id = PeerId.fromString("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
        id.toBytes()[5] ^= 1;
        assertEquals("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N", id.toBase58());
    }

    @Property(tries = 500)
    void randomBytesOnlyEverFailWithKeyFormatException(@ForAll byte[] bytes) {
        try {
            PeerId id = PeerId.fromBytes(bytes);
            assertArrayEquals(bytes, id.toBytes());
            assertEquals(id, PeerId.fromString(id.toBase58()));
            assertEquals(id, PeerId.fromString(id.toCidString()));
        } catch (KeyFormatException expected) {
            // the only allowed failure
        }
    }

    @Property(tries = 500)
    void randomTextOnlyEverFailsWithKeyFormatException(@ForAll String text) {
        try {
            PeerId.fromString(text);
        } catch (KeyFormatException expected) {
            // the only allowed failure
        }
    }
}
