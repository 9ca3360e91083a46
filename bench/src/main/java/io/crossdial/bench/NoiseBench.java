package io.crossdial.bench;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecureSession;
import io.crossdial.core.spi.SecurityContext;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.security.noise.NoiseTransportCipher;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
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
 * Noise: transport encryption of 64 KiB frames (the largest Noise transport message, 65519 plaintext bytes)
 * through crossdial's transport cipher ({@link NoiseTransportCipher}, the record layer's {@code CipherState})
 * and through the whole {@code NoiseHandler} (framing included),
 * next to the JDK's raw ChaCha20-Poly1305 on the same sizes (the limit); and one full XX handshake in memory
 * (two {@code NoiseHandler}s in embedded channels, libp2p payloads, Ed25519 identities) next to the raw
 * X25519 and Ed25519 operations it needs (the limit: per side two X25519 key generations, three X25519
 * agreements, one Ed25519 signature and one verification). Times per operation, in microseconds.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class NoiseBench {
    /** The plaintext bytes of one transport message. */
    static final int FRAME_PLAINTEXT = NoiseTransportCipher.MAX_PLAINTEXT_BYTES;
    private static final int TAG_BYTES = NoiseTransportCipher.TAG_BYTES;

    /** Whether the frame buffers are direct (as Netty's socket reads are) or on the heap. */
    @Param({"direct", "heap"})
    public String buffers;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final SecureRandom random = new SecureRandom();
    private NoiseTransportCipher send;
    private NoiseTransportCipher receive;
    private ByteBuf plain;
    private ByteBuf cipherOut;
    /** Two transport messages encrypted with nonces 0 and 1: the JDK refuses re-initialisation with the previous nonce. */
    private final ByteBuf[] decryptIn = new ByteBuf[2];
    private int flip;
    private ByteBuf plainOut;

    private Cipher raw;
    private SecretKeySpec rawKey;
    private long rawNonce;
    private ByteBuffer rawIn;
    private ByteBuffer rawOut;
    private final ByteBuffer[] rawDecIn = new ByteBuffer[2];

    private PrivateKey identityA;
    private PrivateKey identityB;

    private EmbeddedChannel transportA;
    private EmbeddedChannel transportB;

    private byte[] xPriv;
    private byte[] xPub;
    private byte[] edSeed;
    private byte[] edPub;
    private byte[] edMsg;
    private byte[] edSig;

    /** Sets up keys, buffers and a pair of connected Noise handlers. */
    @Setup
    public void setup() throws Exception {
        boolean direct = "direct".equals(buffers);
        byte[] key = new byte[32];
        random.nextBytes(key);
        send = new NoiseTransportCipher(key);
        receive = new NoiseTransportCipher(key);
        plain = buffer(direct, FRAME_PLAINTEXT).writeZero(FRAME_PLAINTEXT);
        cipherOut = buffer(direct, FRAME_PLAINTEXT + TAG_BYTES);
        plainOut = buffer(direct, FRAME_PLAINTEXT);
        NoiseTransportCipher enc = new NoiseTransportCipher(key);
        for (int i = 0; i < 2; i++) {
            decryptIn[i] = buffer(direct, FRAME_PLAINTEXT + TAG_BYTES);
            enc.encrypt(plain, 0, FRAME_PLAINTEXT, decryptIn[i]);
        }

        raw = Cipher.getInstance("ChaCha20-Poly1305");
        rawKey = new SecretKeySpec(key, "ChaCha20");
        rawIn = direct ? ByteBuffer.allocateDirect(FRAME_PLAINTEXT) : ByteBuffer.allocate(FRAME_PLAINTEXT);
        rawOut = direct ? ByteBuffer.allocateDirect(FRAME_PLAINTEXT + 16) : ByteBuffer.allocate(FRAME_PLAINTEXT + 16);
        for (int i = 0; i < 2; i++) {
            raw.init(Cipher.ENCRYPT_MODE, rawKey, new IvParameterSpec(nonceBytes(i)));
            byte[] c = raw.doFinal(new byte[FRAME_PLAINTEXT]);
            rawDecIn[i] = direct ? ByteBuffer.allocateDirect(c.length) : ByteBuffer.allocate(c.length);
            rawDecIn[i].put(c).flip();
        }
        rawNonce = 1;
        flip = 1;

        identityA = Keys.generateEd25519();
        identityB = Keys.generateEd25519();
        EmbeddedChannel[] pair = handshake();
        transportA = pair[0];
        transportB = pair[1];

        xPriv = new byte[32];
        X25519.generatePrivateKey(random, xPriv);
        byte[] other = new byte[32];
        X25519.generatePrivateKey(random, other);
        xPub = new byte[32];
        X25519.generatePublicKey(other, 0, xPub, 0);
        edSeed = new byte[32];
        random.nextBytes(edSeed);
        edPub = new byte[32];
        Ed25519.generatePublicKey(edSeed, 0, edPub, 0);
        edMsg = new byte[24 + 32];
        edSig = new byte[64];
        Ed25519.sign(edSeed, 0, edPub, 0, edMsg, 0, edMsg.length, edSig, 0);
    }

    /** @return the 12-byte ChaCha20-Poly1305 nonce of Noise message {@code n}: 4 zero bytes, then n little-endian */
    static byte[] nonceBytes(long n) {
        byte[] iv = new byte[12];
        for (int i = 0; i < 8; i++) {
            iv[4 + i] = (byte) (n >>> (8 * i));
        }
        return iv;
    }

    private ByteBuf buffer(boolean direct, int capacity) {
        return direct ? alloc.directBuffer(capacity) : alloc.heapBuffer(capacity);
    }

    /** Releases the buffers and closes the channels. */
    @TearDown
    public void tearDown() {
        plain.release();
        cipherOut.release();
        plainOut.release();
        decryptIn[0].release();
        decryptIn[1].release();
        transportA.finishAndReleaseAll();
        transportB.finishAndReleaseAll();
    }

    // ---- transport messages -------------------------------------------------------------------------

    /** @return ciphertext bytes; crossdial's transport cipher encrypts one 65519-byte frame */
    @Benchmark
    public int cipherStateEncrypt64k() {
        cipherOut.clear();
        send.encrypt(plain, 0, FRAME_PLAINTEXT, cipherOut);
        return cipherOut.writerIndex();
    }

    /** @return plaintext bytes; crossdial's transport cipher decrypts one 65535-byte message (alternating two prepared messages) */
    @Benchmark
    public int cipherStateDecrypt64k() {
        plainOut.clear();
        flip ^= 1;
        receive.setNonce(flip);
        receive.decrypt(decryptIn[flip], plainOut);
        return plainOut.writerIndex();
    }

    /** @return ciphertext bytes; the JDK's ChaCha20-Poly1305 encrypts 65519 bytes with a fresh nonce (limit) */
    @Benchmark
    public int rawJdkEncrypt64k() throws Exception {
        raw.init(Cipher.ENCRYPT_MODE, rawKey, new IvParameterSpec(nonceBytes(++rawNonce)));
        rawIn.clear();
        rawOut.clear();
        return raw.doFinal(rawIn, rawOut);
    }

    /** @return plaintext bytes; the JDK's ChaCha20-Poly1305 decrypts one 65535-byte message (limit) */
    @Benchmark
    public int rawJdkDecrypt64k() throws Exception {
        flip ^= 1;
        raw.init(Cipher.DECRYPT_MODE, rawKey, new IvParameterSpec(nonceBytes(flip)));
        rawDecIn[flip].rewind();
        rawOut.clear();
        return raw.doFinal(rawDecIn[flip], rawOut);
    }

    /**
     * @return bytes delivered; writes 65519 bytes through one NoiseHandler, moves the frame to the peer's
     *     NoiseHandler, which decrypts and delivers it (encrypt + frame + decrypt, in one thread)
     */
    @Benchmark
    public int handlerRoundTrip64k() {
        ByteBuf msg = alloc.directBuffer(FRAME_PLAINTEXT).writerIndex(FRAME_PLAINTEXT);
        transportA.writeOutbound(msg);
        int n = 0;
        for (ByteBuf out; (out = transportA.readOutbound()) != null; ) {
            transportB.writeInbound(out);
        }
        for (ByteBuf in; (in = transportB.readInbound()) != null; ) {
            n += in.readableBytes();
            in.release();
        }
        return n;
    }

    /**
     * @return bytes delivered; the shape yamux gives a 64 KiB Data frame: a 12-byte header write, then a
     *     65536-byte payload write, which the NoiseHandler turns into three transport messages (12, 65519 and
     *     17 plaintext bytes) and the receiver delivers as three buffers
     */
    @Benchmark
    public int handlerYamuxShaped64k() {
        transportA.write(alloc.directBuffer(12).writerIndex(12));
        transportA.writeOutbound(alloc.directBuffer(65536).writerIndex(65536));
        int n = 0;
        for (ByteBuf out; (out = transportA.readOutbound()) != null; ) {
            transportB.writeInbound(out);
        }
        for (ByteBuf in; (in = transportB.readInbound()) != null; ) {
            n += in.readableBytes();
            in.release();
        }
        return n;
    }

    // ---- handshake -------------------------------------------------------------------------------------

    /**
     * @return whether both sides completed; one full Noise XX handshake with libp2p payloads, each side
     *     generating and signing a new static keypair (2 X25519 keygens, 3 agreements, 1 Ed25519 sign and
     *     1 verify per side)
     */
    @Benchmark
    public boolean handshakeXX() {
        EmbeddedChannel[] pair = handshake(NoiseSecurityTransport.withStaticKeyPerSession(),
                NoiseSecurityTransport.withStaticKeyPerSession());
        pair[0].finishAndReleaseAll();
        pair[1].finishAndReleaseAll();
        return pair[0].isOpen();
    }

    /**
     * @return whether both sides completed; the same handshake as crossdial's default transport does it, with
     *     each side's static keypair made and signed once (1 X25519 keygen, 3 agreements, 1 Ed25519 verify per
     *     side)
     */
    @Benchmark
    public boolean handshakeXXReusedStatic() {
        EmbeddedChannel[] pair = handshake(reusingA, reusingB);
        pair[0].finishAndReleaseAll();
        pair[1].finishAndReleaseAll();
        return pair[0].isOpen();
    }

    private final NoiseSecurityTransport reusingA = new NoiseSecurityTransport();
    private final NoiseSecurityTransport reusingB = new NoiseSecurityTransport();

    private EmbeddedChannel[] handshake() {
        return handshake(new NoiseSecurityTransport(), new NoiseSecurityTransport());
    }

    private EmbeddedChannel[] handshake(NoiseSecurityTransport ta, NoiseSecurityTransport tb) {
        SessionCatcher ca = new SessionCatcher();
        SessionCatcher cb = new SessionCatcher();
        EmbeddedChannel a = new EmbeddedChannel();
        EmbeddedChannel b = new EmbeddedChannel();
        a.pipeline().addLast("app", ca);
        b.pipeline().addLast("app", cb);
        ta.install(a.pipeline(), "app",
                new SecurityContext(Role.INITIATOR, identityA, null, List.of("/yamux/1.0.0"), 10_000));
        tb.install(b.pipeline(), "app",
                new SecurityContext(Role.RESPONDER, identityB, null, List.of("/yamux/1.0.0"), 10_000));
        boolean moved = true;
        while (moved) {
            moved = false;
            for (ByteBuf out; (out = a.readOutbound()) != null; ) {
                b.writeInbound(out);
                moved = true;
            }
            for (ByteBuf out; (out = b.readOutbound()) != null; ) {
                a.writeInbound(out);
                moved = true;
            }
        }
        if (ca.session == null || cb.session == null) {
            throw new IllegalStateException("handshake did not complete");
        }
        return new EmbeddedChannel[] {a, b};
    }

    /** Keeps the session event; passes data on to the channel's inbound queue. */
    static final class SessionCatcher extends ChannelInboundHandlerAdapter {
        SecureSession session;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SecureSession s) {
                session = s;
            }
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** @return a public key; one X25519 key generation (scalar base multiplication) */
    @Benchmark
    public byte[] x25519Keygen() {
        byte[] k = new byte[32];
        byte[] pub = new byte[32];
        X25519.generatePrivateKey(random, k);
        X25519.generatePublicKey(k, 0, pub, 0);
        return pub;
    }

    /** @return a shared secret; one X25519 agreement */
    @Benchmark
    public byte[] x25519Agreement() {
        byte[] shared = new byte[32];
        X25519.calculateAgreement(xPriv, 0, xPub, 0, shared, 0);
        return shared;
    }

    /** @return a signature; one Ed25519 signature of the 56-byte static-key message */
    @Benchmark
    public byte[] ed25519Sign() {
        byte[] sig = new byte[64];
        Ed25519.sign(edSeed, 0, edPub, 0, edMsg, 0, edMsg.length, sig, 0);
        return sig;
    }

    /** @return whether it verified; one Ed25519 verification */
    @Benchmark
    public boolean ed25519Verify() {
        return Ed25519.verify(edSig, 0, edPub, 0, edMsg, 0, edMsg.length);
    }
}
