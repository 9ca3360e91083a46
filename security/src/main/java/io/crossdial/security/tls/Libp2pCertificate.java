package io.crossdial.security.tls;

import io.crossdial.core.CrossdialException;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.crypto.PublicKey;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Set;
import java.util.TreeSet;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The libp2p TLS certificate (libp2p/specs tls/tls.md, "Peer Authentication"): a self-signed X.509 v3
 * certificate whose key is unrelated to the host's identity key, carrying the libp2p Public Key Extension.
 *
 * <h2>The extension</h2>
 * <pre>
 *   OID 1.3.6.1.4.1.53594.1.1, critical, extnValue = DER of
 *   SignedKey ::= SEQUENCE {
 *     publicKey OCTET STRING,   -- protobuf PublicKey of the identity key: 08 &lt;type&gt; 12 &lt;len&gt; &lt;Data&gt;
 *     signature OCTET STRING    -- identity key's signature over "libp2p-tls-handshake:" || certificate SPKI (DER)
 *   }
 * </pre>
 *
 * <h2>Generation</h2>
 * {@link #generate} makes a fresh ECDSA P-256 key pair (JDK {@code EC} provider) and a certificate signed with
 * {@code SHA256withECDSA}, serial number and subject {@code SERIALNUMBER=<serial hex>} random, valid from one
 * hour before now (tolerating a peer whose clock is up to an hour behind) to {@value #VALIDITY_DAYS} days after.
 *
 * <h2>Verification</h2>
 * {@link #verify} enforces the spec's MUSTs in this order: exactly one certificate; valid now; no
 * {@code issuerUniqueID}/{@code subjectUniqueID}; no critical extension other than the libp2p one and the
 * structural ones listed in {@link #UNDERSTOOD_CRITICAL_EXTENSIONS}; the extension present; the self-signature
 * valid; {@code SignedKey} well-formed (DER, two OCTET STRINGs, nothing after); the identity key a supported
 * libp2p key ({@link Keys#unmarshalPublicKey}: Ed25519 or secp256k1, at most {@link Keys#MAX_ENCODED_KEY_BYTES}
 * bytes); the signature valid under that key. Sizes are bounded before this runs: the TLS stack (BouncyCastle
 * JSSE) refuses handshake messages over 32 KiB ({@code jdk.tls.maxHandshakeMessageSize}).
 *
 * <p>Stateless and thread-safe.
 */
final class Libp2pCertificate {
    /** The libp2p Public Key Extension's OID, allocated by IANA to libp2p. */
    static final String EXTENSION_OID = "1.3.6.1.4.1.53594.1.1";
    /** What the identity key signs, before the certificate's DER SubjectPublicKeyInfo. */
    static final byte[] SIGNATURE_PREFIX = "libp2p-tls-handshake:".getBytes(StandardCharsets.US_ASCII);
    /** Days a generated certificate stays valid after its creation. */
    static final int VALIDITY_DAYS = 365;
    /** Critical extensions accepted besides the libp2p one: key usage, basic constraints, extended key usage. */
    static final Set<String> UNDERSTOOD_CRITICAL_EXTENSIONS = Set.of(
            Extension.keyUsage.getId(), Extension.basicConstraints.getId(), Extension.extendedKeyUsage.getId());
    /** The certificate key's curve (JDK name). */
    static final String CURVE = "secp256r1";
    /** The certificate's self-signature algorithm (JCA name). */
    static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";

    private static final ASN1ObjectIdentifier EXTENSION = new ASN1ObjectIdentifier(EXTENSION_OID);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A generated certificate and its private key. */
    record Generated(X509Certificate certificate, java.security.PrivateKey privateKey) {}

    /** A verified remote certificate: the identity key it carries and the peer ID derived from it. */
    record Verified(PublicKey identityKey, PeerId peer) {}

    private Libp2pCertificate() {}

    /**
     * @param identity the host's identity key, which signs the certificate's public key into the extension
     * @param now the creation time
     * @return a fresh certificate and its ECDSA P-256 private key
     * @throws TlsSecurityException if the JDK cannot generate the key or sign the certificate
     */
    static Generated generate(PrivateKey identity, Instant now) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(CURVE), RANDOM);
            KeyPair pair = generator.generateKeyPair();
            byte[] spki = pair.getPublic().getEncoded();
            DERSequence signedKey = new DERSequence(new ASN1Encodable[] {
                new DEROctetString(identity.publicKey().marshal()),
                new DEROctetString(identity.sign(concat(SIGNATURE_PREFIX, spki)))
            });
            BigInteger serial = new BigInteger(63, RANDOM);
            X500Name name = new X500Name("SERIALNUMBER=" + serial.toString(16));
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial,
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(VALIDITY_DAYS))),
                    name, pair.getPublic());
            builder.addExtension(EXTENSION, true, signedKey);
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(pair.getPrivate())));
            return new Generated(certificate, pair.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new TlsSecurityException("tls: cannot generate the certificate: " + e, e);
        }
    }

    /**
     * @param chain the certificate chain the remote presented
     * @param now the time the certificate must be valid at
     * @return the identity key and peer ID the certificate authenticates
     * @throws TlsSecurityException naming the first rule the chain breaks (see the class description)
     */
    static Verified verify(X509Certificate[] chain, Date now) {
        if (chain == null || chain.length != 1) {
            throw new TlsSecurityException("tls: expected exactly one certificate, got "
                    + (chain == null ? 0 : chain.length));
        }
        X509Certificate certificate = chain[0];
        try {
            certificate.checkValidity(now);
        } catch (CertificateExpiredException e) {
            throw new TlsSecurityException("tls: certificate expired at " + certificate.getNotAfter().toInstant(), e);
        } catch (CertificateNotYetValidException e) {
            throw new TlsSecurityException("tls: certificate is not valid before "
                    + certificate.getNotBefore().toInstant(), e);
        }
        if (certificate.getIssuerUniqueID() != null || certificate.getSubjectUniqueID() != null) {
            throw new TlsSecurityException("tls: certificate carries the deprecated issuerUniqueID or subjectUniqueID");
        }
        Set<String> critical = certificate.getCriticalExtensionOIDs();
        if (critical != null) {
            Set<String> unknown = new TreeSet<>(critical);
            unknown.remove(EXTENSION_OID);
            unknown.removeAll(UNDERSTOOD_CRITICAL_EXTENSIONS);
            if (!unknown.isEmpty()) {
                throw new TlsSecurityException("tls: certificate has unknown critical extension(s) " + unknown);
            }
        }
        byte[] extension = certificate.getExtensionValue(EXTENSION_OID);
        if (extension == null) {
            throw new TlsSecurityException("tls: certificate carries no libp2p public key extension (" + EXTENSION_OID
                    + ")");
        }
        Certificate parsed;
        try {
            certificate.verify(certificate.getPublicKey());
            parsed = Certificate.getInstance(ASN1Primitive.fromByteArray(certificate.getEncoded()));
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            throw new TlsSecurityException("tls: certificate self-signature is invalid: " + e.getMessage(), e);
        }
        byte[][] signedKey = parseSignedKey(extension);
        PublicKey key;
        PeerId peer;
        try {
            key = Keys.unmarshalPublicKey(signedKey[0]);
            peer = PeerId.fromPublicKey(key);
        } catch (CrossdialException e) {
            throw new TlsSecurityException("tls: bad identity key in the libp2p extension: " + e.getMessage(), e);
        }
        byte[] spki;
        try {
            spki = parsed.getSubjectPublicKeyInfo().getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new TlsSecurityException("tls: cannot encode the certificate's SubjectPublicKeyInfo", e);
        }
        if (!key.verify(concat(SIGNATURE_PREFIX, spki), signedKey[1])) {
            throw new TlsSecurityException(
                    "tls: the libp2p extension's signature does not verify under the key of peer " + peer);
        }
        return new Verified(key, peer);
    }

    /**
     * @param extensionValue the JDK's {@code getExtensionValue} result: DER OCTET STRING wrapping extnValue
     * @return {publicKey, signature}
     */
    static byte[][] parseSignedKey(byte[] extensionValue) {
        try {
            byte[] value = ASN1OctetString.getInstance(ASN1Primitive.fromByteArray(extensionValue)).getOctets();
            ASN1Sequence sequence = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(value));
            if (sequence.size() != 2) {
                throw new IllegalArgumentException("SEQUENCE of " + sequence.size() + " elements, not 2");
            }
            return new byte[][] {
                ASN1OctetString.getInstance(sequence.getObjectAt(0)).getOctets(),
                ASN1OctetString.getInstance(sequence.getObjectAt(1)).getOctets()
            };
        } catch (IOException | RuntimeException e) {
            throw new TlsSecurityException("tls: malformed SignedKey in the libp2p extension: " + e.getMessage(), e);
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

}
