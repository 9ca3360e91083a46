package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import java.util.concurrent.CompletableFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Crossed dials on loopback with port reuse off: each side dials the other at the same moment, two TCP
 * connections come up, and crossdial keeps exactly one (the one whose dialer has the smaller peer ID) and
 * closes the other with a yamux GoAway.
 */
class CrossedDialsTest {
    /** How long the losing connection may take to disappear on both sides, ms. */
    private static final long SETTLE_MILLIS = 3_000;

    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void tearDown() {
        hosts.forEach(Host::close);
        JsPeer.closeAll();
    }

    private Host host() {
        Host h = Peers.host(false);
        hosts.add(h);
        return h;
    }

    private static List<Connection> liveTo(Host host, PeerId peer) {
        return host.connections().stream()
                .filter(c -> c.remotePeer().equals(peer) && c.channel().isActive())
                .toList();
    }

    private static boolean exactlyOneTo(Host host, PeerId peer) {
        return host.connections().stream().filter(c -> c.remotePeer().equals(peer)).count() == 1
                && liveTo(host, peer).size() == 1;
    }

    @Test
    void crossedDialsBetweenCrossdialHostsKeepOneConnectionOnBothSides() throws Exception {
        Host a = host();
        Host b = host();

        CompletableFuture<Connection> aDial = a.dial(Peers.addr(b));
        CompletableFuture<Connection> bDial = b.dial(Peers.addr(a));
        Connection fromA = aDial.get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);
        Connection fromB = bDial.get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);

        assertTrue(Peers.eventually(SETTLE_MILLIS, () -> exactlyOneTo(a, b.peerId()) && exactlyOneTo(b, a.peerId())),
                () -> "a: " + a.connections() + "\nb: " + b.connections());
        Connection aSurvivor = liveTo(a, b.peerId()).get(0);
        Connection bSurvivor = liveTo(b, a.peerId()).get(0);
        // both sides kept the same TCP connection
        assertEquals(aSurvivor.localAddr(), bSurvivor.remoteAddr());
        assertEquals(aSurvivor.remoteAddr(), bSurvivor.localAddr());
        assertTrue(fromA == aSurvivor || a.connection(fromA.remotePeer()) != null, fromA::toString);
        assertTrue(fromB == bSurvivor || b.connection(fromB.remotePeer()) != null, fromB::toString);
        // the rule: the survivor was dialed by the peer with the smaller peer ID
        boolean aDialerWins = java.util.Arrays.compareUnsigned(a.peerId().toBytes(), b.peerId().toBytes()) < 0;
        assertEquals(aDialerWins ? io.crossdial.host.Direction.OUTBOUND : io.crossdial.host.Direction.INBOUND,
                aSurvivor.direction());

        assertEquals(1, Peers.ping(aSurvivor, 1).size());
        assertEquals(1, Peers.ping(bSurvivor, 1).size());
    }

    @Test
    void crossedDialsWithJsKeepOneConnectionOnBothSides() throws Exception {
        JsPeer.requireAvailable();
        JsPeer js = JsPeer.serve();
        Host host = host();
        PeerId jsPeer = PeerId.fromString(js.peerId());

        int from = js.mark();
        js.send(Map.of("cmd", "dial", "addr", Peers.addr(host).toString(),
                "skip", List.of("ping", "identify", "echo", "streams")));
        CompletableFuture<Connection> ours = host.dial(Multiaddr.fromString(js.multiaddr()));
        Connection dialed = ours.get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);
        js.await(e -> "dialing".equals(e.get("event")), from, Peers.STEP_MILLIS);
        // js's own dial may succeed or see its connection closed by our GoAway: either is fine here
        js.await(e -> "dialed".equals(e.get("event")), from, Peers.STEP_MILLIS);

        assertTrue(Peers.eventually(SETTLE_MILLIS, () -> exactlyOneTo(host, jsPeer)), () -> host.connections()
                + js.diagnostics());
        assertTrue(Peers.eventually(SETTLE_MILLIS, () -> ((Number) js.request(Map.of("cmd", "connections"),
                "connections", 5_000).get("count")).longValue() == 1), js::diagnostics);
        Connection survivor = liveTo(host, jsPeer).get(0);
        assertTrue(dialed == survivor || host.connection(jsPeer) != null, dialed::toString);
        // js's one connection is the same TCP connection as ours
        Map<String, Object> jsView = js.request(Map.of("cmd", "connections"), "connections", 5_000);
        @SuppressWarnings("unchecked")
        Map<String, Object> jsConn = ((List<Map<String, Object>>) jsView.get("list")).get(0);
        assertEquals(host.peerId().toString(), jsConn.get("remotePeer"));
        assertEquals(survivor.direction() == io.crossdial.host.Direction.OUTBOUND ? "inbound" : "outbound",
                jsConn.get("direction"));
        assertEquals(1, Peers.ping(survivor, 1).size());
        // the dials really crossed: js had a connection each way
        List<Object> jsDirections = js.lines().stream().filter(e -> "connection:open".equals(e.get("event")))
                .map(e -> e.get("direction")).toList();
        assertTrue(jsDirections.contains("inbound") && jsDirections.contains("outbound"), js::diagnostics);
    }
}
