package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.PeerIdMismatchException;
import io.crossdial.host.Connection;
import io.crossdial.host.Direction;
import io.crossdial.host.Host;
import io.crossdial.host.protocol.IdentifyInfo;
import io.crossdial.upgrader.UpgradeException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** crossdial dials a stock js-libp2p listener (peer.mjs listen). */
class CrossdialDialsJsTest {
    private Host host;

    @BeforeEach
    void requireNode() {
        JsPeer.requireAvailable();
    }

    @AfterEach
    void tearDown() {
        if (host != null) {
            host.close();
        }
        JsPeer.closeAll();
    }

    @Test
    void crossdialDialerPingsEchoesAndRunsSixteenConcurrentStreamsOnJsListener() throws Exception {
        JsPeer js = JsPeer.listen();
        host = Peers.host(false);

        Connection c = host.dial(Multiaddr.fromString(js.multiaddr())).get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);
        assertEquals(js.peerId(), c.remotePeer().toString());
        assertEquals("/noise", c.security());
        assertEquals("/yamux/1.0.0", c.muxer());
        assertEquals(Direction.OUTBOUND, c.direction());

        assertEquals(3, Peers.ping(c, 3).size());
        IdentifyInfo id = Peers.identify(c);
        assertTrue(id.agentVersion().startsWith("js-libp2p/"), id::toString);
        assertTrue(id.protocols().containsAll(List.of("/ipfs/ping/1.0.0", "/ipfs/id/1.0.0", "/echo/1.0.0")),
                id::toString);
        assertEquals(c.remotePeer(), PeerId.fromPublicKey(id.publicKey()), "the announced key is js's identity");
        // js-libp2p appends our /p2p/ to the observed address
        assertEquals(c.localAddr(), id.observedAddr().withoutPeerId(), "js observed our side of the connection");
        Peers.echo(c, Peers.randomBytes(1 << 20, 1));
        Peers.concurrentEchoes(c, 16, 64 * 1024);

        Map<String, Object> opened = js.await(e -> "connection:open".equals(e.get("event")), 0, 5_000);
        assertEquals(host.peerId().toString(), opened.get("remotePeer"));
        assertEquals("inbound", opened.get("direction"));
        // js saw all 17 echo streams end well
        assertTrue(Peers.eventually(5_000, () -> js.lines().stream()
                .filter(e -> "echo".equals(e.get("event")) && Boolean.TRUE.equals(e.get("ok"))).count() == 17),
                js::diagnostics);
    }

    @Test
    void dialFromListenPortWithPoisonByteLeavesJsListenerUndisturbed() throws Exception {
        JsPeer js = JsPeer.listen();
        host = Peers.host(true); // port reuse on: the dial goes out from the listen port, urgent byte first
        int listenPort = host.listenAddrs().get(0).toSocketAddress().getPort();

        Connection c = host.dial(Multiaddr.fromString(js.multiaddr())).get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);
        assertEquals(listenPort, c.localAddr().toSocketAddress().getPort(), "the dial left from the listen port");
        assertNotNull(c.simopen(), "a dial from a listen port runs simultaneous-open detection");
        assertEquals(3, Peers.ping(c, 3).size());
        Peers.echo(c, Peers.randomBytes(1 << 20, 2));

        Map<String, Object> opened = js.await(e -> "connection:open".equals(e.get("event")), 0, 5_000);
        String remote = (String) opened.get("remoteAddr");
        assertTrue(remote.startsWith("/ip4/127.0.0.1/tcp/" + listenPort + "/"),
                () -> "js saw the dial from " + remote + ", expected port " + listenPort);
        assertTrue(js.lines().stream().noneMatch(e -> "error".equals(e.get("event"))), js::diagnostics);
    }

    @Test
    void dialWithWrongPeerIdFailsWithPeerIdMismatch() {
        JsPeer js = JsPeer.listen();
        host = Peers.host(false);
        PeerId other = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        Multiaddr wrong = Multiaddr.fromString(js.multiaddr()).withoutPeerId().withPeerId(other);

        UpgradeException e = assertInstanceOf(UpgradeException.class,
                assertThrows(ExecutionException.class,
                        () -> host.dial(wrong).get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS)).getCause());
        assertTrue(e.getMessage().contains("peer ID mismatch"), e::getMessage);
        assertTrue(e.getMessage().contains(js.peerId()), () -> "names the remote's real peer ID: " + e.getMessage());
        PeerIdMismatchException mismatch = null;
        for (Throwable t = e; t != null && mismatch == null; t = t.getCause()) {
            mismatch = t instanceof PeerIdMismatchException m ? m : null;
        }
        assertNotNull(mismatch, "a PeerIdMismatchException in the cause chain");
        assertEquals(other, mismatch.expected());
        assertEquals(js.peerId(), mismatch.actual().toString());
        assertEquals(List.of(), List.copyOf(host.connections()));
    }
}
