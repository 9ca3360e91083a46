package io.crossdial.security.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.crossdial.core.FuzzBound;
import io.crossdial.core.crypto.PeerId;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Fuzzes the libp2p TLS certificate check ({@link Libp2pCertificate#verify}): a valid self-signed certificate
 * whose libp2p extension (the SignedKey) is the fuzzer's bytes, and arbitrary DER that the JDK parses as a
 * certificate. Each is accepted with the peer its key gives, or refused with a {@link TlsSecurityException};
 * nothing else. The certificate key is fixed, so the seed SignedKeys (signed over its SPKI by the
 * KeysTest identities) verify. Corpus: {@code Libp2pCertificateFuzzTestInputs/}.
 */
class Libp2pCertificateFuzzTest {
    /** A fixed P-256 key (PKCS#8 and SPKI), made with openssl for these tests only. */
    static final String CERT_KEY_PKCS8 = "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420"
            + "06ba45b2577c904bb0e286620df802c8318af17e096c5de28be427c777f08abea14403420004e771d5f661c54f40e171dcaf2c"
            + "eb429b1a1126e3dbd6035d7006cdb7a1dad4bacb710b8cf097ce14b51d62ce4e879433f8f59fffe388df30c16e9d6d6f553c9a";
    static final String CERT_KEY_SPKI = "3059301306072a8648ce3d020106082a8648ce3d03010703420004e771d5f661c54f40e171d"
            + "caf2ceb429b1a1126e3dbd6035d7006cdb7a1dad4bacb710b8cf097ce14b51d62ce4e879433f8f59fffe388df30c16e9d6d6f5"
            + "53c9a";
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final PrivateKey CERT_PRIVATE;
    private static final PublicKey CERT_PUBLIC;
    private static final ContentSigner SIGNER;

    static {
        try {
            KeyFactory ec = KeyFactory.getInstance("EC");
            CERT_PRIVATE = ec.generatePrivate(new PKCS8EncodedKeySpec(HexFormat.of().parseHex(CERT_KEY_PKCS8)));
            CERT_PUBLIC = ec.generatePublic(new X509EncodedKeySpec(HexFormat.of().parseHex(CERT_KEY_SPKI)));
            SIGNER = new JcaContentSignerBuilder("SHA256withECDSA").build(CERT_PRIVATE);
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @FuzzTest
    void verifiesArbitrarySignedKeyExtensionOrRejects(byte[] extensionValue) {
        FuzzBound.run(() -> {
            X509Certificate certificate = withExtension(extensionValue);
            if (certificate == null) {
                return;
            }
            try {
                Libp2pCertificate.Verified verified =
                        Libp2pCertificate.verify(new X509Certificate[] {certificate}, Date.from(NOW));
                assertEquals(PeerId.fromPublicKey(verified.identityKey()), verified.peer());
            } catch (TlsSecurityException expected) {
                // the documented refusal
            }
        });
    }

    @FuzzTest
    void verifiesArbitraryDerCertificateOrRejects(byte[] der) {
        FuzzBound.run(() -> {
            X509Certificate certificate;
            try {
                certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(der));
            } catch (CertificateException | RuntimeException notACertificate) {
                return; // the JDK's parser, not ours: the TLS engine refuses these before we see them
            }
            try {
                Libp2pCertificate.verify(new X509Certificate[] {certificate}, Date.from(NOW));
            } catch (TlsSecurityException expected) {
                // the documented refusal
            }
        });
    }

    /**
     * @return a self-signed certificate of the fixed key whose critical libp2p extension carries
     *     {@code value}, or null when the JDK will not parse it (so no TLS engine would hand it over)
     */
    static X509Certificate withExtension(byte[] value) {
        try {
            X500Name name = new X500Name("CN=fuzz");
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
                    Date.from(NOW.minusSeconds(3600)), Date.from(NOW.plusSeconds(3600)), name, CERT_PUBLIC);
            builder.addExtension(new ASN1ObjectIdentifier(Libp2pCertificate.EXTENSION_OID), true, value);
            return new JcaX509CertificateConverter().getCertificate(builder.build(SIGNER));
        } catch (CertificateException e) {
            return null;
        } catch (Exception e) {
            throw new AssertionError("building the test certificate failed", e);
        }
    }
}
