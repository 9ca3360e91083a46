package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Direction;
import io.crossdial.host.Host;
import io.crossdial.upgrader.UpgradeException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** crossdial dials a stock js-libp2p listener (peer.mjs listen). */
class CrossdialDialsJsTest {
    private Host host;

    @BeforeAll
    static void requireNode() {
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
    void crossdialDialerPingsEchoesAndRunsSixteenConcurrentStreamsOnJsListener() {
        JsPeer js = JsPeer.listen();
        host = Peers.host(false);

        Connection c = host.dialSync(Multiaddr.fromString(js.multiaddr()), Peers.STEP_MILLIS);
        assertEquals(js.peerId(), c.remotePeer().toString());
        assertEquals("/noise", c.security());
        assertEquals("/yamux/1.0.0", c.muxer());
        assertEquals(Direction.OUTBOUND, c.direction());

        assertEquals(3, Peers.ping(c, 3).size());
        // TODO identify: once IdentifyClient is on main, identify js here and assert its agentVersion starts
        // with "js-libp2p/" and its protocols contain /ipfs/ping/1.0.0, /ipfs/id/1.0.0 and /echo/1.0.0.
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
    void dialFromListenPortWithPoisonByteLeavesJsListenerUndisturbed() {
        JsPeer js = JsPeer.listen();
        host = Peers.host(true); // port reuse on: the dial goes out from the listen port, urgent byte first
        int listenPort = host.listenAddrs().get(0).toSocketAddress().getPort();

        Connection c = host.dialSync(Multiaddr.fromString(js.multiaddr()), Peers.STEP_MILLIS);
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

        UpgradeException e = assertThrows(UpgradeException.class, () -> host.dialSync(wrong, Peers.STEP_MILLIS));
        assertTrue(e.getMessage().contains("peer ID mismatch"), e::getMessage);
        assertTrue(e.getMessage().contains(js.peerId()), () -> "names the remote's real peer ID: " + e.getMessage());
        assertEquals(List.of(), List.copyOf(host.connections()));
    }
}
