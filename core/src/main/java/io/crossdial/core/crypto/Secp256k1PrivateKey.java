package io.crossdial.core.crypto;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.util.BigIntegers;

/**
 * A secp256k1 private key (peer-ids spec, "Secp256k1"): protobuf {@code Data} is the 32-byte big-endian
 * scalar d, 1 &lt;= d &lt; n. Signs ECDSA over SHA-256 of the message with a deterministic nonce (RFC 6979)
 * and writes DER; S is normalised to the low half (accepted by every verifier, required by none here).
 * Immutable and thread-safe.
 */
final class Secp256k1PrivateKey implements PrivateKey {
    private final BigInteger d;
    private final Secp256k1PublicKey publicKey;

    private Secp256k1PrivateKey(BigInteger d) {
        this.d = d;
        this.publicKey = new Secp256k1PublicKey(Secp256k1.DOMAIN.getG().multiply(d));
    }

    /**
     * @param random source of the scalar
     * @return a new key
     */
    static Secp256k1PrivateKey generate(SecureRandom random) {
        BigInteger d;
        do {
            d = BigIntegers.createRandomBigInteger(256, random);
        } while (d.signum() == 0 || d.compareTo(Secp256k1.N) >= 0);
        return new Secp256k1PrivateKey(d);
    }

    /**
     * @param data the 32-byte big-endian scalar
     * @return the key
     * @throws KeyFormatException on another length or a scalar outside [1, n-1]
     */
    static Secp256k1PrivateKey fromData(byte[] data) {
        if (data.length != Secp256k1.PRIVATE_KEY_BYTES) {
            throw new KeyFormatException("secp256k1 private key must be 32 bytes, got " + data.length);
        }
        BigInteger d = new BigInteger(1, data);
        if (d.signum() == 0 || d.compareTo(Secp256k1.N) >= 0) {
            throw new KeyFormatException("secp256k1 private key is outside [1, n-1]");
        }
        return new Secp256k1PrivateKey(d);
    }

    @Override
    public KeyType type() {
        return KeyType.SECP256K1;
    }

    @Override
    public byte[] raw() {
        return BigIntegers.asUnsignedByteArray(Secp256k1.PRIVATE_KEY_BYTES, d);
    }

    @Override
    public byte[] marshal() {
        return KeyEncoding.marshal(KeyType.SECP256K1, raw());
    }

    @Override
    public PublicKey publicKey() {
        return publicKey;
    }

    @Override
    public byte[] sign(byte[] data) {
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        signer.init(true, new ECPrivateKeyParameters(d, Secp256k1.DOMAIN));
        BigInteger[] rs = signer.generateSignature(KeyEncoding.sha256(data));
        BigInteger s = rs[1].compareTo(Secp256k1.HALF_N) > 0 ? Secp256k1.N.subtract(rs[1]) : rs[1];
        ASN1EncodableVector v = new ASN1EncodableVector(2);
        v.add(new ASN1Integer(rs[0]));
        v.add(new ASN1Integer(s));
        try {
            return new DERSequence(v).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen: in-memory encoding
        }
    }

    @Override
    public String toString() {
        return "Secp256k1PrivateKey[" + PeerId.fromPublicKey(publicKey) + "]";
    }
}
