package io.crossdial.security.tls;

import static io.crossdial.security.tls.TlsTestSupport.MPLEX;
import static io.crossdial.security.tls.TlsTestSupport.YAMUX;
import static io.crossdial.security.tls.TlsTestSupport.pump;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.KeyType;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecureSession;
import io.crossdial.security.tls.TlsTestSupport.CertSpec;
import io.crossdial.security.tls.TlsTestSupport.Side;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The TLS handshake between two EmbeddedChannels: sessions, ALPN early muxer, rejections, timeout, EOF. */
class TlsHandshakeTest {
    private Side a;
    private Side b;

    @AfterEach
    void releaseEverything() {
        for (Side s : new Side[] {a, b}) {
            if (s != null) {
                s.channel().finishAndReleaseAll();
            }
        }
    }

    private void connect(Role clientRole, PeerId clientExpects, List<String> clientMuxers, PrivateKey clientKey,
            PeerId serverExpects, List<String> serverMuxers, PrivateKey serverKey) {
        a = TlsTestSupport.side(clientRole, clientKey, clientExpects, clientMuxers);
        b = TlsTestSupport.side(clientRole.opposite(), serverKey, serverExpects, serverMuxers);
        pump(a.channel(), b.channel());
    }

    private void connect(List<String> clientMuxers, List<String> serverMuxers) {
        connect(Role.INITIATOR, null, clientMuxers, Keys.generateEd25519(), null, serverMuxers, Keys.generateEd25519());
    }

    private static void send(Side from, String text) {
        from.channel().writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @EnumSource(value = KeyType.class, names = {"ED25519", "SECP256K1"})
    void handshakeAuthenticatesBothPeersAndCarriesDataBothWays(KeyType type) {
        PrivateKey clientKey = Keys.generate(type);
        PrivateKey serverKey = Keys.generate(type);
        PeerId clientPeer = PeerId.fromPublicKey(clientKey.publicKey());
        PeerId serverPeer = PeerId.fromPublicKey(serverKey.publicKey());
        connect(Role.INITIATOR, serverPeer, List.of(), clientKey, null, List.of(), serverKey);

        assertEquals(List.of(new SecureSession("/tls/1.0.0", clientPeer, serverPeer,
                a.recorder().sessions.get(0).remoteKey(), null)), a.recorder().sessions);
        assertArrayEquals(serverKey.publicKey().marshal(), a.recorder().sessions.get(0).remoteKey().marshal());
        assertEquals(List.of(new SecureSession("/tls/1.0.0", serverPeer, clientPeer,
                b.recorder().sessions.get(0).remoteKey(), null)), b.recorder().sessions);
        assertArrayEquals(clientKey.publicKey().marshal(), b.recorder().sessions.get(0).remoteKey().marshal());
        assertTrue(a.recorder().exceptions.isEmpty());
        assertTrue(b.recorder().exceptions.isEmpty());

        send(a, "hello from the dialer");
        send(b, "hello from the listener");
        byte[] big = new byte[100_000];
        new Random(1).nextBytes(big);
        a.channel().writeAndFlush(Unpooled.wrappedBuffer(big));
        pump(a.channel(), b.channel());
        assertEquals("hello from the listener", new String(a.recorder().takeData(), StandardCharsets.UTF_8));
        byte[] got = b.recorder().takeData();
        assertEquals("hello from the dialer", new String(got, 0, 21, StandardCharsets.UTF_8));
        assertArrayEquals(big, java.util.Arrays.copyOfRange(got, 21, got.length));
        assertTrue(a.channel().pipeline().get(TlsSecurityTransport.HANDLER_NAME) instanceof SslHandler);
    }

    @Test
    void usesTls13WithMutualAuthentication() {
        connect(List.of(), List.of());
        SslHandler client = (SslHandler) a.channel().pipeline().get(TlsSecurityTransport.HANDLER_NAME);
        SslHandler server = (SslHandler) b.channel().pipeline().get(TlsSecurityTransport.HANDLER_NAME);
        assertEquals("TLSv1.3", client.engine().getSession().getProtocol());
        assertEquals("TLSv1.3", server.engine().getSession().getProtocol());
        assertTrue(client.engine().getUseClientMode());
        assertTrue(server.engine().getNeedClientAuth());
        assertEquals("libp2p", client.engine().getApplicationProtocol());
    }

    @Test
    void responderMayBeTheDialerAfterRoleResolution() {
        PrivateKey responderKey = Keys.generateEd25519();
        PrivateKey initiatorKey = Keys.generateEd25519();
        // The responder (TLS server) knows whom it dialed and checks the client certificate against it.
        connect(Role.RESPONDER, PeerId.fromPublicKey(initiatorKey.publicKey()), List.of(), responderKey,
                null, List.of(), initiatorKey);
        assertEquals(1, a.recorder().sessions.size());
        assertEquals(1, b.recorder().sessions.size());
    }

    @Test
    void sharedMuxerBecomesTheEarlyMuxer() {
        connect(List.of(YAMUX), List.of(YAMUX));
        assertEquals(YAMUX, a.recorder().sessions.get(0).earlyMuxer());
        assertEquals(YAMUX, b.recorder().sessions.get(0).earlyMuxer());
    }

    @Test
    void serverFollowsTheClientsMuxerPreference() {
        connect(List.of(MPLEX, YAMUX), List.of(YAMUX, MPLEX));
        assertEquals(MPLEX, a.recorder().sessions.get(0).earlyMuxer());
        assertEquals(MPLEX, b.recorder().sessions.get(0).earlyMuxer());
    }

    @Test
    void noSharedMuxerFallsBackToLibp2pAndNoEarlyMuxer() {
        connect(List.of(MPLEX), List.of(YAMUX));
        assertNull(a.recorder().sessions.get(0).earlyMuxer());
        assertNull(b.recorder().sessions.get(0).earlyMuxer());
        SslHandler client = (SslHandler) a.channel().pipeline().get(TlsSecurityTransport.HANDLER_NAME);
        assertEquals("libp2p", client.engine().getApplicationProtocol());
    }

    @Test
    void emptyMuxerListsGiveNoEarlyMuxer() {
        connect(List.of(), List.of(YAMUX));
        assertNull(a.recorder().sessions.get(0).earlyMuxer());
        assertNull(b.recorder().sessions.get(0).earlyMuxer());
    }

    @Test
    void alpnListIsTheMuxersThenLibp2p() {
        assertEquals(List.of(YAMUX, MPLEX, "libp2p"), TlsSecurityTransport.alpnProtocols(List.of(YAMUX, MPLEX)));
        assertEquals(List.of("libp2p"), TlsSecurityTransport.alpnProtocols(List.of()));
        assertEquals("libp2p", TlsSecurityTransport.selectAlpn(List.of("h2", "libp2p"), List.of(YAMUX, "libp2p")));
        assertNull(TlsSecurityTransport.selectAlpn(List.of("h2"), List.of(YAMUX, "libp2p")));
    }

    @Test
    void dialerRejectsAnUnexpectedPeer() {
        PeerId someoneElse = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        PrivateKey serverKey = Keys.generateEd25519();
        connect(Role.INITIATOR, someoneElse, List.of(), Keys.generateEd25519(), null, List.of(), serverKey);
        assertEquals("tls: peer ID mismatch: expected " + someoneElse + ", remote is "
                + PeerId.fromPublicKey(serverKey.publicKey()), a.recorder().onlyTlsException().getMessage());
        assertFalse(a.channel().isOpen());
        assertTrue(a.recorder().sessions.isEmpty());
        // The listener learns through the alert and closes too.
        assertTrue(b.recorder().sessions.isEmpty());
        assertTrue(b.recorder().onlyTlsException().getMessage().startsWith("tls: handshake failed: "),
                b.recorder().exceptions.toString());
        assertFalse(b.channel().isOpen());
    }

    @Test
    void responderWithAnExpectedPeerRejectsAnotherClient() {
        PeerId someoneElse = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        PrivateKey clientKey = Keys.generateEd25519();
        connect(Role.RESPONDER, someoneElse, List.of(), Keys.generateEd25519(), null, List.of(), clientKey);
        assertEquals("tls: peer ID mismatch: expected " + someoneElse + ", remote is "
                + PeerId.fromPublicKey(clientKey.publicKey()), a.recorder().onlyTlsException().getMessage());
        assertTrue(a.recorder().sessions.isEmpty());
        assertFalse(a.channel().isOpen());
        // A TLS 1.3 client completes before the server checked its certificate, then sees the alert.
        assertFalse(b.channel().isOpen());
        assertTrue(b.recorder().onlyTlsException().getMessage().startsWith("tls: "));
    }

    @Test
    void listenerRejectsAClientCertificateWithoutTheExtension() throws Exception {
        a = TlsTestSupport.rogue(true, TlsTestSupport.certificate(CertSpec.valid(Keys.generateEd25519())
                .withoutExtension()));
        b = TlsTestSupport.side(Role.RESPONDER, Keys.generateEd25519(), null, List.of());
        pump(a.channel(), b.channel());
        assertEquals("tls: certificate carries no libp2p public key extension (1.3.6.1.4.1.53594.1.1)",
                b.recorder().onlyTlsException().getMessage());
        assertTrue(b.recorder().sessions.isEmpty());
        assertFalse(b.channel().isOpen());
    }

    @Test
    void listenerRejectsAClientCertificateWithABadSignature() throws Exception {
        a = TlsTestSupport.rogue(true, TlsTestSupport.certificate(CertSpec.valid(Keys.generateEd25519())
                .signingAnotherKey()));
        b = TlsTestSupport.side(Role.RESPONDER, Keys.generateEd25519(), null, List.of());
        pump(a.channel(), b.channel());
        send(a, "must never be delivered");
        pump(a.channel(), b.channel());
        assertTrue(b.recorder().onlyTlsException().getMessage()
                .startsWith("tls: the libp2p extension's signature does not verify"));
        assertTrue(b.recorder().sessions.isEmpty());
        assertEquals(0, b.recorder().takeData().length);
        assertFalse(b.channel().isOpen());
    }

    @Test
    void acceptsCertificatesWithAnEmptyIssuerAndSubjectAsJsLibp2pSendsThem() throws Exception {
        PrivateKey clientKey = Keys.generateEd25519();
        X500Name empty = new X500Name(new RDN[0]);
        a = TlsTestSupport.rogue(true, TlsTestSupport.certificate(CertSpec.valid(clientKey), empty));
        b = TlsTestSupport.side(Role.RESPONDER, Keys.generateEd25519(), null, List.of());
        pump(a.channel(), b.channel());
        assertTrue(b.recorder().exceptions.isEmpty(), b.recorder().exceptions.toString());
        assertEquals(PeerId.fromPublicKey(clientKey.publicKey()), b.recorder().sessions.get(0).remotePeer());
        send(a, "from an empty-issuer peer");
        pump(a.channel(), b.channel());
        assertEquals("from an empty-issuer peer", new String(b.recorder().takeData(), StandardCharsets.UTF_8));
    }

    @Test
    void dialerRejectsAServerCertificateWithoutTheExtension() throws Exception {
        a = TlsTestSupport.side(Role.INITIATOR, Keys.generateEd25519(), null, List.of());
        b = TlsTestSupport.rogue(false, TlsTestSupport.certificate(CertSpec.valid(Keys.generateEd25519())
                .withoutExtension()));
        pump(a.channel(), b.channel());
        assertEquals("tls: certificate carries no libp2p public key extension (1.3.6.1.4.1.53594.1.1)",
                a.recorder().onlyTlsException().getMessage());
        assertTrue(a.recorder().sessions.isEmpty());
        assertFalse(a.channel().isOpen());
    }

    @Test
    void dialerRejectsAServerCertificateWithABadSignature() throws Exception {
        a = TlsTestSupport.side(Role.INITIATOR, Keys.generateEd25519(), null, List.of());
        b = TlsTestSupport.rogue(false, TlsTestSupport.certificate(CertSpec.valid(Keys.generateSecp256k1())
                .signingAnotherKey()));
        pump(a.channel(), b.channel());
        assertTrue(a.recorder().onlyTlsException().getMessage()
                .startsWith("tls: the libp2p extension's signature does not verify"));
        assertFalse(a.channel().isOpen());
    }

    @Test
    void dataSentRightAfterTheClientFinishedArrivesAfterTheSession() {
        a = TlsTestSupport.side(Role.INITIATOR, Keys.generateEd25519(), null, List.of());
        b = TlsTestSupport.side(Role.RESPONDER, Keys.generateEd25519(), null, List.of());
        TlsTestSupport.move(a.channel(), b.channel()); // ClientHello
        TlsTestSupport.move(b.channel(), a.channel()); // ServerHello .. Finished: the client completes
        assertEquals(1, a.recorder().sessions.size());
        send(a, "early");
        // The client's Finished and its first record reach the server together.
        ByteBuf together = Unpooled.buffer();
        for (ByteBuf out; (out = a.channel().readOutbound()) != null; ) {
            together.writeBytes(out);
            out.release();
        }
        b.channel().writeInbound(together);
        assertEquals(List.of("session", "data"), b.recorder().order);
        assertEquals("early", new String(b.recorder().takeData(), StandardCharsets.UTF_8));
    }

    @Test
    void writesBeforeTheHandshakeAreSentAfterIt() {
        a = TlsTestSupport.side(Role.INITIATOR, Keys.generateEd25519(), null, List.of());
        b = TlsTestSupport.side(Role.RESPONDER, Keys.generateEd25519(), null, List.of());
        send(a, "queued");
        pump(a.channel(), b.channel());
        assertEquals("queued", new String(b.recorder().takeData(), StandardCharsets.UTF_8));
    }

    @Test
    void handshakeTimesOut() {
        a = TlsTestSupport.side(Role.INITIATOR, Keys.generateEd25519(), null, List.of());
        a.channel().releaseOutbound();
        a.channel().advanceTimeBy(TlsTestSupport.TIMEOUT_MILLIS / 2, TimeUnit.MILLISECONDS);
        a.channel().runScheduledPendingTasks();
        assertTrue(a.recorder().exceptions.isEmpty());
        assertTrue(a.channel().isOpen());
        a.channel().advanceTimeBy(TlsTestSupport.TIMEOUT_MILLIS / 2, TimeUnit.MILLISECONDS);
        a.channel().runScheduledPendingTasks();
        assertEquals("tls: handshake timed out after 10000 ms", a.recorder().onlyTlsException().getMessage());
        assertFalse(a.channel().isOpen());
    }

    @Test
    void listenerHandshakeTimesOutToo() {
        b = TlsTestSupport.side(Role.RESPONDER, Keys.generateEd25519(), null, List.of());
        b.channel().advanceTimeBy(TlsTestSupport.TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        b.channel().runScheduledPendingTasks();
        assertEquals("tls: handshake timed out after 10000 ms", b.recorder().onlyTlsException().getMessage());
        assertFalse(b.channel().isOpen());
    }

    @Test
    void completedHandshakeCancelsTheTimeout() {
        connect(List.of(), List.of());
        for (Side s : List.of(a, b)) {
            s.channel().advanceTimeBy(2 * TlsTestSupport.TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            s.channel().runScheduledPendingTasks();
            assertTrue(s.recorder().exceptions.isEmpty());
            assertTrue(s.channel().isOpen());
        }
    }

    @Test
    void eofDuringTheHandshakeFails() {
        a = TlsTestSupport.side(Role.INITIATOR, Keys.generateEd25519(), null, List.of());
        a.channel().releaseOutbound();
        a.channel().close();
        assertTrue(a.recorder().onlyTlsException().getMessage().startsWith("tls: "),
                a.recorder().exceptions.toString());
        assertTrue(a.recorder().sessions.isEmpty());
    }

    @Test
    void corruptRecordAfterTheHandshakeIsATlsSecurityException() {
        connect(List.of(), List.of());
        // An application-data record (type 23, TLS 1.2 legacy version) with garbage ciphertext.
        ByteBuf record = Unpooled.buffer().writeByte(23).writeShort(0x0303).writeShort(32).writeZero(32);
        b.channel().writeInbound(record);
        assertEquals(0, record.refCnt());
        assertTrue(b.recorder().onlyTlsException().getMessage().startsWith("tls: connection failed: "),
                b.recorder().exceptions.toString());
        assertFalse(b.channel().isOpen());
    }
}
