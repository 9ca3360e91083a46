package io.crossdial.host.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.relay.pb.CircuitProtos.HopMessage;
import io.crossdial.host.relay.pb.CircuitProtos.Status;
import io.crossdial.upgrader.RelayResourceLimits;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Circuit relay v2 over real loopback sockets: a crossdial relay and crossdial clients. */
class RelayLoopbackTest {
    private static final long W = RelayPeers.WAIT_MILLIS;

    @Test
    void reservesThenRelaysPingAndEchoBothWays() throws Exception {
        try (RelayPeers peers = new RelayPeers()) {
            RelayPeers.Relay relay = peers.relay(RelayResourceLimits.DEFAULT);
            RelayPeers.Client a = peers.client();
            RelayPeers.Client b = peers.client();
            RelayReservation r = a.relay.listenVia(relay.addr()).get(W, TimeUnit.MILLISECONDS);
            assertEquals(relay.host.peerId(), r.relay());
            assertTrue(r.expireSeconds() > System.currentTimeMillis() / 1000 + 3500, "an hour ahead");
            assertEquals(RelayLimit.DEFAULT, r.limit());
            assertNotNull(r.voucher());
            assertEquals(new Voucher(relay.host.peerId(), a.host.peerId(), r.expireSeconds()), r.voucher());
            Multiaddr circuit = r.circuitAddrs().get(0);
            assertEquals(relay.addr() + "/p2p-circuit/p2p/" + a.host.peerId(), circuit.toString());
            assertEquals(1, relay.service.reservations());
            assertEquals(1, relay.resources.relayReservations(), "the reservation is the resource manager's");

            Connection ab = b.relay.dial(circuit).get(W, TimeUnit.MILLISECONDS);
            assertTrue(ab.isRelayed());
            assertEquals(a.host.peerId(), ab.remotePeer());
            assertEquals(circuit, ab.remoteAddr());
            assertEquals("/noise", ab.security());
            assertTrue(RelayPeers.ping(ab) > 0);
            byte[] data = new byte[16 * 1024];
            new SecureRandom().nextBytes(data);
            assertArrayEquals(data, RelayPeers.echo(ab, data));

            Connection ba = a.nextRelayed();
            assertEquals(b.host.peerId(), ba.remotePeer());
            assertEquals(relay.addr() + "/p2p-circuit/p2p/" + b.host.peerId(), ba.remoteAddr().toString());
            assertTrue(RelayPeers.ping(ba) > 0, "the listener can open streams too");
            assertEquals(1, relay.service.circuits());
            assertEquals(1, relay.resources.relayCircuits(), "the circuit is the resource manager's");
            ab.close().await(W);
            assertTrue(waitFor(() -> relay.service.circuits() == 0), "the circuit is freed when it closes");
            assertTrue(waitFor(() -> relay.resources.relayCircuits() == 0), "and released in the resource manager");
        }
    }

    @Test
    void resetsTheCircuitAtItsDataLimitAndKeepsServing() throws Exception {
        try (RelayPeers peers = new RelayPeers()) {
            RelayPeers.Relay relay = peers.relay(RelayResourceLimits.DEFAULT.withCircuitLimit(0, 20_000));
            RelayPeers.Client a = peers.client();
            RelayPeers.Client b = peers.client();
            RelayReservation r = a.relay.listenVia(relay.addr()).get(W, TimeUnit.MILLISECONDS);
            assertEquals(new RelayLimit(0, 20_000), r.limit());
            Connection ab = b.relay.dial(r.circuitAddrs().get(0)).get(W, TimeUnit.MILLISECONDS);
            assertInstanceOf(RuntimeException.class, assertThrows(ExecutionException.class,
                    () -> RelayPeers.echo(ab, new byte[64 * 1024]), "64 KiB cannot pass a 20 000-byte circuit")
                    .getCause());
            assertTrue(waitFor(() -> !ab.channel().isActive()), "the relay reset the circuit");
            assertTrue(waitFor(() -> relay.service.circuits() == 0));
            Connection again = b.relay.dial(r.circuitAddrs().get(0)).get(W, TimeUnit.MILLISECONDS);
            assertTrue(RelayPeers.ping(again) > 0, "the relay still serves");
        }
    }

    @Test
    void refusesCircuitToPeerWithoutReservation() throws Exception {
        try (RelayPeers peers = new RelayPeers()) {
            RelayPeers.Relay relay = peers.relay(RelayResourceLimits.DEFAULT);
            RelayPeers.Client b = peers.client();
            PeerId nobody = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
            Exception e = assertInstanceOf(RelayException.class, assertThrows(ExecutionException.class,
                    () -> b.relay.dial(CircuitAddr.of(relay.addr(), nobody)).get(W, TimeUnit.MILLISECONDS)).getCause());
            RelayException re = (RelayException) e;
            assertEquals(RelayException.Reason.REFUSED, re.reason());
            assertEquals(Status.NO_RESERVATION, re.status());
        }
    }

    @Test
    void answersBadHopInputWithStatusAndKeepsServing() throws Exception {
        try (RelayPeers peers = new RelayPeers()) {
            RelayPeers.Relay relay = peers.relay(RelayResourceLimits.DEFAULT);
            RelayPeers.Client a = peers.client();
            Connection toRelay = a.host.dial(relay.addr()).get(W, TimeUnit.MILLISECONDS);
            // MALFORMED_MESSAGE = 400 = varint 90 03; the answer is HopMessage{type STATUS, status 400}
            byte[] malformedAnswer = {0x05, 0x08, 0x02, 0x28, (byte) 0x90, 0x03};
            // a 5000-byte length prefix (88 27): refused before anything is read or allocated
            assertArrayEquals(malformedAnswer, RelayPeers.rawHop(toRelay, new byte[] {(byte) 0x88, 0x27, 1, 2, 3}));
            // a length prefix that is not a varint (ten continuation bytes)
            assertArrayEquals(malformedAnswer, RelayPeers.rawHop(toRelay,
                    new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1}));
            // bytes that are not a protobuf (field 15, wire type 7)
            assertArrayEquals(malformedAnswer, RelayPeers.rawHop(toRelay, new byte[] {0x02, 0x7f, 0x00}));
            // CONNECT without a peer
            assertArrayEquals(malformedAnswer, RelayPeers.rawHop(toRelay, new byte[] {0x02, 0x08, 0x01}));
            // STATUS is an answer, not a request: UNEXPECTED_MESSAGE = 401 = 91 03
            assertArrayEquals(new byte[] {0x05, 0x08, 0x02, 0x28, (byte) 0x91, 0x03},
                    RelayPeers.rawHop(toRelay, new byte[] {0x02, 0x08, 0x02}));
            assertTrue(toRelay.channel().isActive(), "bad streams do not take the connection down");
            assertEquals(5, relay.service.malformedRequests());
            RelayReservation r = a.relay.reserve(toRelay).get(W, TimeUnit.MILLISECONDS);
            assertEquals(relay.host.peerId(), r.relay());
        }
    }

    @Test
    void refusesReservationFloodPastTheBoundAndKeepsServing() throws Exception {
        try (RelayPeers peers = new RelayPeers()) {
            RelayPeers.Relay relay = peers.relay(RelayResourceLimits.DEFAULT.withReservations(3, 3));
            RelayPeers.Client[] clients = new RelayPeers.Client[6];
            int ok = 0;
            int refused = 0;
            for (int i = 0; i < clients.length; i++) {
                clients[i] = peers.client();
                Connection c = clients[i].host.dial(relay.addr()).get(W, TimeUnit.MILLISECONDS);
                try {
                    clients[i].relay.reserve(c).get(W, TimeUnit.MILLISECONDS);
                    ok++;
                } catch (ExecutionException failure) {
                    RelayException e = assertInstanceOf(RelayException.class, failure.getCause());
                    assertEquals(Status.RESERVATION_REFUSED, e.status());
                    refused++;
                }
            }
            assertEquals(3, ok);
            assertEquals(3, refused);
            assertEquals(3, relay.service.refusedForLimits());
            // a refresh from a holder still works, and the first client is reachable
            Connection c0 = clients[0].host.connection(relay.host.peerId());
            clients[0].relay.reserve(c0).get(W, TimeUnit.MILLISECONDS);
            Connection relayed = clients[5].relay.dial(
                    CircuitAddr.of(relay.addr(), clients[0].host.peerId())).get(W, TimeUnit.MILLISECONDS);
            assertTrue(RelayPeers.ping(relayed) > 0);
            assertEquals(3, relay.resources.relayReservations());
            // a holder that disconnects frees its slot
            c0.close().await(W);
            assertTrue(waitFor(() -> relay.service.reservations() == 2));
            assertTrue(waitFor(() -> relay.resources.relayReservations() == 2), "released in the resource manager");
        }
    }

    @Test
    void refusesCircuitsPastTheResourceManagersBoundAndFreesThemOnClose() throws Exception {
        try (RelayPeers peers = new RelayPeers()) {
            RelayPeers.Relay relay = peers.relay(RelayResourceLimits.DEFAULT.withCircuits(2, 1));
            RelayPeers.Client a = peers.client();
            RelayPeers.Client b = peers.client();
            RelayPeers.Client c = peers.client();
            Multiaddr toA = a.relay.listenVia(relay.addr()).get(W, TimeUnit.MILLISECONDS).circuitAddrs().get(0);
            Connection first = b.relay.dial(toA).get(W, TimeUnit.MILLISECONDS);
            RelayException e = assertInstanceOf(RelayException.class, assertThrows(ExecutionException.class,
                    () -> c.relay.dial(toA).get(W, TimeUnit.MILLISECONDS)).getCause());
            assertEquals(Status.RESOURCE_LIMIT_EXCEEDED, e.status(), "a is in one circuit, its per-peer bound");
            assertEquals(1, relay.service.refusedForLimits());
            assertEquals(1, relay.resources.relayCircuits());
            first.close().await(W);
            assertTrue(waitFor(() -> relay.resources.relayCircuits() == 0), "released when the circuit closes");
            Connection again = c.relay.dial(toA).get(W, TimeUnit.MILLISECONDS);
            assertTrue(RelayPeers.ping(again) > 0);
        }
    }

    @Test
    void refusesReservationsPerIpPastTheBound() throws Exception {
        try (RelayPeers peers = new RelayPeers()) {
            RelayPeers.Relay relay = peers.relay(RelayResourceLimits.DEFAULT.withReservations(100, 2));
            int refused = 0;
            for (int i = 0; i < 4; i++) {
                RelayPeers.Client c = peers.client();
                try {
                    c.relay.reserve(c.host.dial(relay.addr()).get(W, TimeUnit.MILLISECONDS))
                            .get(W, TimeUnit.MILLISECONDS);
                } catch (ExecutionException failure) {
                    assertInstanceOf(RelayException.class, failure.getCause());
                    refused++;
                }
            }
            assertEquals(2, refused, "loopback clients share one IP");
        }
    }

    @Test
    void framesAreLengthPrefixedProtobuf() {
        io.netty.buffer.ByteBuf f = RelayFrames.encode(HopMessage.newBuilder().setType(HopMessage.Type.RESERVE).build(),
                io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, RelayProtocols.MAX_MESSAGE_BYTES);
        try {
            byte[] out = new byte[f.readableBytes()];
            f.getBytes(0, out);
            assertArrayEquals(new byte[] {0x02, 0x08, 0x00}, out, "RESERVE: type field 1 = 0");
            assertArrayEquals(new byte[] {0x08, 0x00}, RelayFrames.tryRead(f, RelayProtocols.MAX_MESSAGE_BYTES));
        } finally {
            f.release();
        }
        io.netty.buffer.ByteBuf partial = io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {0x05, 0x08});
        try {
            assertEquals(null, RelayFrames.tryRead(partial, 4096));
            assertEquals(0, partial.readerIndex(), "an incomplete frame leaves the reader index");
        } finally {
            partial.release();
        }
        io.netty.buffer.ByteBuf big = io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, 0x20});
        try {
            RelayException e = assertThrows(RelayException.class, () -> RelayFrames.tryRead(big, 4096));
            assertEquals(RelayException.Reason.TOO_LARGE, e.reason(), "4097 bytes is one too many");
        } finally {
            big.release();
        }
        assertEquals(4096, RelayProtocols.MAX_MESSAGE_BYTES);
        assertEquals("/libp2p/circuit/relay/0.2.0/hop", RelayProtocols.HOP);
        assertEquals("/libp2p/circuit/relay/0.2.0/stop", RelayProtocols.STOP);
    }

    @Test
    void vouchersVerifyAndRefuseTampering() {
        var relayKey = Keys.generateEd25519();
        PeerId relay = PeerId.fromPublicKey(relayKey.publicKey());
        PeerId peer = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        Voucher v = new Voucher(relay, peer, 1_900_000_000L);
        byte[] sealed = v.seal(relayKey);
        assertEquals(v, Voucher.open(sealed));
        byte[] tampered = sealed.clone();
        tampered[tampered.length - 1] ^= 1;
        assertEquals(RelayException.Reason.MALFORMED,
                assertThrows(RelayException.class, () -> Voucher.open(tampered)).reason());
        assertThrows(RelayException.class, () -> Voucher.open(new byte[] {1, 2, 3}));
        assertThrows(IllegalArgumentException.class, () -> new Voucher(peer, peer, 1).seal(relayKey));
        // RFC 0002: uvarint(17) "libp2p-relay-rsvp" uvarint(2) 03 02 uvarint(n) payload
        byte[] signed = Voucher.signedBytes(new byte[] {3, 2}, new byte[] {9});
        byte[] expected = new byte[1 + 17 + 1 + 2 + 1 + 1];
        expected[0] = 17;
        System.arraycopy("libp2p-relay-rsvp".getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, expected, 1, 17);
        expected[18] = 2;
        expected[19] = 3;
        expected[20] = 2;
        expected[21] = 1;
        expected[22] = 9;
        assertArrayEquals(expected, signed);
    }

    @Test
    void parsesCircuitAddresses() {
        PeerId r = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        PeerId t = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        Multiaddr relayAddr = Multiaddr.fromString("/ip4/10.0.0.1/tcp/4001/p2p/" + r);
        CircuitAddr ca = CircuitAddr.parse(CircuitAddr.of(relayAddr, t));
        assertEquals(relayAddr, ca.relayAddr());
        assertEquals(r, ca.relay());
        assertEquals(t, ca.target());
        assertTrue(CircuitAddr.isCircuit(ca.toMultiaddr()));
        assertFalse(CircuitAddr.isCircuit(relayAddr));
        for (String bad : new String[] {"/ip4/10.0.0.1/tcp/4001/p2p-circuit/p2p/" + t,
            "/ip4/10.0.0.1/tcp/4001/p2p/" + r + "/p2p-circuit",
            "/ip4/10.0.0.1/tcp/4001/p2p/" + r + "/p2p-circuit/p2p/" + t + "/p2p-circuit/p2p/" + t}) {
            assertInstanceOf(io.crossdial.core.multiaddr.MultiaddrException.class,
                    assertThrows(RuntimeException.class, () -> CircuitAddr.parse(Multiaddr.fromString(bad))), bad);
        }
        assertFalse(Arrays.asList(ca.toString()).isEmpty());
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
