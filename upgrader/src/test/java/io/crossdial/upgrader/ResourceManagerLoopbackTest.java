package io.crossdial.upgrader;

import static io.crossdial.upgrader.LoopbackFixture.WAIT_MILLIS;
import static io.crossdial.upgrader.LoopbackFixture.await;
import static io.crossdial.upgrader.LoopbackFixture.awaitFailure;
import static io.crossdial.upgrader.LoopbackFixture.peerId;
import static io.crossdial.upgrader.LoopbackFixture.upgrade;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.Role;
import io.crossdial.muxer.mplex.MplexStreamMuxer;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.upgrader.ResourceLimitExceededException.Limit;
import io.crossdial.upgrader.ResourceLimitExceededException.Scope;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The resource manager at the gate and on the stream paths, over real loopback TCP with real Noise and
 * yamux upgrades on both ends (specs/reliability.md, "Resource manager").
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResourceManagerLoopbackTest {
    private static final PrivateKey DIALER_KEY = Keys.generateEd25519();
    private static final PrivateKey LISTENER_KEY = Keys.generateEd25519();
    private static final long CONNECTION_BYTES = 1000;
    private static final long STREAM_BYTES = 100;

    private final LoopbackFixture net = new LoopbackFixture();
    /** The listener's accepted channels, their upgrade outcomes, and the inbound streams, in order. */
    private final BlockingQueue<Channel> acceptedChannels = new LinkedBlockingQueue<>();
    private final BlockingQueue<CompletableFuture<UpgradedConnection>> accepted = new LinkedBlockingQueue<>();
    private final BlockingQueue<Channel> inboundStreams = new LinkedBlockingQueue<>();
    private final TrackingEcho echo = new TrackingEcho();

    @AfterEach
    void tearDown() {
        net.close();
    }

    /** Generous limits except the two given (0 = generous). */
    static ResourceLimits limits(int connectionsPerPeer, int streamsPerConnection) {
        int perPeer = connectionsPerPeer == 0 ? 1000 : connectionsPerPeer;
        int perConnection = streamsPerConnection == 0 ? 1000 : streamsPerConnection;
        return new ResourceLimits(1000, 1000, 1000, perPeer, 10_000, 10_000, 10_000, 10_000, perConnection,
                1L << 30, 1L << 30, CONNECTION_BYTES, STREAM_BYTES);
    }

    static UpgraderConfig.Builder config(PrivateKey key, ResourceManager rm) {
        return config(key, rm, "yamux");
    }

    static UpgraderConfig.Builder config(PrivateKey key, ResourceManager rm, String muxer) {
        return UpgraderConfig.builder(key).security(new NoiseSecurityTransport())
                .muxer(muxer.equals("mplex") ? new MplexStreamMuxer() : new YamuxStreamMuxer())
                .resourceManager(rm);
    }

    private InetSocketAddress listen(Upgrader upgrader) throws InterruptedException {
        Channel server = net.listen(ch -> {
            acceptedChannels.add(ch);
            accepted.add(upgrade(upgrader, ch, Role.RESPONDER, null, echo));
        });
        return (InetSocketAddress) server.localAddress();
    }

    private CompletableFuture<UpgradedConnection> dial(Upgrader upgrader, InetSocketAddress to, List<Channel> dialed)
            throws InterruptedException {
        List<CompletableFuture<UpgradedConnection>> out = new ArrayList<>();
        dialed.add(net.dial(to, c -> out.add(upgrade(upgrader, c, Role.INITIATOR, peerId(LISTENER_KEY), echo))));
        return out.get(0);
    }

    private static <T> T take(BlockingQueue<T> queue) throws InterruptedException {
        T next = queue.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        assertNotNull(next, "nothing arrived within " + WAIT_MILLIS + " ms");
        return next;
    }

    /**
     * Waits until {@code ch} is closed and its event loop has run everything queued with the close (the
     * close listeners that release reservations run on it, before any later task).
     */
    private static void awaitClosed(Channel ch) throws Exception {
        assertTrue(ch.closeFuture().await(WAIT_MILLIS), ch + " not closed within " + WAIT_MILLIS + " ms");
        ch.eventLoop().submit(() -> {}).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    private static MuxedStream open(UpgradedConnection c) throws Exception {
        Future<MuxedStream> f = c.muxer().openStream(new LoopbackFixture.Collect(5));
        assertTrue(f.await(WAIT_MILLIS), "openStream did not complete");
        if (!f.isSuccess()) {
            throw new AssertionError("openStream failed", f.cause());
        }
        return f.getNow();
    }

    private static void assertEchoes(MuxedStream stream) throws Exception {
        LoopbackFixture.Collect collect = stream.pipeline().get(LoopbackFixture.Collect.class);
        stream.writeAndFlush(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), await(collect.done));
    }

    @Test
    void aPeerBeyondItsConnectionLimitFailsAtTheGateNamingTheLimitAndItsFirstConnectionKeepsWorking()
            throws Exception {
        DefaultResourceManager listenerRm = new DefaultResourceManager(limits(1, 0));
        InetSocketAddress addr = listen(new Upgrader(config(LISTENER_KEY, listenerRm).build()));
        Upgrader dialer = new Upgrader(config(DIALER_KEY, ResourceManager.UNLIMITED).build());
        List<Channel> dialed = new ArrayList<>();

        UpgradedConnection first = await(dial(dialer, addr, dialed));
        await(take(accepted));
        take(acceptedChannels);
        CompletableFuture<UpgradedConnection> second = dial(dialer, addr, dialed);

        UpgradeException e = assertInstanceOf(UpgradeException.class, awaitFailure(take(accepted)));
        assertEquals(UpgradeStage.GATING, e.stage());
        ResourceLimitExceededException limit = assertInstanceOf(ResourceLimitExceededException.class, e.getCause());
        assertEquals(Scope.PEER, limit.scope());
        assertEquals(Limit.CONNECTIONS, limit.limit());
        assertEquals(1, limit.value());
        assertEquals("failed to pass the connection gater and resource manager: resource limit reached: inbound "
                + "connection from " + peerId(DIALER_KEY) + " at " + dialed.get(1).localAddress()
                + " refused, peer connections limit 1", e.getMessage());
        awaitClosed(take(acceptedChannels));
        awaitClosed(dialed.get(1));
        second.handle((c, t) -> null).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);

        assertEquals(new ResourceUsage(1, 0, 0, 0, CONNECTION_BYTES, 1), listenerRm.usage());
        assertEquals(listenerRm.usage(), listenerRm.usage(peerId(DIALER_KEY)));
        assertEchoes(open(first));
        first.channel().close();
        awaitClosed(first.channel());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yamux", "mplex"})
    void streamsBeyondTheConnectionLimitAreResetInboundAndRefusedOutboundAndFreedWhenOneCloses(String muxer)
            throws Exception {
        DefaultResourceManager listenerRm = new DefaultResourceManager(limits(0, 2));
        DefaultResourceManager dialerRm = new DefaultResourceManager(limits(0, 3));
        InetSocketAddress addr = listen(new Upgrader(config(LISTENER_KEY, listenerRm, muxer).build()));
        UpgradedConnection d = await(dial(new Upgrader(config(DIALER_KEY, dialerRm, muxer).build()), addr,
                new ArrayList<>()));
        await(take(accepted));

        MuxedStream s1 = open(d);
        MuxedStream s2 = open(d);
        assertEchoes(s1);
        assertEchoes(s2);
        Channel in1 = take(inboundStreams);
        take(inboundStreams);
        // The listener's limit is 2: the third inbound stream is reset, the application never sees it.
        MuxedStream s3 = open(d);
        awaitClosed(s3);
        assertEquals(new ResourceUsage(1, 0, 2, 0, CONNECTION_BYTES + 2 * STREAM_BYTES, 1), listenerRm.usage());
        // The dialer's limit is 3, with s3 closed two are in use: one more fits, the next is refused at once.
        // Both opens are reserved in the calling thread, back to back: the listener resets the fourth stream
        // (it has two already), and once the dialer sees that reset its reservation is gone, so the refusal and
        // the usage are read before any reply can come back.
        Future<MuxedStream> f4 = d.muxer().openStream(new LoopbackFixture.Collect(5));
        Future<MuxedStream> refused = d.muxer().openStream(new LoopbackFixture.Collect(5));
        ResourceUsage atRefusal = dialerRm.usage();
        assertTrue(refused.await(WAIT_MILLIS));
        ResourceLimitExceededException e = assertInstanceOf(ResourceLimitExceededException.class, refused.cause());
        assertEquals(Scope.CONNECTION, e.scope());
        assertEquals(Limit.STREAMS, e.limit());
        assertEquals(3, e.value());
        assertEquals(new ResourceUsage(0, 1, 0, 3, CONNECTION_BYTES + 3 * STREAM_BYTES, 1), atRefusal);
        assertTrue(f4.await(WAIT_MILLIS), "the fourth open did not complete");
        if (f4.isSuccess()) {
            awaitClosed(f4.getNow()); // reset by the listener, which has two already
        }

        // Freeing one inbound stream on the listener lets the next one through.
        s1.reset();
        awaitClosed(s1);
        awaitClosed(in1);
        assertEquals(1, listenerRm.usage().inboundStreams());
        MuxedStream s5 = open(d);
        assertEchoes(s5);
        assertEquals(2, listenerRm.usage().inboundStreams());
        d.channel().close();
        awaitClosed(d.channel());
        awaitClosed(take(acceptedChannels));
        assertEquals(ResourceUsage.NONE, listenerRm.usage());
        assertEquals(ResourceUsage.NONE, dialerRm.usage());
    }

    @Test
    void everyReservationIsReleasedAfterManyConnectionsClosedByEitherSideOrFailedAfterTheGate() throws Exception {
        DefaultResourceManager listenerRm = new DefaultResourceManager(limits(0, 0));
        DefaultResourceManager dialerRm = new DefaultResourceManager(limits(0, 0));
        InetSocketAddress addr = listen(new Upgrader(config(LISTENER_KEY, listenerRm).build()));
        Upgrader dialer = new Upgrader(config(DIALER_KEY, dialerRm).build());
        // Offers only mplex: passes the listener's gate, then fails the muxer negotiation.
        Upgrader mplexOnly = new Upgrader(UpgraderConfig.builder(DIALER_KEY).security(new NoiseSecurityTransport())
                .muxer(new MplexStreamMuxer()).resourceManager(dialerRm).build());
        List<Channel> all = new ArrayList<>();
        int gatedFailures = 0;
        for (int i = 0; i < 60; i++) {
            List<Channel> dialed = new ArrayList<>();
            if (i % 4 == 3) {
                CompletableFuture<UpgradedConnection> failed = dial(mplexOnly, addr, dialed);
                UpgradeException e = assertInstanceOf(UpgradeException.class, awaitFailure(take(accepted)));
                assertEquals(UpgradeStage.MUXER_NEGOTIATION, e.stage());
                gatedFailures++;
                failed.handle((c, t) -> null).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
                all.add(take(acceptedChannels));
                all.addAll(dialed);
                continue;
            }
            UpgradedConnection d = await(dial(dialer, addr, dialed));
            UpgradedConnection l = await(take(accepted));
            all.add(take(acceptedChannels));
            all.add(d.channel());
            // Streams both ways, one echoed and left open on each side.
            assertEchoes(open(d));
            assertEchoes(open(l));
            take(inboundStreams);
            take(inboundStreams);
            (i % 2 == 0 ? d : l).channel().close();
        }
        for (Channel ch : all) {
            awaitClosed(ch);
        }
        assertEquals(15, gatedFailures);
        assertEquals(ResourceUsage.NONE, listenerRm.usage());
        assertEquals(ResourceUsage.NONE, dialerRm.usage());
        assertEquals(ResourceUsage.NONE, listenerRm.usage(peerId(DIALER_KEY)));
    }

    /** Echoes every buffer and records each inbound stream's channel. */
    @ChannelHandler.Sharable
    final class TrackingEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            inboundStreams.add(ctx.channel());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }
    }
}
