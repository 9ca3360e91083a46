package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.crossdial.host.Host;
import io.crossdial.multistream.MultistreamException;
import io.crossdial.security.noise.NoiseException;
import io.crossdial.transport.tcp.TcpTransportConfig;
import io.crossdial.upgrader.UpgradeException;
import io.crossdial.upgrader.UpgraderConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Garbage sent to a crossdial listener over a raw JDK socket: the listener closes the connection at once
 * (well before its 10 s negotiation and handshake timeouts) and reports an {@link UpgradeException} whose
 * cause is the stage's own exception.
 */
class BadInputTest {
    /** How long the listener may take to close, ms: less than any of its timeouts. */
    private static final int CLOSE_WITHIN_MILLIS = 5_000;
    /** {@code 0x13 "/multistream/1.0.0\n"}. */
    private static final byte[] HEADER = message("/multistream/1.0.0");
    /** {@code 0x07 "/noise\n"}. */
    private static final byte[] NOISE = message("/noise");

    private final BlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();
    private Host host;

    @BeforeEach
    void startListener() {
        host = listener(UpgraderConfig.DEFAULT_HANDSHAKE_TIMEOUT_MILLIS);
    }

    private Host listener(long handshakeTimeoutMillis) {
        return Peers.builder()
                .transportConfig(TcpTransportConfig.defaults().withPortReuse(false))
                .timeouts(UpgraderConfig.DEFAULT_NEGOTIATION_TIMEOUT_MILLIS, handshakeTimeoutMillis,
                        UpgraderConfig.DEFAULT_UPGRADE_TIMEOUT_MILLIS)
                .onInboundFailure((remote, cause) -> failures.add(cause))
                .build()
                .start();
    }

    @AfterEach
    void tearDown() {
        host.close();
    }

    /** A multistream message: varint length (text + newline) + text + {@code \n}; short texts only. */
    private static byte[] message(String text) {
        byte[] t = (text + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[1 + t.length];
        out[0] = (byte) t.length;
        System.arraycopy(t, 0, out, 1, t.length);
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        InetSocketAddress listen = host.listenAddrs().get(0).toSocketAddress();
        s.connect(listen, CLOSE_WITHIN_MILLIS);
        s.setSoTimeout(CLOSE_WITHIN_MILLIS);
        return s;
    }

    /**
     * Writes {@code bytes} from another thread (a listener that stops reading must not block the test), then
     * reads until the listener closes: EOF, or a reset when it closed with our bytes still unread.
     */
    private static void assertClosedByListener(Socket s, byte[] bytes) throws Exception {
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            try {
                OutputStream out = s.getOutputStream();
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                // the listener closed while we were still writing: expected for large garbage
            }
        });
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WITHIN_MILLIS);
        InputStream in = s.getInputStream();
        byte[] buf = new byte[8192];
        try {
            while (in.read(buf) != -1) {
                if (System.nanoTime() > deadline) {
                    fail("the listener kept the connection open for " + CLOSE_WITHIN_MILLIS + " ms");
                }
            }
        } catch (SocketTimeoutException e) {
            fail("the listener did not close the connection within " + CLOSE_WITHIN_MILLIS + " ms");
        } catch (SocketException e) {
            // RST: the listener closed with unread bytes in its receive buffer; it did close
        } finally {
            s.close();
        }
        writing.get(CLOSE_WITHIN_MILLIS, TimeUnit.MILLISECONDS);
    }

    private UpgradeException reportedFailure() throws InterruptedException {
        Throwable t = failures.poll(CLOSE_WITHIN_MILLIS, TimeUnit.MILLISECONDS);
        assertNotNull(t, "onInboundFailure was not called");
        return assertInstanceOf(UpgradeException.class, t);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void closesConnectionOnOneMebibyteOfRandomBytes(long seed) throws Exception {
        try (Socket s = connect()) {
            assertClosedByListener(s, Peers.randomBytes(1 << 20, seed));
        }
        UpgradeException e = reportedFailure();
        assertInstanceOf(MultistreamException.class, e.getCause(), e::toString);
        assertEquals(0, host.connections().size());
    }

    @Test
    void closesConnectionOnTwoThousandByteMultistreamMessage() throws Exception {
        byte[] big = new byte[2 + 2000];
        big[0] = (byte) 0xd0; // varint 2000
        big[1] = 0x0f;
        Arrays.fill(big, 2, 2 + 1999, (byte) 'x');
        big[big.length - 1] = '\n';
        try (Socket s = connect()) {
            assertClosedByListener(s, concat(HEADER, big));
        }
        UpgradeException e = reportedFailure();
        assertInstanceOf(MultistreamException.class, e.getCause(), e::toString);
    }

    /** Negotiates {@code /noise} over {@code s} and checks the listener's exact answer. */
    private static void negotiateNoise(Socket s) throws IOException {
        s.getOutputStream().write(concat(HEADER, NOISE));
        s.getOutputStream().flush();
        byte[] answer = s.getInputStream().readNBytes(HEADER.length + NOISE.length);
        assertArrayEquals(concat(HEADER, NOISE), answer, "the listener's header and its acceptance of /noise");
    }

    /** A Noise frame: 2-byte big-endian length + {@code length} seeded random bytes. */
    private static byte[] noiseFrame(int length, long seed) {
        byte[] frame = new byte[2 + length];
        frame[0] = (byte) (length >>> 8);
        frame[1] = (byte) length;
        System.arraycopy(Peers.randomBytes(length, seed), 0, frame, 2, length);
        return frame;
    }

    /**
     * A random 65535-byte Noise message 1. XX message 1 carries the initiator's ephemeral key and a payload
     * that is plaintext (no key is agreed yet), so a responder that accepts any payload in message 1, as
     * crossdial's does today (and js-libp2p's), takes the garbage as key + payload, sends message 2 and waits
     * for message 3 until its handshake timeout. The listener here has a 2 s handshake timeout, so the
     * connection is closed within 5 s either way; a responder that rejects a non-empty message 1 payload
     * closes at once.
     */
    @Test
    void closesConnectionOnMaximumSizeGarbageNoiseFrameByHandshakeTimeoutAtTheLatest() throws Exception {
        host.close();
        host = listener(2_000);
        try (Socket s = connect()) {
            negotiateNoise(s);
            assertClosedByListener(s, noiseFrame(65535, 4));
        }
        UpgradeException e = reportedFailure();
        assertInstanceOf(NoiseException.class, e.getCause(), e::toString);
    }

    @Test
    void closesConnectionAtOnceOnNoiseMessageShorterThanAnEphemeralKey() throws Exception {
        try (Socket s = connect()) {
            negotiateNoise(s);
            assertClosedByListener(s, noiseFrame(10, 5));
        }
        UpgradeException e = reportedFailure();
        assertInstanceOf(NoiseException.class, e.getCause(), e::toString);
    }
}
