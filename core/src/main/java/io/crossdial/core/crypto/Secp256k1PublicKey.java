package io.crossdial.core.crypto;

import java.math.BigInteger;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A secp256k1 public key (peer-ids spec, "Secp256k1"): protobuf {@code Data} is the 33-byte SEC 1
 * compressed point. The 65-byte uncompressed form is accepted on input and re-encoded compressed.
 * Signatures are ECDSA over SHA-256 of the message, DER-encoded ({@code 30 len 02 len r 02 len s}); both
 * high and low S verify, non-DER (BER) encodings do not. Immutable and thread-safe.
 */
final class Secp256k1PublicKey implements PublicKey {
    private final ECPoint point;
    private final byte[] compressed;

    Secp256k1PublicKey(ECPoint point) {
        this.point = point.normalize();
        this.compressed = this.point.getEncoded(true);
    }

    /**
     * @param data 33-byte compressed or 65-byte uncompressed SEC 1 point
     * @return the key
     * @throws KeyFormatException on another length or a point not on the curve
     */
    static Secp256k1PublicKey fromData(byte[] data) {
        if (data.length != Secp256k1.COMPRESSED_PUBLIC_KEY_BYTES
                && data.length != Secp256k1.UNCOMPRESSED_PUBLIC_KEY_BYTES) {
            throw new KeyFormatException("secp256k1 public key must be 33 or 65 bytes, got " + data.length);
        }
        if ((data.length == Secp256k1.COMPRESSED_PUBLIC_KEY_BYTES && data[0] != 0x02 && data[0] != 0x03)
                || (data.length == Secp256k1.UNCOMPRESSED_PUBLIC_KEY_BYTES && data[0] != 0x04)) {
            throw new KeyFormatException("secp256k1 public key has an invalid prefix byte " + (data[0] & 0xFF));
        }
        ECPoint p;
        try {
            p = Secp256k1.DOMAIN.getCurve().decodePoint(data);
        } catch (RuntimeException e) {
            throw new KeyFormatException("secp256k1 public key is not a point on the curve", e);
        }
        if (p.isInfinity() || !p.isValid()) {
            throw new KeyFormatException("secp256k1 public key is not a valid curve point");
        }
        return new Secp256k1PublicKey(p);
    }

    @Override
    public KeyType type() {
        return KeyType.SECP256K1;
    }

    @Override
    public byte[] raw() {
        return compressed.clone();
    }

    @Override
    public byte[] marshal() {
        return KeyEncoding.marshal(KeyType.SECP256K1, compressed);
    }

    @Override
    public boolean verify(byte[] data, byte[] signature) {
        if (signature == null || signature.length > Secp256k1.MAX_SIGNATURE_BYTES) {
            return false;
        }
        BigInteger[] rs = parseDer(signature);
        if (rs == null) {
            return false;
        }
        ECDSASigner verifier = new ECDSASigner();
        verifier.init(false, new ECPublicKeyParameters(point, Secp256k1.DOMAIN));
        try {
            return verifier.verifySignature(KeyEncoding.sha256(data), rs[0], rs[1]);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** @return {r, s} when {@code der} is a strict DER SEQUENCE of two integers in [1, n-1], else null */
    private static BigInteger[] parseDer(byte[] der) {
        try {
            ASN1Primitive primitive = ASN1Primitive.fromByteArray(der);
            if (!(primitive instanceof ASN1Sequence seq) || seq.size() != 2
                    || !(seq.getObjectAt(0) instanceof ASN1Integer r)
                    || !(seq.getObjectAt(1) instanceof ASN1Integer s)) {
                return null;
            }
            if (!Arrays.equals(der, seq.getEncoded(ASN1Encoding.DER))) {
                return null; // BER, trailing bytes or non-minimal lengths
            }
            BigInteger rv = r.getValue();
            BigInteger sv = s.getValue();
            if (rv.signum() <= 0 || sv.signum() <= 0 || rv.compareTo(Secp256k1.N) >= 0
                    || sv.compareTo(Secp256k1.N) >= 0) {
                return null;
            }
            return new BigInteger[] {rv, sv};
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secp256k1PublicKey other && Arrays.equals(compressed, other.compressed);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(compressed);
    }

    @Override
    public String toString() {
        return "Secp256k1PublicKey[" + PeerId.fromPublicKey(this) + "]";
    }
}
