package io.crossdial.bench;

import io.crossdial.core.crypto.CryptoProvider;
import io.crossdial.security.noise.NoiseTransportCipher;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The measurement behind {@link CryptoProvider}'s {@code auto} choice: crossdial's Noise transport cipher ({@code NoiseTransportCipher}, over {@code CipherState}) on one
 * 65519-byte Noise transport message with each ChaCha20-Poly1305 provider ({@code provider=jdk|conscrypt},
 * heap and direct buffers); {@link HandshakePrimitivesBench} has the handshake's other primitives.
 * Microseconds per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class CryptoProviderBench {
    static final int FRAME_PLAINTEXT = NoiseTransportCipher.MAX_PLAINTEXT_BYTES;

    /** The ChaCha20-Poly1305 provider. */
    @Param({"jdk", "conscrypt"})
    public String provider;

    /** Whether the frame buffers are direct (as Netty's socket reads are) or on the heap. */
    @Param({"direct", "heap"})
    public String buffers;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private NoiseTransportCipher send;
    private NoiseTransportCipher receive;
    private ByteBuf plain;
    private ByteBuf cipherOut;
    private final ByteBuf[] decryptIn = new ByteBuf[2];
    private ByteBuf plainOut;
    private int flip;

    /** Selects the provider and prepares keys and buffers. */
    @Setup
    public void setup() throws Exception {
        CryptoProvider.select(CryptoProvider.Choice.parse(provider));
        if (!CryptoProvider.active().equals(provider)) {
            throw new IllegalStateException("asked for " + provider + ", got " + CryptoProvider.describe());
        }
        boolean direct = "direct".equals(buffers);
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        send = new NoiseTransportCipher(key);
        receive = new NoiseTransportCipher(key);
        plain = buffer(direct, FRAME_PLAINTEXT).writeZero(FRAME_PLAINTEXT);
        cipherOut = buffer(direct, FRAME_PLAINTEXT + NoiseTransportCipher.TAG_BYTES);
        plainOut = buffer(direct, FRAME_PLAINTEXT + NoiseTransportCipher.TAG_BYTES);
        NoiseTransportCipher enc = new NoiseTransportCipher(key);
        for (int i = 0; i < 2; i++) {
            decryptIn[i] = buffer(direct, FRAME_PLAINTEXT + NoiseTransportCipher.TAG_BYTES);
            enc.encrypt(plain, 0, FRAME_PLAINTEXT, decryptIn[i]);
        }
        flip = 1;
    }

    private ByteBuf buffer(boolean direct, int capacity) {
        return direct ? alloc.directBuffer(capacity) : alloc.heapBuffer(capacity);
    }

    /** Releases the buffers and restores the process default. */
    @TearDown
    public void tearDown() {
        plain.release();
        cipherOut.release();
        plainOut.release();
        decryptIn[0].release();
        decryptIn[1].release();
        CryptoProvider.select(CryptoProvider.Choice.AUTO);
    }

    /** @return ciphertext bytes; CipherState encrypts one 65519-byte transport message */
    @Benchmark
    public int encrypt64k() {
        cipherOut.clear();
        send.encrypt(plain, 0, FRAME_PLAINTEXT, cipherOut);
        return cipherOut.writerIndex();
    }

    /** @return plaintext bytes; CipherState decrypts one 65535-byte transport message */
    @Benchmark
    public int decrypt64k() {
        plainOut.clear();
        flip ^= 1;
        receive.setNonce(flip);
        receive.decrypt(decryptIn[flip], plainOut);
        return plainOut.writerIndex();
    }
}
