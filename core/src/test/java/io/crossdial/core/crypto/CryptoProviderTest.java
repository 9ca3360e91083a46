package io.crossdial.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.CryptoProvider.Choice;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class CryptoProviderTest {
    private static final java.util.HexFormat HEX = java.util.HexFormat.of();

    @AfterAll
    static void restoreDefault() {
        CryptoProvider.select(Choice.AUTO);
    }

    @Test
    void parsesTheThreeNamesInAnyCaseAndRejectsOthers() {
        assertEquals(Choice.AUTO, Choice.parse("auto"));
        assertEquals(Choice.JDK, Choice.parse("JDK"));
        assertEquals(Choice.CONSCRYPT, Choice.parse(" Conscrypt "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Choice.parse("boringssl"));
        assertTrue(e.getMessage().contains("auto, jdk or conscrypt"), e.getMessage());
    }

    /** RFC 8439 section 2.8.2: the AEAD test vector, through each provider's cipher. */
    @Test
    void eachProviderPassesTheRfc8439AeadVector() throws Exception {
        byte[] key = HEX.parseHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        byte[] nonce = HEX.parseHex("070000004041424344454647");
        byte[] aad = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
        byte[] plain = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future,"
                + " sunscreen would be it.").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] expected = HEX.parseHex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca967"
                + "1282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945"
                + "585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691");
        for (Choice c : new Choice[] {Choice.JDK, Choice.CONSCRYPT}) {
            CryptoProvider.select(c);
            assertEquals(c.cliName(), CryptoProvider.active());
            Cipher cipher = CryptoProvider.newChaCha20Poly1305();
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
            cipher.updateAAD(aad);
            assertArrayEquals(expected, cipher.doFinal(plain), c.toString());
        }
    }

    @Test
    void autoSettlesOnTheJdkWhereItsIntrinsicsAreOnElseOnConscrypt() {
        CryptoProvider.select(Choice.AUTO);
        String line = CryptoProvider.awaitSettled(10_000);
        String expected = CryptoProvider.jdkHasAeadIntrinsics() ? "jdk" : "conscrypt";
        assertEquals(expected, CryptoProvider.active(), line);
        assertTrue(line.startsWith(expected + " ") && line.contains("; auto: "), line);
    }

    @Test
    void everyChangeOfProviderChangesTheGeneration() {
        CryptoProvider.select(Choice.JDK);
        int jdk = CryptoProvider.generation();
        CryptoProvider.select(Choice.CONSCRYPT);
        assertNotEquals(jdk, CryptoProvider.generation());
        assertTrue(CryptoProvider.describe().startsWith("conscrypt 2.5.2 (BoringSSL, native)"),
                CryptoProvider.describe());
    }
}
