package io.crossdial.security.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import io.crossdial.core.crypto.CryptoProvider;
import io.crossdial.core.crypto.CryptoProvider.Choice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Every case with each ChaCha20-Poly1305 provider ({@link CryptoProvider}): the JDK's and Conscrypt's. */
class CipherStateTest {
    @AfterAll
    static void restoreDefaultProvider() {
        CryptoProvider.select(Choice.AUTO);
    }

    @Nested
    class WithJdk extends Cases {
        WithJdk() {
            super(Choice.JDK);
        }
    }

    @Nested
    class WithConscrypt extends Cases {
        WithConscrypt() {
            super(Choice.CONSCRYPT);
        }
    }

    /** Noise transport nonce 1 after nonce 0 on one state, the other provider's state decrypting: same bytes. */
    @Test
    void jdkAndConscryptProduceTheSameCiphertextAndReadEachOther() {
        byte[] plain = new byte[70_000 - 17];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = (byte) (i * 31);
        }
        CryptoProvider.select(Choice.JDK);
        CipherState jdk = new CipherState();
        jdk.initializeKey(new byte[32]);
        byte[] byJdk = jdk.encryptWithAd(new byte[] {1, 2}, plain);
        CryptoProvider.select(Choice.CONSCRYPT);
        assertEquals("conscrypt", CryptoProvider.active());
        CipherState conscrypt = new CipherState();
        conscrypt.initializeKey(new byte[32]);
        assertArrayEquals(byJdk, conscrypt.encryptWithAd(new byte[] {1, 2}, plain));
        CipherState reader = new CipherState();
        reader.initializeKey(new byte[32]);
        assertArrayEquals(plain, reader.decryptWithAd(new byte[] {1, 2}, byJdk));
    }

    abstract static class Cases {
        private final Choice provider;

        Cases(Choice provider) {
            this.provider = provider;
        }

        @BeforeEach
        void useProvider() {
            CryptoProvider.select(provider);
            assertEquals(provider.cliName(), CryptoProvider.active(), CryptoProvider::describe);
        }

        private static final HexFormat HEX = HexFormat.of();
        private static final byte[] KEY =
                HEX.parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        private static final byte[] NO_AD = new byte[0];

        @Test
        void pinsConstants() {
            assertEquals(16, CipherState.TAG_BYTES);
            assertEquals(32, CipherState.KEY_BYTES);
            assertEquals(12, CipherState.NONCE_BYTES);
            assertEquals(0xFFFFFFFFFFFFFFFFL, CipherState.MAX_NONCE);
        }

        @Test
        void nonceIsFourZeroBytesThenLittleEndianCounter() {
            assertEquals("000000000000000000000000", HEX.formatHex(CipherState.nonceBytes(0)));
            assertEquals("000000000100000000000000", HEX.formatHex(CipherState.nonceBytes(1)));
            assertEquals("000000000001000000000000", HEX.formatHex(CipherState.nonceBytes(256)));
            assertEquals("000000000807060504030201", HEX.formatHex(CipherState.nonceBytes(0x0102030405060708L)));
            assertEquals("00000000feffffffffffffff", HEX.formatHex(CipherState.nonceBytes(0xFFFFFFFFFFFFFFFEL)));
        }

        @Test
        void encryptsWithTheNonceLayoutOfTheSpec() throws Exception {
            CipherState state = new CipherState();
            state.initializeKey(KEY);
            state.setNonce(0x0102030405060708L);
            byte[] ad = "ad".getBytes();
            byte[] plaintext = "hello noise".getBytes();
            byte[] ciphertext = state.encryptWithAd(ad, plaintext);

            Cipher reference = Cipher.getInstance("ChaCha20-Poly1305");
            reference.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KEY, "ChaCha20"),
                    new IvParameterSpec(HEX.parseHex("000000000807060504030201")));
            reference.updateAAD(ad);
            assertArrayEquals(reference.doFinal(plaintext), ciphertext);
            assertEquals(plaintext.length + 16, ciphertext.length);
            assertEquals(0x0102030405060709L, state.nonce());
        }

        @Test
        void withoutKeyEncryptionIsTheIdentity() {
            CipherState state = new CipherState();
            assertFalse(state.hasKey());
            byte[] data = {1, 2, 3};
            assertArrayEquals(data, state.encryptWithAd(NO_AD, data));
            assertArrayEquals(data, state.decryptWithAd(NO_AD, data));
            assertEquals(0, state.nonce());
        }

        @Test
        void eachMessageAdvancesTheNonceAndDecryptsInOrder() {
            CipherState sender = keyed();
            CipherState receiver = keyed();
            byte[] first = sender.encryptWithAd(NO_AD, new byte[] {1});
            byte[] second = sender.encryptWithAd(NO_AD, new byte[] {2});
            assertEquals(2, sender.nonce());
            assertThrows(NoiseException.class, () -> receiver.decryptWithAd(NO_AD, second));
            assertEquals(0, receiver.nonce(), "failed decryption leaves the nonce alone");
            assertArrayEquals(new byte[] {1}, receiver.decryptWithAd(NO_AD, first));
            assertArrayEquals(new byte[] {2}, receiver.decryptWithAd(NO_AD, second));
        }

        @Test
        void rejectsTamperedCiphertext() {
            byte[] ciphertext = keyed().encryptWithAd(NO_AD, "payload".getBytes());
            ciphertext[3] ^= 1;
            NoiseException e = assertThrows(NoiseException.class, () -> keyed().decryptWithAd(NO_AD, ciphertext));
            assertEquals(NoiseException.Reason.DECRYPTION_FAILED, e.reason());
            assertTrue(e.getMessage().startsWith("noise: "));
        }

        @Test
        void rejectsCiphertextShorterThanTag() {
            assertThrows(NoiseException.class, () -> keyed().decryptWithAd(NO_AD, new byte[15]));
            ByteBuf in = Unpooled.wrappedBuffer(new byte[15]);
            ByteBuf out = Unpooled.buffer();
            try {
                assertThrows(NoiseException.class, () -> keyed().decrypt(in, out));
            } finally {
                in.release();
                out.release();
            }
        }

        @Test
        void refusesTheReservedNonce() {
            CipherState state = keyed();
            state.setNonce(0xFFFFFFFFFFFFFFFEL);
            byte[] last = state.encryptWithAd(NO_AD, new byte[] {7});
            assertEquals(CipherState.MAX_NONCE, state.nonce());
            NoiseException e = assertThrows(NoiseException.class, () -> state.encryptWithAd(NO_AD, new byte[] {8}));
            assertEquals(NoiseException.Reason.NONCE_EXHAUSTED, e.reason());
            assertTrue(e.getMessage().contains("nonce exhausted"));

            CipherState receiver = keyed();
            receiver.setNonce(0xFFFFFFFFFFFFFFFEL);
            assertArrayEquals(new byte[] {7}, receiver.decryptWithAd(NO_AD, last));
            assertThrows(NoiseException.class, () -> receiver.decryptWithAd(NO_AD, last));
        }

        @Test
        void byteBufPathMatchesByteArrayPathForHeapAndDirectBuffers() {
            byte[] plaintext = new byte[1000];
            for (int i = 0; i < plaintext.length; i++) {
                plaintext[i] = (byte) i;
            }
            byte[] expected = keyed().encryptWithAd(NO_AD, plaintext);
            for (boolean direct : new boolean[] {false, true}) {
                ByteBuf in = direct ? Unpooled.directBuffer() : Unpooled.buffer();
                ByteBuf out = direct ? Unpooled.directBuffer() : Unpooled.buffer();
                ByteBuf back = direct ? Unpooled.directBuffer() : Unpooled.buffer();
                try {
                    in.writeBytes(new byte[] {9, 9});
                    in.writeBytes(plaintext);
                    out.writeByte(0x55);
                    keyed().encrypt(in, 2, plaintext.length, out);
                    assertEquals(0, in.readerIndex());
                    assertEquals(0x55, out.readByte());
                    assertArrayEquals(expected, ByteBufUtil.getBytes(out));
                    keyed().decrypt(out, back);
                    assertArrayEquals(plaintext, ByteBufUtil.getBytes(back));
                } finally {
                    in.release();
                    out.release();
                    back.release();
                }
            }
        }

        @Test
        void byteBufPathMatchesByteArrayPathForMixedHeapDirectAndCompositeBuffers() {
            byte[] plaintext = new byte[3000];
            for (int i = 0; i < plaintext.length; i++) {
                plaintext[i] = (byte) (i * 7);
            }
            byte[] expected = keyed().encryptWithAd(NO_AD, plaintext);
            for (int mask = 0; mask < 8; mask++) {
                boolean directIn = (mask & 1) != 0;
                boolean directOut = (mask & 2) != 0;
                boolean directBack = (mask & 4) != 0;
                ByteBuf in = Unpooled.compositeBuffer()
                        .addComponent(true, (directIn ? Unpooled.directBuffer() : Unpooled.buffer())
                                .writeBytes(plaintext, 0, 1000))
                        .addComponent(true, Unpooled.directBuffer().writeBytes(plaintext, 1000, 2000));
                ByteBuf single = (directIn ? Unpooled.directBuffer() : Unpooled.buffer()).writeBytes(plaintext);
                ByteBuf out = directOut ? Unpooled.directBuffer() : Unpooled.buffer();
                ByteBuf outSingle = directOut ? Unpooled.directBuffer() : Unpooled.buffer();
                ByteBuf back = directBack ? Unpooled.directBuffer() : Unpooled.buffer();
                try {
                    keyed().encrypt(in, 0, plaintext.length, out);
                    keyed().encrypt(single, 0, plaintext.length, outSingle);
                    assertArrayEquals(expected, ByteBufUtil.getBytes(out), "mask " + mask);
                    assertArrayEquals(expected, ByteBufUtil.getBytes(outSingle), "mask " + mask);
                    keyed().decrypt(out, back);
                    assertEquals(0, out.readerIndex());
                    assertArrayEquals(plaintext, ByteBufUtil.getBytes(back), "mask " + mask);
                } finally {
                    in.release();
                    single.release();
                    out.release();
                    outSingle.release();
                    back.release();
                }
            }
        }

        @Test
        void failedAuthenticationLeavesTheHeapOrDirectOutputWriterIndexUnchanged() {
            byte[] ciphertext = keyed().encryptWithAd(NO_AD, new byte[100]);
            ciphertext[5] ^= 1;
            for (boolean direct : new boolean[] {false, true}) {
                ByteBuf in = Unpooled.directBuffer().writeBytes(ciphertext);
                ByteBuf out = (direct ? Unpooled.directBuffer() : Unpooled.buffer()).writeByte(1);
                try {
                    assertThrows(NoiseException.class, () -> keyed().decrypt(in, out));
                    assertEquals(1, out.writerIndex());
                } finally {
                    in.release();
                    out.release();
                }
            }
        }

        private static CipherState keyed() {
            CipherState state = new CipherState();
            state.initializeKey(KEY);
            return state;
        }
    }
}
