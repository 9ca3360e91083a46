package io.crossdial.host.dcutr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.Role;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.HostBuilder;
import io.crossdial.host.dcutr.pb.DcutrProtos.HolePunch;
import io.crossdial.host.protocol.PingClient;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.host.relay.CircuitAddr;
import io.crossdial.host.relay.RelayClient;
import io.crossdial.host.relay.RelayConfig;
import io.crossdial.host.relay.RelayService;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** DCUtR over real loopback sockets: a crossdial relay, an opener behind it and a dialer that holes through. */
class DcutrLoopbackTest {
    private static final long W = 10_000;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private static HostBuilder base(PrivateKey key) {
        return Host.builder().identity(key).listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))
                .security(new NoiseSecurityTransport()).muxer(new YamuxStreamMuxer());
    }

    private Host relay() {
        Host h = base(Keys.generateEd25519()).build().start();
        open.add(h);
        RelayService.serve(h, RelayConfig.defaults());
        return h;
    }

    private record Peer(Host host, RelayClient relay, Dcutr dcutr,
            java.util.concurrent.BlockingQueue<Future> punches) {}

    private record Future(java.util.concurrent.CompletableFuture<HolepunchResult> f) {}

    private Peer peer(boolean openOnInbound) {
        RelayClient rc = new RelayClient(W);
        Dcutr d = new Dcutr(W, 5_000);
        java.util.concurrent.BlockingQueue<Future> punches = new java.util.concurrent.LinkedBlockingQueue<>();
        Host h = d.register(rc.register(base(Keys.generateEd25519()))).onConnection(c -> {
            if (openOnInbound) {
                var f = d.onConnection(c);
                if (f != null) {
                    punches.add(new Future(f));
                }
            }
        }).build().start();
        rc.bind(h);
        d.bind(h);
        open.add(h);
        open.add(rc);
        return new Peer(h, rc, d, punches);
    }

    @Test
    void upgradesARelayedConnectionToADirectOneAndClosesTheRelayedOne() throws Exception {
        Host relay = relay();
        Multiaddr relayAddr = relay.listenAddrs().get(0).withPeerId(relay.peerId());
        Peer listener = peer(true);
        Peer dialer = peer(false);
        listener.relay.listenVia(relayAddr).get(W, TimeUnit.MILLISECONDS);
        assertEquals(List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/"
                + listener.host.listenAddrs().get(0).toSocketAddress().getPort())), listener.dcutr.observedAddrs(),
                "the relay saw the listener's listen port (the dial went out from it)");

        Connection relayed = dialer.relay.dial(CircuitAddr.of(relayAddr, listener.host.peerId()))
                .get(W, TimeUnit.MILLISECONDS);
        assertTrue(relayed.isRelayed());
        Future punch = listener.punches.poll(W, TimeUnit.MILLISECONDS);
        assertNotNull(punch, "the inbound side opened DCUtR");
        HolepunchResult r = punch.f().get(3 * W, TimeUnit.MILLISECONDS);
        assertFalse(r.direct().isRelayed());
        assertEquals(dialer.host.peerId(), r.direct().remotePeer());
        // on loopback a first attempt can lose to its own crossed dials (both connects on one 4-tuple); the
        // NAT lab (HolepunchLabTest) pins attempt 1
        assertTrue(r.attempts() >= 1 && r.attempts() <= Dcutr.MAX_ATTEMPTS, r::toString);
        assertEquals(Dcutr.hint(true, r.attempts()), r.roleHint(), "the opener is the server");
        assertTrue(r.rttNanos() > 0);
        assertTrue(waitFor(() -> !relayed.channel().isActive()), "the relayed connection is closed");
        HolepunchResult d = dialer.dcutr.result(listener.host.peerId()).get(W, TimeUnit.MILLISECONDS);
        assertFalse(d.direct().isRelayed());
        PingClient ping = d.direct().newStream(s -> new PingClient(s, Duration.ofSeconds(5)), ProtocolIds.PING)
                .get(W, TimeUnit.MILLISECONDS);
        assertTrue(ping.ping().get(W, TimeUnit.MILLISECONDS) > 0, "a ping over the direct connection");
    }

    /**
     * On loopback nothing stands between the two dials: one SYN can reach the other's listener before that side
     * dials, and its own dial from the listen port then finds the 4-tuple taken. That dial waits for the inbound
     * connection instead of dialing again from an ephemeral port, so there is one direct connection, both
     * results hand it out, and it is not closed afterwards as the loser of a crossed dial.
     */
    @Test
    void bothSidesHandOutTheOneDirectConnectionAndItStaysOpen() throws Exception {
        for (int round = 0; round < 10; round++) {
            Host relay = relay();
            Multiaddr relayAddr = relay.listenAddrs().get(0).withPeerId(relay.peerId());
            Peer listener = peer(true);
            Peer dialer = peer(false);
            listener.relay.listenVia(relayAddr).get(W, TimeUnit.MILLISECONDS);
            dialer.relay.dial(CircuitAddr.of(relayAddr, listener.host.peerId())).get(W, TimeUnit.MILLISECONDS);
            Future punch = listener.punches.poll(W, TimeUnit.MILLISECONDS);
            assertNotNull(punch, "the inbound side opened DCUtR");
            HolepunchResult l = punch.f().get(3 * W, TimeUnit.MILLISECONDS);
            HolepunchResult d = dialer.dcutr.result(listener.host.peerId()).get(3 * W, TimeUnit.MILLISECONDS);
            Thread.sleep(200); // a crossed dial's loser would be closed by now
            String where = "round " + round + ": " + l + " / " + d;
            assertTrue(l.direct().channel().isActive(), "the listener's result is open, " + where);
            assertTrue(d.direct().channel().isActive(), "the dialer's result is open, " + where);
            assertEquals(l.direct().localAddr().toSocketAddress(), d.direct().remoteAddr().toSocketAddress(), where);
            assertEquals(1, listener.host.connections().stream().filter(c -> !c.isRelayed()
                    && c.remotePeer().equals(dialer.host.peerId())).count(), where);
            assertEquals(1, dialer.host.connections().stream().filter(c -> !c.isRelayed()
                    && c.remotePeer().equals(listener.host.peerId())).count(), where);
            PingClient ping = d.direct().newStream(s -> new PingClient(s, Duration.ofSeconds(5)), ProtocolIds.PING)
                    .get(W, TimeUnit.MILLISECONDS);
            assertTrue(ping.ping().get(W, TimeUnit.MILLISECONDS) > 0, where);
            tearDown();
            open.clear();
        }
    }

    @Test
    void failsCleanlyWhenTheRemoteDoesNotSpeakDcutr() throws Exception {
        Host relay = relay();
        Multiaddr relayAddr = relay.listenAddrs().get(0).withPeerId(relay.peerId());
        Peer listener = peer(true);
        RelayClient plain = new RelayClient(W);
        Host other = plain.register(base(Keys.generateEd25519())).build().start();
        plain.bind(other);
        open.add(other);
        listener.relay.listenVia(relayAddr).get(W, TimeUnit.MILLISECONDS);
        Connection relayed = plain.dial(CircuitAddr.of(relayAddr, listener.host.peerId()))
                .get(W, TimeUnit.MILLISECONDS);
        Future punch = listener.punches.poll(W, TimeUnit.MILLISECONDS);
        DcutrException e = assertInstanceOf(DcutrException.class,
                assertThrows(ExecutionException.class, () -> punch.f().get(W, TimeUnit.MILLISECONDS)).getCause());
        assertEquals(DcutrException.Reason.UNSUPPORTED, e.reason());
        assertTrue(relayed.channel().isActive(), "the relayed connection stays");
    }

    @Test
    void refusesBadMessagesWithATypedErrorAndKeepsTheRelayedConnection() throws Exception {
        Host relay = relay();
        Multiaddr relayAddr = relay.listenAddrs().get(0).withPeerId(relay.peerId());
        Peer answering = peer(false);
        RelayClient rc = new RelayClient(W);
        Host opener = rc.register(base(Keys.generateEd25519())).build().start();
        rc.bind(opener);
        open.add(opener);
        answering.relay.listenVia(relayAddr).get(W, TimeUnit.MILLISECONDS);
        Connection relayed = rc.dial(CircuitAddr.of(relayAddr, answering.host.peerId())).get(W, TimeUnit.MILLISECONDS);
        byte[][] inputs = {
            {(byte) 0x88, 0x27, 1}, // a 5000-byte length prefix
            {0x02, 0x7f, 0x00}, // not a protobuf
            {0x03, 0x08, (byte) 0xac, 0x02}, // SYNC where CONNECT is due
            {0x02, 0x08, 0x05}, // an unknown type
        };
        DcutrException.Reason[] expected = {DcutrException.Reason.TOO_LARGE, DcutrException.Reason.MALFORMED,
            DcutrException.Reason.UNEXPECTED_MESSAGE, DcutrException.Reason.MALFORMED};
        for (int i = 0; i < inputs.length; i++) {
            assertEquals(0, raw(relayed, inputs[i]).length, "the answerer closes the stream, sending nothing");
            var result = answering.dcutr.result(opener.peerId());
            DcutrException e = assertInstanceOf(DcutrException.class,
                    assertThrows(ExecutionException.class, () -> result.get(W, TimeUnit.MILLISECONDS)).getCause());
            assertEquals(expected[i], e.reason(), e.getMessage());
        }
        assertTrue(relayed.channel().isActive(), "bad DCUtR input does not take the relayed connection down");
    }

    /** Opens a DCUtR stream, writes {@code raw}, returns what came back before the stream closed. */
    private static byte[] raw(Connection c, byte[] raw) throws Exception {
        return io.crossdial.host.RawStreams.exchange(c, Dcutr.PROTOCOL_ID, raw, W);
    }

    @Test
    void keepsOnlyDialableAddresses() {
        PeerId remote = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        PeerId other = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        List<ByteString> raw = new ArrayList<>();
        for (String a : new String[] {"/ip4/198.18.1.2/tcp/4001", "/ip4/198.18.1.2/tcp/4001/p2p/" + remote,
            "/ip4/0.0.0.0/tcp/4001", "/ip4/198.18.1.2/tcp/0", "/ip4/198.18.1.2/udp/4001",
            "/ip4/198.18.1.2/tcp/4002/p2p/" + other, "/ip4/1.1.1.1/tcp/1/p2p/" + other + "/p2p-circuit/p2p/" + remote,
            "/dns4/example.test/tcp/4001", "/ip6/2001:db8::1/tcp/4003"}) {
            raw.add(ByteString.copyFrom(Multiaddr.fromString(a).toBytes()));
        }
        raw.add(ByteString.copyFrom(new byte[] {(byte) 0xff, 1, 2}));
        assertEquals(List.of(Multiaddr.fromString("/ip4/198.18.1.2/tcp/4001"),
                Multiaddr.fromString("/ip6/2001:db8::1/tcp/4003")), Dcutr.dialable(raw, remote));
        List<ByteString> many = new ArrayList<>();
        for (int i = 1; i <= 40; i++) {
            many.add(ByteString.copyFrom(Multiaddr.fromString("/ip4/198.18.1.2/tcp/" + i).toBytes()));
        }
        assertEquals(Dcutr.MAX_ADDRS, Dcutr.dialable(many, remote).size());
    }

    @Test
    void pinsWireConstantsAndRoles() {
        assertEquals("/libp2p/dcutr", Dcutr.PROTOCOL_ID);
        assertEquals(100, HolePunch.Type.CONNECT.getNumber());
        assertEquals(300, HolePunch.Type.SYNC.getNumber());
        // SYNC: type field 1 = 300 (varint ac 02)
        assertArrayEquals(new byte[] {0x08, (byte) 0xac, 0x02},
                HolePunch.newBuilder().setType(HolePunch.Type.SYNC).build().toByteArray());
        assertEquals(Role.RESPONDER, Dcutr.hint(true, 1));
        assertEquals(Role.RESPONDER, Dcutr.hint(true, 2));
        assertEquals(Role.INITIATOR, Dcutr.hint(true, 3), "the last attempt flips, as go-libp2p >= 0.48");
        assertEquals(Role.INITIATOR, Dcutr.hint(false, 1));
        assertEquals(Role.RESPONDER, Dcutr.hint(false, 3));
    }

    static boolean waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + W * 1_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }
}
