package io.crossdial.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.transport.tcp.ConnectionLimitException;
import io.crossdial.transport.tcp.ConnectionLimitException.Limit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link EventOutput}: lines in the order handed over, inbound refusals one per limit and window with the rest
 * summed up, and never blocking the reporter.
 */
class EventOutputTest {
    private static final InetSocketAddress FROM = new InetSocketAddress("192.0.2.7", 4001);

    private static ConnectionLimitException refused(Limit limit) {
        return new ConnectionLimitException(limit, 64, "refused by " + limit.optionName());
    }

    private static List<String> lines(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    @Timeout(20)
    void theFirstRefusalOfEachLimitIsPrintedAndTheRestSummedUp() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        EventOutput log = new EventOutput(false, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                TimeUnit.HOURS.toNanos(1));
        for (int i = 0; i < 5; i++) {
            log.inboundFailure(FROM, refused(Limit.INBOUND_RATE_PER_ADDRESS));
        }
        log.inboundFailure(FROM, new IllegalStateException("wrapped", refused(Limit.MAX_HANDSHAKES_PER_ADDRESS)));
        log.inboundFailure(FROM, refused(Limit.MAX_HANDSHAKES_PER_ADDRESS));
        log.inboundFailure(FROM, new java.io.IOException("handshake timed out"));
        log.inboundFailure(FROM, new java.io.IOException("handshake timed out"));
        log.close();
        assertEquals(List.of(
                "inbound connection from /192.0.2.7:4001 failed: refused by inbound-rate-per-address",
                "inbound connection from /192.0.2.7:4001 failed: IllegalStateException: wrapped",
                "inbound connection from /192.0.2.7:4001 failed: IOException: handshake timed out",
                "inbound connection from /192.0.2.7:4001 failed: IOException: handshake timed out"),
                lines(bytes).subList(0, 4));
        String summary = lines(bytes).get(4);
        assertTrue(summary.matches("refused 5 more inbound connections in the last [0-9.]+ s: "
                + "max-handshakes-per-address 1, inbound-rate-per-address 4"), summary);
        assertEquals(5, lines(bytes).size());
    }

    @Test
    @Timeout(20)
    void eachWindowPrintsItsFirstRefusalAgainAndJsonSumsUpPerOption() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        EventOutput log = new EventOutput(true, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                TimeUnit.SECONDS.toNanos(1));
        log.inboundFailure(FROM, refused(Limit.MAX_CONNECTIONS));
        log.inboundFailure(FROM, refused(Limit.MAX_CONNECTIONS));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lines(bytes).size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        log.inboundFailure(FROM, refused(Limit.MAX_CONNECTIONS));
        log.close();
        List<String> out = lines(bytes);
        assertEquals(3, out.size(), out.toString());
        assertTrue(out.get(0).startsWith("{\"event\":\"upgrade-failed\",\"direction\":\"inbound\",\"remoteAddr\":"
                + "\"/192.0.2.7:4001\",\"error\":\"refused by max-connections\""), out.get(0));
        assertTrue(out.get(1).matches("\\{\"event\":\"inbound-refused\",\"seconds\":[0-9.]+,\"counts\":"
                + "\\{\"max-connections\":1},\"notShown\":0}"), out.get(1));
        assertTrue(out.get(2).startsWith("{\"event\":\"upgrade-failed\""), "a new window shows its first again: "
                + out.get(2));
    }

    @Test
    @Timeout(20)
    void aStuckOutputNeverBlocksTheReporterAndWhatDidNotFitIsCounted() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                writing.countDown();
                try {
                    release.await(15, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                bytes.write(b, off, len);
            }
        };
        EventOutput log = new EventOutput(false, new PrintStream(stuck, true, StandardCharsets.UTF_8),
                TimeUnit.HOURS.toNanos(1));
        log.inboundFailure(FROM, new IOException("first"));
        assertTrue(writing.await(10, TimeUnit.SECONDS), "the printer took the first line");
        long start = System.nanoTime();
        for (int i = 0; i < 1999; i++) {
            log.inboundFailure(FROM, new IOException("failure " + i));
        }
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "report blocked");
        release.countDown();
        log.close();
        List<String> out = lines(bytes);
        // the printer holds "first"; the queue takes 1,024 of the other 1,999
        assertEquals((1999 - EventOutput.QUEUE) + " lines not shown (output falling behind)",
                out.get(out.size() - 1));
        assertEquals(1 + EventOutput.QUEUE + 1, out.size());
    }

    @Test
    @Timeout(20)
    void linesComeOutInTheOrderHandedOverFromAnyThreadAndAfterCloseAtOnce() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        EventOutput out = new EventOutput(false, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                TimeUnit.HOURS.toNanos(1));
        out.printFromCommand("crossdial listening as X\n  /ip4/127.0.0.1/tcp/1");
        Thread loop = new Thread(() -> {
            for (int i = 0; i < 100; i++) {
                out.print("connection " + i);
            }
        });
        loop.start();
        loop.join(10_000);
        out.inboundFailure(FROM, refused(Limit.MAX_CONNECTIONS));
        out.inboundFailure(FROM, refused(Limit.MAX_CONNECTIONS));
        out.close();
        out.print("stats after close");
        List<String> lines = lines(bytes);
        assertEquals(List.of("crossdial listening as X", "  /ip4/127.0.0.1/tcp/1"), lines.subList(0, 2));
        for (int i = 0; i < 100; i++) {
            assertEquals("connection " + i, lines.get(2 + i));
        }
        assertEquals("inbound connection from /192.0.2.7:4001 failed: refused by max-connections", lines.get(102));
        assertTrue(lines.get(103).matches("refused 1 more inbound connections in the last [0-9.]+ s: "
                + "max-connections 1"), lines.get(103));
        assertEquals("stats after close", lines.get(104));
        assertEquals(105, lines.size());
    }
}
