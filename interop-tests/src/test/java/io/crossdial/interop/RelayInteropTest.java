package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.protocol.IdentifyInfo;
import io.crossdial.host.relay.CircuitAddr;
import io.crossdial.host.relay.RelayClient;
import io.crossdial.host.relay.RelayConfig;
import io.crossdial.host.relay.RelayProtocols;
import io.crossdial.host.relay.RelayReservation;
import io.crossdial.host.relay.RelayService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Circuit relay v2 with stock js-libp2p (@libp2p/circuit-relay-v2): a js relay for two crossdial peers, and
 * a crossdial relay for js clients. js's relay counts its data limit (128 KiB) over both directions together
 * and sends its duration limit in ms, so the echoes here are 16 KiB.
 */
class RelayInteropTest {
    private static final int ECHO_BYTES = 16 * 1024;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void requireNode() {
        JsPeer.requireAvailable();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        JsPeer.closeAll();
    }

    private record Client(Host host, RelayClient relay, LinkedBlockingQueue<Connection> connections) {}

    private Client client() {
        RelayClient relay = new RelayClient(Peers.STEP_MILLIS);
        LinkedBlockingQueue<Connection> connections = new LinkedBlockingQueue<>();
        Host host = relay.register(Peers.builder()).onConnection(connections::add).build().start();
        relay.bind(host);
        open.add(host);
        open.add(relay);
        return new Client(host, relay, connections);
    }

    private static Connection nextRelayed(Client c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Peers.STEP_MILLIS);
        while (System.nanoTime() < deadline) {
            Connection conn = c.connections.poll(100, TimeUnit.MILLISECONDS);
            if (conn != null && conn.isRelayed()) {
                return conn;
            }
        }
        throw new AssertionError("no relayed connection");
    }

    @Test
    void jsRelayCarriesAConnectionBetweenTwoCrossdialPeers() throws Exception {
        JsPeer jsRelay = JsPeer.relay();
        Multiaddr relayAddr = Multiaddr.fromString(jsRelay.multiaddr());
        Client a = client();
        Client b = client();

        RelayReservation r = a.relay.listenVia(relayAddr).get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);
        assertEquals(jsRelay.peerId(), r.relay().toString());
        assertNotNull(r.voucher(), "js sends a voucher, and it verifies");
        assertEquals(a.host.peerId(), r.voucher().peer());
        assertTrue(r.expireSeconds() > System.currentTimeMillis() / 1000);
        assertEquals(128 * 1024, r.limit().dataBytes());
        Multiaddr circuit = CircuitAddr.of(relayAddr, a.host.peerId());

        Connection ab = b.relay.dial(circuit).get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);
        assertTrue(ab.isRelayed());
        assertEquals(a.host.peerId(), ab.remotePeer());
        assertEquals(3, Peers.ping(ab, 3).size());
        IdentifyInfo id = Peers.identify(ab);
        assertTrue(id.protocols().contains(RelayProtocols.STOP), id::toString);
        Peers.echo(ab, Peers.randomBytes(ECHO_BYTES, 7));

        Connection ba = nextRelayed(a);
        assertEquals(b.host.peerId(), ba.remotePeer());
        assertEquals(1, Peers.ping(ba, 1).size(), "the listener opens streams on the relayed connection too");
    }

    @Test
    void dcutrWithAJsPeerEndsCleanlyAndTheRelayedConnectionStays() throws Exception {
        Host relay = Peers.builder().build().start();
        open.add(relay);
        RelayService service = RelayService.serve(relay, RelayConfig.defaults());
        RelayClient rc = new RelayClient(Peers.STEP_MILLIS);
        io.crossdial.host.dcutr.Dcutr dcutr = new io.crossdial.host.dcutr.Dcutr(Peers.STEP_MILLIS, 5_000);
        LinkedBlockingQueue<java.util.concurrent.CompletableFuture<io.crossdial.host.dcutr.HolepunchResult>> punches =
                new LinkedBlockingQueue<>();
        java.util.concurrent.atomic.AtomicReference<Connection> fromJs = new java.util.concurrent.atomic.AtomicReference<>();
        Host listener = dcutr.register(rc.register(Peers.builder())).onConnection(c -> {
            var f = dcutr.onConnection(c);
            if (f != null) {
                fromJs.set(c);
                punches.add(f);
            }
        }).build().start();
        rc.bind(listener);
        dcutr.bind(listener);
        open.add(listener);
        open.add(rc);
        RelayReservation r = rc.listenVia(Peers.addr(relay)).get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);

        // js dials through the relay with DCUtR on and stays up; crossdial (the inbound side) opens DCUtR
        Thread js = new Thread(() -> JsPeer.dial(r.circuitAddrs().get(0).toString(), 40_000, "--dcutr",
                "--hold-ms", "4000", "--skip", "streams,echo"));
        js.start();
        var punch = punches.poll(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);
        assertNotNull(punch, "DCUtR started on the inbound relayed connection from js");
        // js answers CONNECT only with public addresses it can dial; on loopback it has none and aborts the
        // stream. js may also dial one of our identify listen addresses by itself (its unilateral upgrade) and
        // drop the relayed connection. Either way the exchange ends within its timeouts, with no hang: a
        // direct connection, or a typed failure and a relayed connection that still works.
        try {
            io.crossdial.host.dcutr.HolepunchResult ok = punch.get(2 * Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);
            assertTrue(!ok.direct().isRelayed(), ok::toString);
            assertEquals(1, Peers.ping(ok.direct(), 1).size());
        } catch (ExecutionException failure) {
            var e = assertInstanceOf(io.crossdial.host.dcutr.DcutrException.class, failure.getCause(),
                    failure::toString);
            assertTrue(e.reason() == io.crossdial.host.dcutr.DcutrException.Reason.CLOSED
                    || e.reason() == io.crossdial.host.dcutr.DcutrException.Reason.TIMEOUT, e::toString);
            Connection c = listener.connection(fromJs.get().remotePeer());
            assertNotNull(c, "no connection to js");
            assertEquals(1, Peers.ping(c, 1).size(), "a connection to js stays usable");
        }
        js.join(45_000);
    }

    @Test
    void crossdialRelayServesJsClients() throws Exception {
        Host relay = Peers.builder().build().start();
        open.add(relay);
        RelayService service = RelayService.serve(relay, RelayConfig.defaults());
        String relayAddr = Peers.addr(relay).toString();

        JsPeer jsListener = JsPeer.listen("--relay", relayAddr);
        Map<String, Object> reservation = jsListener.await(e -> "reservation".equals(e.get("event")), 0,
                Peers.STEP_MILLIS);
        @SuppressWarnings("unchecked")
        String jsCircuit = (String) ((List<Object>) reservation.get("multiaddrs")).get(0);
        assertEquals(relayAddr + "/p2p-circuit/p2p/" + jsListener.peerId(), jsCircuit);
        assertEquals(1, service.reservations());

        // a js dialer reaches the js listener through the crossdial relay: ping, identify, echo
        Map<String, Object> dialed = JsPeer.dial(jsCircuit, 30_000, "--echo-bytes", Integer.toString(ECHO_BYTES),
                "--skip", "streams");
        assertEquals(Boolean.TRUE, dialed.get("ok"), dialed::toString);
        assertEquals(jsListener.peerId(), dialed.get("remotePeer"));

        // a crossdial dialer reaches the js listener through the crossdial relay
        Client b = client();
        Connection c = b.relay.dial(Multiaddr.fromString(jsCircuit)).get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);
        assertEquals(jsListener.peerId(), c.remotePeer().toString());
        assertEquals(3, Peers.ping(c, 3).size());
        Peers.echo(c, Peers.randomBytes(ECHO_BYTES, 8));
        assertTrue(service.circuitsOpened() >= 2);
    }
}
