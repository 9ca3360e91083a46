package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.host.Host;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A stock js-libp2p dialer (peer.mjs dial) against an in-process crossdial listener. */
class JsDialsCrossdialTest {
    private Host host;

    @BeforeEach
    void requireNode() {
        JsPeer.requireAvailable();
    }

    @AfterEach
    void tearDown() {
        JsPeer.closeAll();
        if (host != null) {
            host.close();
        }
    }

    @Test
    void jsDialerPingsEchoesAndOpensSixteenStreamsOnCrossdialListener() {
        host = Peers.host(true);
        String addr = Peers.addr(host).toString();

        Map<String, Object> dialed = JsPeer.dial(addr, 30_000,
                "--echo-bytes", "1048576", "--streams", "16", "--stream-bytes", "65536");

        assertNull(dialed.get("error"), () -> "js dialer failed: " + dialed);
        assertEquals(Boolean.TRUE, dialed.get("ok"), dialed::toString);
        assertEquals(host.peerId().toString(), dialed.get("remotePeer"));
        assertEquals("/noise", dialed.get("encryption"));
        assertEquals("/yamux/1.0.0", dialed.get("multiplexer"));
        assertEquals(3, ((List<?>) dialed.get("pingRttMs")).size());
        @SuppressWarnings("unchecked")
        Map<String, Object> identify = (Map<String, Object>) dialed.get("identify");
        assertTrue(((String) identify.get("agentVersion")).startsWith("crossdial/"), identify::toString);
        assertTrue(((List<?>) identify.get("protocols")).containsAll(List.of("/ipfs/ping/1.0.0", "/ipfs/id/1.0.0",
                "/echo/1.0.0", "/perf/1.0.0")), identify::toString);
        assertEquals(List.of(host.listenAddrs().get(0).toString()), identify.get("listenAddrs"));
        assertEquals(1_048_576L, dialed.get("echoBytes"));
        assertEquals(16L, dialed.get("streams"));
        assertEquals(65_536L, dialed.get("streamBytes"));
        // the connection was inbound here and its remote address is the js dialer's local address
        assertTrue(dialed.containsKey("localAddr"), dialed::toString);
        String jsLocal = (String) dialed.get("localAddr");
        assertNotNull(jsLocal, "the js peer reports its socket's local address");
        assertTrue(jsLocal.startsWith("/ip4/127.0.0.1/tcp/"), jsLocal);
    }
}
