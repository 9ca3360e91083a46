package io.crossdial.interop.listen;

import static io.crossdial.interop.listen.ListenRuns.crossdial;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.lab.JsonLines;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code crossdial listen} whose standard output nobody reads (a full pipe, a stopped terminal): its event loops
 * must go on serving. Each connection is a {@code connection} line of about 300 bytes, so a 64 KiB pipe is full
 * after about 200 and the listener's queue of 1,024 lines after about 1,200 more; a listener that printed on its
 * event loops would block the loop of every later connection in the write. The lines that did not fit are
 * counted and the count printed once the output moves.
 */
class ListenCliStuckOutputTest {
    private static final int DIALS = 2_000;

    @Test
    @Timeout(120)
    void aListenerWhoseOutputIsNeverReadGoesOnUpgradingConnectionsAndCountsTheLinesItLeftOut() throws Exception {
        Process listener = new ProcessBuilder(crossdial("listen", "--listen", "/ip4/127.0.0.1/tcp/0", "--json"))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Host dialer = Host.builder()
                .identity(Keys.generateEd25519())
                .security(new NoiseSecurityTransport())
                .muxer(new YamuxStreamMuxer())
                .transportConfig(TcpTransportConfig.defaults().withPortReuse(false))
                .build()
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(listener.getInputStream(),
                    StandardCharsets.UTF_8));
            Map<String, Object> listening = awaitLine(out, "listening");
            Multiaddr target = Multiaddr.fromString(String.valueOf(((List<?>) listening.get("multiaddrs")).get(0)));
            // from here on nobody reads the listener's output
            for (int i = 0; i < DIALS; i++) {
                Connection c = dialer.dial(target).get(10, TimeUnit.SECONDS);
                c.close().awaitUninterruptibly(10_000);
            }
            // SIGTERM through the handle: Process.destroy() would also close the pipe this still reads
            listener.toHandle().destroy(); // the shutdown hook prints what is queued and the summary
            int connections = 0;
            long notShown = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (String line; System.nanoTime() < deadline && (line = out.readLine()) != null; ) {
                if (!line.startsWith("{")) {
                    continue;
                }
                Map<String, Object> event = JsonLines.parseObject(line, line.length(), JsonLines.BigIntegers.REJECT);
                if ("connection".equals(event.get("event"))) {
                    connections++;
                } else if ("inbound-refused".equals(event.get("event"))) {
                    notShown = JsonLines.number(event, "notShown", -1);
                }
            }
            assertTrue(listener.waitFor(30, TimeUnit.SECONDS), "the listener ended");
            System.out.println(DIALS + " connections to a listener nobody read: " + connections
                    + " connection lines printed, " + notShown + " not shown");
            assertTrue(notShown > 0, "the pipe should have filled: " + connections + " lines printed");
            assertEquals(DIALS, connections + notShown, "every line printed or counted");
        } finally {
            dialer.close();
            listener.destroyForcibly();
            listener.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Map<String, Object> awaitLine(BufferedReader out, String event) throws Exception {
        long deadline = System.nanoTime() + ListenRuns.LINE_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            String line = out.readLine();
            if (line == null) {
                break;
            }
            if (line.startsWith("{")) {
                Map<String, Object> m = JsonLines.parseObject(line, line.length(), JsonLines.BigIntegers.REJECT);
                if (event.equals(m.get("event"))) {
                    return m;
                }
            }
        }
        throw new AssertionError("no " + event + " line within " + ListenRuns.LINE_WAIT);
    }
}
