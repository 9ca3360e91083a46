package io.crossdial.upgrader;

import static io.crossdial.upgrader.LoopbackFixture.await;
import static io.crossdial.upgrader.LoopbackFixture.awaitFailure;
import static io.crossdial.upgrader.LoopbackFixture.peerId;
import static io.crossdial.upgrader.LoopbackFixture.upgrade;
import static io.crossdial.upgrader.LoopbackFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.ConnectionAttributes;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecurityContext;
import io.crossdial.core.spi.SecurityTransport;
import io.crossdial.multistream.MultistreamException;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseException;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.simopen.Detection;
import io.crossdial.simopen.PoisonByteFilter;
import io.crossdial.simopen.SimopenMode;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two upgraders over real loopback TCP connections (Netty NIO, no mocks). */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class UpgraderLoopbackTest {
    private static final PrivateKey DIALER_KEY = Keys.generateEd25519();
    private static final PrivateKey LISTENER_KEY = Keys.generateEd25519();

    private final LoopbackFixture net = new LoopbackFixture();

    @AfterEach
    void tearDown() {
        net.close();
    }

    static UpgraderConfig.Builder config(PrivateKey key) {
        return UpgraderConfig.builder(key).security(new NoiseSecurityTransport()).muxer(new YamuxStreamMuxer());
    }

    /** Listens with a responder upgrader; the accepted side's outcome goes to {@code accepted}. */
    private InetSocketAddress listen(Upgrader upgrader, AtomicReference<CompletableFuture<UpgradedConnection>> accepted,
            AtomicReference<Channel> acceptedChannel) throws InterruptedException {
        Channel server = net.listen(ch -> {
            acceptedChannel.set(ch);
            accepted.set(upgrade(upgrader, ch, Role.RESPONDER, null, LoopbackFixture.Echo.INSTANCE));
        });
        return (InetSocketAddress) server.localAddress();
    }

    private CompletableFuture<UpgradedConnection> dial(Upgrader upgrader, InetSocketAddress to, PeerId expected,
            AtomicReference<Channel> channel) throws InterruptedException {
        AtomicReference<CompletableFuture<UpgradedConnection>> out = new AtomicReference<>();
        Channel ch = net.dial(to, c -> out.set(upgrade(upgrader, c, Role.INITIATOR, expected,
                LoopbackFixture.Echo.INSTANCE)));
        channel.set(ch);
        return out.get();
    }

    private static void assertClosedSoon(Channel ch) {
        assertTrue(ch.closeFuture().awaitUninterruptibly(LoopbackFixture.WAIT_MILLIS), "channel closed: " + ch);
    }

    @Test
    void upgradesBothEndsToNoiseAndYamuxWithTheRightRolesAndPeerIds() throws Exception {
        AtomicReference<CompletableFuture<UpgradedConnection>> accepted = new AtomicReference<>();
        AtomicReference<Channel> acceptedChannel = new AtomicReference<>();
        InetSocketAddress addr = listen(new Upgrader(config(LISTENER_KEY).build()), accepted, acceptedChannel);
        AtomicReference<Channel> dialed = new AtomicReference<>();
        UpgradedConnection d = await(dial(new Upgrader(config(DIALER_KEY).build()), addr, peerId(LISTENER_KEY),
                dialed));
        UpgradedConnection l = await(waitFor(accepted));

        assertEquals(Role.INITIATOR, d.role());
        assertEquals(Role.RESPONDER, l.role());
        assertEquals("/noise", d.security().securityProtocol());
        assertEquals("/noise", l.security().securityProtocol());
        assertEquals("/yamux/1.0.0", d.muxer().protocolId());
        assertEquals("/yamux/1.0.0", l.muxer().protocolId());
        assertEquals(peerId(DIALER_KEY), d.security().localPeer());
        assertEquals(peerId(LISTENER_KEY), d.security().remotePeer());
        assertEquals(peerId(LISTENER_KEY), l.security().localPeer());
        assertEquals(peerId(DIALER_KEY), l.security().remotePeer());
        assertNull(d.simopen(), "an ordinary dial (not from a listen port) runs no role resolution");
        assertNull(l.simopen());
        assertEquals(dialed.get(), d.channel());
        assertEquals(acceptedChannel.get(), l.channel());
        // The promise completes inside the event-loop task that then removes the upgrader: look after it.
        assertNull(onLoop(d.channel(), () -> d.channel().pipeline().get(Upgrader.HANDLER_NAME)),
                "the upgrader removed itself");
        assertNull(onLoop(l.channel(), () -> l.channel().pipeline().get(Upgrader.HANDLER_NAME)));
        assertNull(onLoop(l.channel(), () -> l.channel().pipeline().get(PoisonByteFilter.class)),
                "the poison filter removed itself");
        assertEquals(d.channel().localAddress(), l.channel().remoteAddress(), "one TCP connection");

        byte[] hello = "hello over yamux over noise".getBytes(StandardCharsets.UTF_8);
        LoopbackFixture.Collect collect = new LoopbackFixture.Collect(hello.length);
        MuxedStream stream = d.muxer().openStream(collect).get(LoopbackFixture.WAIT_MILLIS, TimeUnit.MILLISECONDS);
        assertTrue(stream.isOutbound());
        assertEquals(1, stream.streamId() % 2, "the initiator opens odd yamux stream IDs");
        stream.writeAndFlush(Unpooled.wrappedBuffer(hello));
        assertArrayEquals(hello, collect.done.get(LoopbackFixture.WAIT_MILLIS, TimeUnit.MILLISECONDS));

        d.muxer().close().awaitUninterruptibly(LoopbackFixture.WAIT_MILLIS);
        assertClosedSoon(l.channel());
    }

    @Test
    void theConnectionGaterSeesTheAuthenticatedPeerAndAddressAndItsDenialClosesBeforeTheMuxer() throws Exception {
        List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        ConnectionGater denyDialer = (peer, address, role) -> {
            asked.add(peer + " " + address + " " + role);
            return !peer.equals(peerId(DIALER_KEY));
        };
        AtomicReference<CompletableFuture<UpgradedConnection>> accepted = new AtomicReference<>();
        AtomicReference<Channel> acceptedChannel = new AtomicReference<>();
        InetSocketAddress addr = listen(new Upgrader(config(LISTENER_KEY).connectionGater(denyDialer).build()),
                accepted, acceptedChannel);
        AtomicReference<Channel> dialed = new AtomicReference<>();
        // Noise's early muxer negotiation lets the dialer finish before the listener has decided: it may
        // succeed, and then sees its connection closed
        dial(new Upgrader(config(DIALER_KEY).build()), addr, peerId(LISTENER_KEY), dialed);

        UpgradeException e = assertInstanceOf(UpgradeException.class, awaitFailure(waitFor(accepted)));
        assertEquals(UpgradeStage.GATING, e.stage());
        ConnectionGatedException gated = assertInstanceOf(ConnectionGatedException.class, e.getCause());
        assertEquals(peerId(DIALER_KEY), gated.remotePeer());
        assertEquals(dialed.get().localAddress(), gated.remoteAddress());
        assertEquals("failed to pass the connection gater: connection gater denied peer " + peerId(DIALER_KEY)
                + " at " + dialed.get().localAddress(), e.getMessage());
        assertEquals(List.of(peerId(DIALER_KEY) + " " + dialed.get().localAddress() + " RESPONDER"), asked);
        assertClosedSoon(acceptedChannel.get());
        assertClosedSoon(dialed.get());
    }

    @Test
    void aGaterThatAllowsLetsTheUpgradeFinishAndAThrowingGaterDenies() throws Exception {
        AtomicReference<CompletableFuture<UpgradedConnection>> accepted = new AtomicReference<>();
        InetSocketAddress addr = listen(new Upgrader(config(LISTENER_KEY).build()), accepted, new AtomicReference<>());
        UpgradedConnection ok = await(dial(new Upgrader(config(DIALER_KEY)
                .connectionGater((peer, address, role) -> role == Role.INITIATOR && peer.equals(peerId(LISTENER_KEY)))
                .build()), addr, peerId(LISTENER_KEY), new AtomicReference<>()));
        assertEquals("/yamux/1.0.0", ok.muxer().protocolId());
        ok.muxer().close();

        IllegalStateException boom = new IllegalStateException("gater broke");
        Throwable t = awaitFailure(dial(new Upgrader(config(DIALER_KEY)
                .connectionGater((peer, address, role) -> {
                    throw boom;
                }).build()), addr, peerId(LISTENER_KEY), new AtomicReference<>()));
        UpgradeException e = assertInstanceOf(UpgradeException.class, t);
        assertEquals(UpgradeStage.GATING, e.stage());
        assertEquals(boom, e.getCause().getSuppressed()[0]);
    }

    @Test
    void anExpectedPeerMismatchFailsTheSecurityHandshakeAndClosesTheConnection() throws Exception {
        AtomicReference<CompletableFuture<UpgradedConnection>> accepted = new AtomicReference<>();
        InetSocketAddress addr = listen(new Upgrader(config(LISTENER_KEY).build()), accepted, new AtomicReference<>());
        PeerId someoneElse = peerId(Keys.generateEd25519());
        AtomicReference<Channel> dialed = new AtomicReference<>();
        Throwable t = awaitFailure(dial(new Upgrader(config(DIALER_KEY).build()), addr, someoneElse, dialed));

        UpgradeException e = assertInstanceOf(UpgradeException.class, t);
        assertEquals(UpgradeStage.SECURITY_HANDSHAKE, e.stage());
        assertEquals("failed to complete security handshake: noise: peer ID mismatch: expected " + someoneElse
                + ", remote is " + peerId(LISTENER_KEY), e.getMessage());
        assertInstanceOf(NoiseException.class, e.getCause());
        assertClosedSoon(dialed.get());
        UpgradeException remote = assertInstanceOf(UpgradeException.class, awaitFailure(waitFor(accepted)));
        assertEquals(UpgradeStage.SECURITY_HANDSHAKE, remote.stage(), remote.getMessage());
    }

    @Test
    void noSecurityProtocolInCommonFailsTheSecurityNegotiationOnBothSides() throws Exception {
        AtomicInteger installs = new AtomicInteger();
        SecurityTransport tlsOnly = new SecurityTransport() {
            @Override
            public String protocolId() {
                return "/tls/1.0.0";
            }

            @Override
            public void install(ChannelPipeline pipeline, String beforeName, SecurityContext context) {
                installs.incrementAndGet();
                throw new AssertionError("never negotiated, so never installed");
            }
        };
        Upgrader listener = new Upgrader(UpgraderConfig.builder(LISTENER_KEY).security(tlsOnly)
                .muxer(new YamuxStreamMuxer()).build());
        AtomicReference<CompletableFuture<UpgradedConnection>> accepted = new AtomicReference<>();
        InetSocketAddress addr = listen(listener, accepted, new AtomicReference<>());
        AtomicReference<Channel> dialed = new AtomicReference<>();
        Throwable t = awaitFailure(dial(new Upgrader(config(DIALER_KEY).build()), addr, null, dialed));

        UpgradeException e = assertInstanceOf(UpgradeException.class, t);
        assertEquals(UpgradeStage.SECURITY_NEGOTIATION, e.stage());
        assertEquals("failed to negotiate security protocol: multistream-select: no protocol in common: proposed [/noise]",
                e.getMessage());
        assertEquals(MultistreamException.Reason.NO_PROTOCOL_IN_COMMON,
                assertInstanceOf(MultistreamException.class, e.getCause()).reason());
        assertClosedSoon(dialed.get());
        UpgradeException remote = assertInstanceOf(UpgradeException.class, awaitFailure(waitFor(accepted)));
        assertEquals(UpgradeStage.SECURITY_NEGOTIATION, remote.stage(), remote.getMessage());
        assertEquals(0, installs.get());
    }

    @Test
    void aRemoteClosingDuringNegotiationFailsWithConnectionClosed() throws Exception {
        try (java.net.ServerSocket raw = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            AtomicReference<Channel> dialed = new AtomicReference<>();
            CompletableFuture<UpgradedConnection> f = dial(new Upgrader(config(DIALER_KEY).build()),
                    (InetSocketAddress) raw.getLocalSocketAddress(), null, dialed);
            try (java.net.Socket remote = raw.accept()) {
                remote.setSoTimeout((int) LoopbackFixture.WAIT_MILLIS);
                remote.getInputStream().readNBytes(1);
            }
            UpgradeException e = assertInstanceOf(UpgradeException.class, awaitFailure(f));
            assertEquals(UpgradeStage.SECURITY_NEGOTIATION, e.stage());
            assertTrue(e.getMessage().startsWith("failed to negotiate security protocol: "), e.getMessage());
            assertTrue(e.getMessage().contains("connection closed"), e.getMessage());
            assertClosedSoon(dialed.get());
        }
    }

    @Test
    void aRemoteClosingDuringTheHandshakeFailsTheHandshakeStageWithConnectionClosed() throws Exception {
        try (java.net.ServerSocket raw = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            AtomicReference<Channel> dialed = new AtomicReference<>();
            CompletableFuture<UpgradedConnection> f = dial(new Upgrader(config(DIALER_KEY).build()),
                    (InetSocketAddress) raw.getLocalSocketAddress(), null, dialed);
            try (java.net.Socket remote = raw.accept()) {
                byte[] negotiation = io.netty.buffer.ByteBufUtil.decodeHexDump(
                        "132f6d756c746973747265616d2f312e302e300a" + "072f6e6f6973650a");
                remote.setSoTimeout((int) LoopbackFixture.WAIT_MILLIS);
                remote.getInputStream().readNBytes(negotiation.length);
                remote.getOutputStream().write(negotiation);
                remote.getOutputStream().flush();
                // Noise message 1: 2-byte length + 32-byte ephemeral key; then close without answering.
                assertEquals(34, remote.getInputStream().readNBytes(34).length);
            }
            UpgradeException e = assertInstanceOf(UpgradeException.class, awaitFailure(f));
            assertEquals(UpgradeStage.SECURITY_HANDSHAKE, e.stage());
            assertTrue(e.getMessage().startsWith("failed to complete security handshake: "), e.getMessage());
            assertTrue(e.getMessage().contains("connection closed"), e.getMessage());
            assertClosedSoon(dialed.get());
        }
    }

    @Test
    void aRemoteClosingBeforeSendingAnythingFailsTheListenerWithConnectionClosed() throws Exception {
        AtomicReference<CompletableFuture<UpgradedConnection>> accepted = new AtomicReference<>();
        InetSocketAddress addr = listen(new Upgrader(config(LISTENER_KEY).build()), accepted, new AtomicReference<>());
        new java.net.Socket(addr.getAddress(), addr.getPort()).close();
        UpgradeException e = assertInstanceOf(UpgradeException.class, awaitFailure(waitFor(accepted)));
        assertEquals(UpgradeStage.SECURITY_NEGOTIATION, e.stage());
        assertTrue(e.getMessage().contains("connection closed"), e.getMessage());
    }

    @Test
    void twoDialersFromListenPortsResolveRolesWithTheSpecProposal() throws Exception {
        // Both ends think they dialed from a listen port: the state a TCP simultaneous open leaves behind.
        Upgrader a = new Upgrader(config(DIALER_KEY).simopenMode(SimopenMode.SPEC).build());
        Upgrader b = new Upgrader(config(LISTENER_KEY).simopenMode(SimopenMode.SPEC).build());
        assertResolves(a, b, io.netty.channel.socket.nio.NioServerSocketChannel::new,
                io.netty.channel.socket.nio.NioSocketChannel::new, Detection.SPEC_PROPOSAL);
    }

    @Test
    void twoDialersFromListenPortsResolveRolesWithThePoisonByte() throws Exception {
        Upgrader a = new Upgrader(config(DIALER_KEY).build());
        Upgrader b = new Upgrader(config(LISTENER_KEY).build());
        assertResolves(a, b, LoopbackFixture.UrgentNioServerSocketChannel::new,
                LoopbackFixture.UrgentNioSocketChannel::new, Detection.POISON_BYTE);
    }

    private void assertResolves(Upgrader a, Upgrader b,
            io.netty.channel.ChannelFactory<? extends io.netty.channel.ServerChannel> serverFactory,
            io.netty.channel.ChannelFactory<? extends Channel> clientFactory, Detection detection) throws Exception {
        AtomicReference<CompletableFuture<UpgradedConnection>> bSide = new AtomicReference<>();
        Channel server = net.listen(serverFactory, ch -> {
            ch.attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT).set(Boolean.TRUE);
            bSide.set(upgrade(b, ch, Role.INITIATOR, peerId(DIALER_KEY), LoopbackFixture.Echo.INSTANCE));
        });
        AtomicReference<CompletableFuture<UpgradedConnection>> aSide = new AtomicReference<>();
        net.dial((InetSocketAddress) server.localAddress(), clientFactory, ch -> {
            ch.attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT).set(Boolean.TRUE);
            aSide.set(upgrade(a, ch, Role.INITIATOR, peerId(LISTENER_KEY), LoopbackFixture.Echo.INSTANCE));
        });
        UpgradedConnection ua = await(aSide.get());
        UpgradedConnection ub = await(waitFor(bSide));
        assertEquals(detection, ua.simopen().detection());
        assertEquals(detection, ub.simopen().detection());
        assertTrue(ua.simopen().simultaneousOpen());
        assertNotEquals(ua.role(), ub.role(), "one initiator, one responder");
        assertEquals(ua.role(), ua.simopen().role());
        assertEquals(ua.simopen().localNonce(), ub.simopen().remoteNonce());
        assertEquals(ua.simopen().remoteNonce(), ub.simopen().localNonce());
        assertEquals(peerId(LISTENER_KEY), ua.security().remotePeer());
        assertEquals(peerId(DIALER_KEY), ub.security().remotePeer());

        UpgradedConnection initiator = ua.role() == Role.INITIATOR ? ua : ub;
        byte[] hello = "ping after simultaneous open".getBytes(StandardCharsets.UTF_8);
        LoopbackFixture.Collect collect = new LoopbackFixture.Collect(hello.length);
        MuxedStream stream = initiator.muxer().openStream(collect).get(LoopbackFixture.WAIT_MILLIS, TimeUnit.MILLISECONDS);
        stream.writeAndFlush(Unpooled.wrappedBuffer(hello));
        assertArrayEquals(hello, collect.done.get(LoopbackFixture.WAIT_MILLIS, TimeUnit.MILLISECONDS));
        initiator.muxer().close().awaitUninterruptibly(LoopbackFixture.WAIT_MILLIS);
        assertFalse(initiator.channel().isActive());
    }

    @Test
    void aListenPortDialToAPlainListenerIsAnOrdinaryDialAndTheListenerDropsThePoisonByte() throws Exception {
        AtomicReference<CompletableFuture<UpgradedConnection>> accepted = new AtomicReference<>();
        AtomicReference<Channel> acceptedChannel = new AtomicReference<>();
        Upgrader listener = new Upgrader(config(LISTENER_KEY).build());
        Channel server = net.listen(LoopbackFixture.UrgentNioServerSocketChannel::new, ch -> {
            acceptedChannel.set(ch);
            accepted.set(upgrade(listener, ch, Role.RESPONDER, null, LoopbackFixture.Echo.INSTANCE));
        });
        AtomicReference<CompletableFuture<UpgradedConnection>> dialed = new AtomicReference<>();
        Upgrader dialer = new Upgrader(config(DIALER_KEY).build());
        net.dial((InetSocketAddress) server.localAddress(), LoopbackFixture.UrgentNioSocketChannel::new, ch -> {
            ch.attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT).set(Boolean.TRUE);
            dialed.set(upgrade(dialer, ch, Role.INITIATOR, peerId(LISTENER_KEY), LoopbackFixture.Echo.INSTANCE));
        });
        UpgradedConnection d = await(dialed.get());
        UpgradedConnection l = await(waitFor(accepted));
        assertEquals(Detection.NONE, d.simopen().detection());
        assertFalse(d.simopen().simultaneousOpen());
        assertEquals(Role.INITIATOR, d.role());
        assertEquals(Role.RESPONDER, l.role());
        assertEquals(Boolean.TRUE, acceptedChannel.get().attr(PoisonByteFilter.POISON_SEEN).get());
        d.muxer().close().awaitUninterruptibly(LoopbackFixture.WAIT_MILLIS);
    }

    private static <T> T onLoop(Channel ch, java.util.concurrent.Callable<T> task) throws Exception {
        return ch.eventLoop().submit(task).get(LoopbackFixture.WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }
}
