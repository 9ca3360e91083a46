package io.crossdial.core.crypto;

import java.math.BigInteger;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;

/** The secp256k1 domain parameters, shared by the key classes. */
final class Secp256k1 {
    private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256k1");
    /** Curve, generator and order. */
    static final ECDomainParameters DOMAIN =
            new ECDomainParameters(CURVE.getCurve(), CURVE.getG(), CURVE.getN(), CURVE.getH());
    /** The group order n. */
    static final BigInteger N = CURVE.getN();
    /** n / 2, the largest low-S value. */
    static final BigInteger HALF_N = N.shiftRight(1);
    /** Private scalar length in bytes. */
    static final int PRIVATE_KEY_BYTES = 32;
    /** Compressed public key length in bytes (SEC 1 0x02/0x03 prefix + x). */
    static final int COMPRESSED_PUBLIC_KEY_BYTES = 33;
    /** Uncompressed public key length in bytes (SEC 1 0x04 prefix + x + y), accepted on input only. */
    static final int UNCOMPRESSED_PUBLIC_KEY_BYTES = 65;
    /** Longest DER ECDSA signature over this curve: 30 44 02 21 r(33) 02 21 s(33) = 72 bytes. */
    static final int MAX_SIGNATURE_BYTES = 72;

    private Secp256k1() {}
}
