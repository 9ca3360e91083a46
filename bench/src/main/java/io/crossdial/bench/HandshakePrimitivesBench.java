package io.crossdial.bench;

import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The measurement behind {@link CryptoProvider}'s {@code auto} choice: crossdial's {@code CipherState} on one
 * 65519-byte Noise transport message with each ChaCha20-Poly1305 provider ({@code provider=jdk|conscrypt},
 * heap and direct buffers), and the handshake's other primitives where a provider offers them: SHA-256 and
 * HMAC-SHA256 of the sizes a Noise handshake hashes (JDK vs Conscrypt), X25519 agreement (BouncyCastle, what
 * Noise uses, vs the JDK's XDH; Conscrypt 2.5.2 has no X25519 through the JCA). Microseconds per operation.
 */
/**
 * The Noise handshake's primitives other than the AEAD, with each provider that offers them: SHA-256 and
 * HMAC-SHA256 of the sizes a Noise handshake hashes (JDK vs Conscrypt), and X25519 agreement (BouncyCastle,
 * what Noise uses, vs the JDK's XDH; Conscrypt 2.5.2 offers no X25519 through the JCA, so both {@code provider}
 * rows run the same X25519 code). Microseconds per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class HandshakePrimitivesBench {
    /** The SHA-256 / HMAC provider. */
    @Param({"jdk", "conscrypt"})
    public String provider;

    private MessageDigest sha256;
    private Mac hmac;
    private byte[] hashInput;
    private byte[] xPriv;
    private byte[] xPub;
    private KeyAgreement jdkXdh;
    private PrivateKey jdkPriv;
    private PublicKey jdkPub;

    /** Prepares the digests and keys. */
    @Setup
    public void setup() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Provider conscrypt = "conscrypt".equals(provider) ? org.conscrypt.Conscrypt.newProvider() : null;
        sha256 = conscrypt == null ? MessageDigest.getInstance("SHA-256") : MessageDigest.getInstance("SHA-256",
                conscrypt);
        hmac = conscrypt == null ? Mac.getInstance("HmacSHA256") : Mac.getInstance("HmacSHA256", conscrypt);
        hmac.init(new SecretKeySpec(key, "HmacSHA256"));
        hashInput = new byte[32 + 48];
        SecureRandom random = new SecureRandom();
        xPriv = new byte[X25519.SCALAR_SIZE];
        X25519.generatePrivateKey(random, xPriv);
        byte[] otherPriv = new byte[X25519.SCALAR_SIZE];
        X25519.generatePrivateKey(random, otherPriv);
        xPub = new byte[X25519.POINT_SIZE];
        X25519.generatePublicKey(otherPriv, 0, xPub, 0);
        KeyPairGenerator g = KeyPairGenerator.getInstance("X25519");
        jdkPriv = g.generateKeyPair().getPrivate();
        jdkPub = g.generateKeyPair().getPublic();
        jdkXdh = KeyAgreement.getInstance("X25519");
    }

    /** @return the digest; SHA-256 of 80 bytes ({@code MixHash} of h and a 48-byte message part) */
    @Benchmark
    public byte[] sha256MixHash() {
        sha256.update(hashInput);
        return sha256.digest();
    }

    /** @return the tag; HMAC-SHA256 of 33 bytes (one HKDF output block) */
    @Benchmark
    public byte[] hmacHkdfBlock() {
        hmac.update(hashInput, 0, 33);
        return hmac.doFinal();
    }

    /** @return the shared secret; BouncyCastle X25519 agreement (what Noise uses) */
    @Benchmark
    public byte[] x25519AgreementBouncyCastle() {
        byte[] out = new byte[32];
        X25519.calculateAgreement(xPriv, 0, xPub, 0, out, 0);
        return out;
    }

    /** @return the shared secret; the JDK's XDH X25519 agreement (SunEC) */
    @Benchmark
    public byte[] x25519AgreementJdk() throws Exception {
        jdkXdh.init(jdkPriv);
        jdkXdh.doPhase(jdkPub, true);
        return jdkXdh.generateSecret();
    }
}
