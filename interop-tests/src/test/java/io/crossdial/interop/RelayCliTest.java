package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.cli.Main;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Host;
import io.crossdial.host.dcutr.Dcutr;
import io.crossdial.host.relay.RelayClient;
import io.crossdial.host.relay.RelayConfig;
import io.crossdial.host.relay.RelayReservation;
import io.crossdial.host.relay.RelayService;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code crossdial dial .../p2p-circuit/p2p/PEER [--holepunch]} run in this JVM against a real crossdial relay
 * and a peer reserved on it (with DCUtR), on loopback.
 */
class RelayCliTest {
    private static String run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = Main.run(args);
        } finally {
            System.setOut(original);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        return text.lines().filter(l -> l.contains("\"event\":\"dialed\"")).findFirst()
                .orElseThrow(() -> new AssertionError("no dialed line in: " + text));
    }

    @Test
    @Timeout(90)
    void dialsThroughTheRelayAndUpgradesToDirectWithHolepunch() throws Exception {
        RelayClient client = new RelayClient(Peers.STEP_MILLIS);
        Dcutr dcutr = new Dcutr(Peers.STEP_MILLIS, 5_000);
        try (Host relay = Peers.builder().build().start();
                Host listener = dcutr.register(client.register(Peers.builder()))
                        .onConnection(dcutr::onConnection).build().start()) {
            RelayService.serve(relay, RelayConfig.defaults());
            client.bind(listener);
            dcutr.bind(listener);
            RelayReservation r = client.listenVia(Peers.addr(relay)).get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);
            Multiaddr circuit = r.circuitAddrs().get(0);

            String relayed = run("dial", circuit.toString(), "--echo-bytes", "4096", "--json");
            assertTrue(relayed.contains("\"ok\":true") && relayed.contains("\"relayed\":true"), relayed);
            assertTrue(relayed.contains("\"remoteAddr\":\"" + circuit + "\""), relayed);

            String direct = run("dial", circuit.toString(), "--listen", "/ip4/127.0.0.1/tcp/0", "--holepunch",
                    "--echo-bytes", "4096", "--json");
            assertTrue(direct.contains("\"relayed\":false"), direct);
            assertTrue(direct.contains("\"holepunch\":{\"ok\":true,"), direct);
            client.close();
        }
    }
}
