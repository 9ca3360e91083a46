package io.crossdial.upgrader;

import static io.crossdial.upgrader.LoopbackFixture.await;
import static io.crossdial.upgrader.LoopbackFixture.awaitFailure;
import static io.crossdial.upgrader.LoopbackFixture.peerId;
import static io.crossdial.upgrader.LoopbackFixture.upgrade;
import static io.crossdial.upgrader.LoopbackFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.ConnectionAttributes;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecurityTransport;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseException;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.security.tls.TlsSecurityTransport;
import io.crossdial.simopen.Detection;
import io.crossdial.simopen.StockDialerHold;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A crossdial dial from a listen port (A) that meets a stock dialer (B: no poison byte, no
 * {@code /libp2p/simultaneous-connect}, a plain multistream dialer and security initiator) on one TCP
 * connection, the state a TCP simultaneous open with go, js or rust leaves behind. Over real loopback TCP: A
 * is the accepted end, marked as dialed from a listen port with the connect time of the lab's simultaneous
 * open (both first SYNs lost: 1 s); B is an ordinary dialer with a socket that has no SO_OOBINLINE, so it
 * never sees the urgent byte, as no stock stack does.
 */
@Timeout(value = 40, unit = TimeUnit.SECONDS)
class StockDialerLoopbackTest {
    /**
     * How long the two upgrades may take, in ms: a TLS upgrade in a cold JVM loads BouncyCastle's provider and
     * makes both sides' certificates (P-256 keys, signatures); at a load average of 16 on 2 cores that took
     * over 5 s ({@link LoopbackFixture#WAIT_MILLIS}). Longer than {@link #HOLD}'s slack.
     */
    private static final long UPGRADE_WAIT_MILLIS = 20_000;

    private static final PrivateKey A_KEY = Keys.generateEd25519();
    private static final PrivateKey B_KEY = Keys.generateEd25519();
    private static final long LOST_SYNS_CONNECT_NANOS = 1_000_000_000L;
    private static final byte[] HEADER_AND_NOISE = ByteBufUtil.decodeHexDump(
            "132f6d756c746973747265616d2f312e302e300a" + "072f6e6f6973650a");

    private final LoopbackFixture net = new LoopbackFixture();

    @AfterEach
    void tearDown() {
        net.close();
    }

    /**
     * A's hold: the default margin, a slack long enough for B's first handshake message even from a cold JVM on
     * a loaded machine. BouncyCastle's TLS client takes hundreds of ms to make its first ClientHello here, and
     * over 5 s at a load average of 16 on 2 cores; a hold that ends first makes A a TLS client too, and B
     * answers A's ClientHello with {@code unexpected_message} (what the host's redial is for, not what this
     * test is about).
     */
    private static final StockDialerHold HOLD = new StockDialerHold(5, 15_000, 15_000);

    private static UpgraderConfig.Builder config(PrivateKey key, SecurityTransport security) {
        return UpgraderConfig.builder(key).security(security).muxer(new YamuxStreamMuxer()).stockDialerHold(HOLD);
    }

    /** A listen socket whose accepted connections are A: a dial from a listen port, connect time given. */
    private InetSocketAddress listenAsListenPortDialer(Upgrader a, long connectNanos,
            AtomicReference<CompletableFuture<UpgradedConnection>> aSide) throws InterruptedException {
        Channel server = net.listen(LoopbackFixture.UrgentNioServerSocketChannel::new, ch -> {
            ch.attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT).set(Boolean.TRUE);
            ch.attr(ConnectionAttributes.CONNECT_NANOS).set(connectNanos);
            aSide.set(upgrade(a, ch, Role.INITIATOR, peerId(B_KEY), LoopbackFixture.Echo.INSTANCE));
        });
        return (InetSocketAddress) server.localAddress();
    }

    private void assertAGoesOnAsResponder(SecurityTransport aSecurity, SecurityTransport bSecurity)
            throws Exception {
        AtomicReference<CompletableFuture<UpgradedConnection>> aSide = new AtomicReference<>();
        InetSocketAddress addr = listenAsListenPortDialer(new Upgrader(config(A_KEY, aSecurity).build()),
                LOST_SYNS_CONNECT_NANOS, aSide);
        AtomicReference<CompletableFuture<UpgradedConnection>> bSide = new AtomicReference<>();
        Upgrader b = new Upgrader(config(B_KEY, bSecurity).build());
        net.dial(addr, ch -> bSide.set(upgrade(b, ch, Role.INITIATOR, peerId(A_KEY), LoopbackFixture.Echo.INSTANCE)));

        UpgradedConnection ub = await(bSide.get(), UPGRADE_WAIT_MILLIS);
        UpgradedConnection ua = await(waitFor(aSide), UPGRADE_WAIT_MILLIS);
        assertEquals(Role.RESPONDER, ua.role(), "A went on as the responder");
        assertEquals(Detection.STOCK_DIALER, ua.simopen().detection());
        assertEquals(Role.RESPONDER, ua.simopen().role());
        assertTrue(ua.simopen().simultaneousOpen());
        assertEquals(LOST_SYNS_CONNECT_NANOS, ua.simopen().connectNanos());
        assertEquals(Role.INITIATOR, ub.role(), "the stock dialer stays the initiator");
        assertEquals(peerId(B_KEY), ua.security().remotePeer());
        assertEquals(peerId(A_KEY), ub.security().remotePeer());
        assertEquals(ua.channel().localAddress(), ub.channel().remoteAddress(), "one connection");

        // streams both ways: B (yamux client) opens one, then A (yamux server) opens one
        for (UpgradedConnection opener : new UpgradedConnection[] {ub, ua}) {
            byte[] hello = ("stream from the " + opener.role()).getBytes(StandardCharsets.UTF_8);
            LoopbackFixture.Collect collect = new LoopbackFixture.Collect(hello.length);
            MuxedStream stream = opener.muxer().openStream(collect).get(LoopbackFixture.WAIT_MILLIS, TimeUnit.MILLISECONDS);
            stream.writeAndFlush(Unpooled.wrappedBuffer(hello));
            assertArrayEquals(hello, collect.done.get(LoopbackFixture.WAIT_MILLIS, TimeUnit.MILLISECONDS));
        }
        ub.muxer().close().awaitUninterruptibly(LoopbackFixture.WAIT_MILLIS);
    }

    @Test
    void aNoiseStockDialersMessageOneMakesTheListenPortDialerTheResponderOnTheSameConnection() throws Exception {
        assertAGoesOnAsResponder(new NoiseSecurityTransport(), new NoiseSecurityTransport());
    }

    @Test
    void aTlsStockDialersClientHelloMakesTheListenPortDialerTheTlsServerOnTheSameConnection() throws Exception {
        assertAGoesOnAsResponder(new TlsSecurityTransport(), new TlsSecurityTransport());
    }

    /** B: a raw socket that sends what a stock dialer sends first, then {@code after}, then reads. */
    private Socket rawStockDialer(InetSocketAddress addr, byte[] after) throws Exception {
        Socket s = new Socket(addr.getAddress(), addr.getPort());
        s.setSoTimeout((int) LoopbackFixture.WAIT_MILLIS);
        OutputStream out = s.getOutputStream();
        byte[] first = new byte[HEADER_AND_NOISE.length + after.length];
        System.arraycopy(HEADER_AND_NOISE, 0, first, 0, HEADER_AND_NOISE.length);
        System.arraycopy(after, 0, first, HEADER_AND_NOISE.length, after.length);
        out.write(first);
        out.flush();
        return s;
    }

    @Test
    void silenceAfterTheAnswerLeavesTheDialerInitiatorAndFailsWithTheHandshakeTimeout() throws Exception {
        AtomicReference<CompletableFuture<UpgradedConnection>> aSide = new AtomicReference<>();
        InetSocketAddress addr = listenAsListenPortDialer(new Upgrader(config(A_KEY, new NoiseSecurityTransport())
                .stockDialerHold(StockDialerHold.DEFAULT).handshakeTimeoutMillis(500).build()),
                LOST_SYNS_CONNECT_NANOS, aSide);
        try (Socket s = rawStockDialer(addr, new byte[0])) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] answer = new byte[HEADER_AND_NOISE.length];
            in.readFully(answer);
            assertArrayEquals(HEADER_AND_NOISE, answer, "header and /noise (the urgent byte stays out of band)");
            byte[] message1 = new byte[2 + 32];
            in.readFully(message1);
            assertEquals("0020", ByteBufUtil.hexDump(message1, 0, 2),
                    "after the hold, A sends Noise message 1 as the initiator");
            UpgradeException e = assertInstanceOf(UpgradeException.class, awaitFailure(waitFor(aSide)));
            assertEquals(UpgradeStage.SECURITY_HANDSHAKE, e.stage());
            assertInstanceOf(NoiseException.class, e.getCause());
            assertTrue(e.getMessage().contains("timed out"), e.getMessage());
            assertEquals(NoiseException.Reason.TIMEOUT, ((NoiseException) e.getCause()).reason());
            assertEquals(-1, readSkippingToEof(s.getInputStream()), "A closed the connection");
        }
    }

    @Test
    void garbageAfterTheAnswerFailsTheResponderHandshakeWithATypedError() throws Exception {
        AtomicReference<CompletableFuture<UpgradedConnection>> aSide = new AtomicReference<>();
        InetSocketAddress addr = listenAsListenPortDialer(new Upgrader(config(A_KEY, new NoiseSecurityTransport())
                .build()), LOST_SYNS_CONNECT_NANOS, aSide);
        // a 5-byte "message 1": too short for the 32-byte ephemeral key
        try (Socket s = rawStockDialer(addr, ByteBufUtil.decodeHexDump("0005" + "6761726261"))) {
            UpgradeException e = assertInstanceOf(UpgradeException.class, awaitFailure(waitFor(aSide)));
            assertEquals(UpgradeStage.SECURITY_HANDSHAKE, e.stage());
            assertInstanceOf(NoiseException.class, e.getCause());
            assertEquals(NoiseException.Reason.MALFORMED_MESSAGE, ((NoiseException) e.getCause()).reason(),
                    e.getMessage());
            assertEquals(-1, readSkippingToEof(s.getInputStream()), "A closed the connection");
        }
    }

    @Test
    void anOrdinaryListenersAnswerAfterAQuickConnectIsNotHeld() throws Exception {
        // The connect took 0.2 ms and the listener's echo came after it: A sends message 1 at once, and the
        // listener (a crossdial responder) completes the upgrade as usual.
        AtomicReference<CompletableFuture<UpgradedConnection>> accepted = new AtomicReference<>();
        Upgrader listener = new Upgrader(config(B_KEY, new NoiseSecurityTransport()).build());
        Channel server = net.listen(ch -> accepted.set(upgrade(listener, ch, Role.RESPONDER, null,
                LoopbackFixture.Echo.INSTANCE)));
        AtomicReference<CompletableFuture<UpgradedConnection>> dialed = new AtomicReference<>();
        Upgrader a = new Upgrader(config(A_KEY, new NoiseSecurityTransport()).build());
        net.dial((InetSocketAddress) server.localAddress(), LoopbackFixture.UrgentNioSocketChannel::new, ch -> {
            ch.attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT).set(Boolean.TRUE);
            ch.attr(ConnectionAttributes.CONNECT_NANOS).set(200_000L);
            dialed.set(upgrade(a, ch, Role.INITIATOR, peerId(B_KEY), LoopbackFixture.Echo.INSTANCE));
        });
        UpgradedConnection d = await(dialed.get());
        await(waitFor(accepted));
        assertEquals(Detection.NONE, d.simopen().detection());
        assertEquals(Role.INITIATOR, d.role());
        assertEquals(0, a.config().stockDialerHold().holdMillis(d.simopen()), "no hold: " + d.simopen());
        d.muxer().close().awaitUninterruptibly(LoopbackFixture.WAIT_MILLIS);
    }

    private static int readSkippingToEof(InputStream in) throws Exception {
        int b;
        while ((b = in.read()) != -1) {
            // drop whatever A still sent before closing
        }
        return b;
    }
}
