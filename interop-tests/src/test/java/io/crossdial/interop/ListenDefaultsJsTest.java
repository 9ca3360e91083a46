package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crossdial.cli.lab.SimopenLab;
import io.crossdial.lab.LabPeer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A {@code crossdial listen} process with no {@code --security} or {@code --muxer} option accepts every
 * security transport and stream muxer it has: a stock js-libp2p dialer that offers exactly one security
 * transport and one muxer connects with each of the four pairs (ping, identify, a 1 MiB echo), and the pair
 * it offered is the one negotiated.
 */
class ListenDefaultsJsTest {
    private static final Duration LINE_WAIT = Duration.ofSeconds(20);
    private static LabPeer listener;
    private static String target;

    @BeforeAll
    static void startListener() {
        JsPeer.requireAvailable();
        List<String> argv = new ArrayList<>(SimopenLab.classPathPeerCommand());
        argv.addAll(List.of("listen", "--listen", "/ip4/127.0.0.1/tcp/0", "--json"));
        listener = LabPeer.start("listen", new ProcessBuilder(argv));
        Map<String, Object> listening = listener.awaitEvent("listening", LINE_WAIT);
        target = String.valueOf(((List<?>) listening.get("multiaddrs")).get(0));
    }

    @AfterAll
    static void stopListener() {
        if (listener != null) {
            listener.close();
        }
        JsPeer.closeAll();
    }

    @ParameterizedTest(name = "js offering only {0} + {1} dials a default crossdial listen")
    @CsvSource({"noise, yamux, /noise, /yamux/1.0.0", "noise, mplex, /noise, /mplex/6.7.0",
            "tls, yamux, /tls/1.0.0, /yamux/1.0.0", "tls, mplex, /tls/1.0.0, /mplex/6.7.0"})
    @Timeout(60)
    void jsOfferingOnePairConnects(String security, String muxer, String securityId, String muxerId) {
        Map<String, Object> r = JsPeer.dial(target, 30_000, "--security", security, "--muxer", muxer, "--skip",
                "streams");
        assertEquals(Boolean.TRUE, r.get("ok"), r::toString);
        assertEquals(securityId, r.get("encryption"), r::toString);
        assertEquals(muxerId, r.get("multiplexer"), r::toString);
        assertEquals(1 << 20, ((Number) r.get("echoBytes")).intValue(), r::toString);
        Map<String, Object> connection = listener.awaitEvent("connection", LINE_WAIT);
        assertEquals(securityId, connection.get("security"), connection::toString);
        assertEquals(muxerId, connection.get("muxer"), connection::toString);
    }
}
