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

/** {@link InboundFailureLog}: one line per limit and window, the rest summed up, and never blocking the reporter. */
class InboundFailureLogTest {
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
        InboundFailureLog log = new InboundFailureLog(false, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                TimeUnit.HOURS.toNanos(1));
        for (int i = 0; i < 5; i++) {
            log.report(FROM, refused(Limit.INBOUND_RATE_PER_ADDRESS));
        }
        log.report(FROM, new IllegalStateException("wrapped", refused(Limit.MAX_HANDSHAKES_PER_ADDRESS)));
        log.report(FROM, refused(Limit.MAX_HANDSHAKES_PER_ADDRESS));
        log.report(FROM, new java.io.IOException("handshake timed out"));
        log.report(FROM, new java.io.IOException("handshake timed out"));
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
        InboundFailureLog log = new InboundFailureLog(true, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                TimeUnit.SECONDS.toNanos(1));
        log.report(FROM, refused(Limit.MAX_CONNECTIONS));
        log.report(FROM, refused(Limit.MAX_CONNECTIONS));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lines(bytes).size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        log.report(FROM, refused(Limit.MAX_CONNECTIONS));
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
        InboundFailureLog log = new InboundFailureLog(false, new PrintStream(stuck, true, StandardCharsets.UTF_8),
                TimeUnit.HOURS.toNanos(1));
        log.report(FROM, new IOException("first"));
        assertTrue(writing.await(10, TimeUnit.SECONDS), "the printer took the first line");
        long start = System.nanoTime();
        for (int i = 0; i < 1999; i++) {
            log.report(FROM, new IOException("failure " + i));
        }
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "report blocked");
        release.countDown();
        log.close();
        List<String> out = lines(bytes);
        // the printer holds "first"; the queue takes 1,024 of the other 1,999
        assertEquals((1999 - InboundFailureLog.QUEUE) + " inbound failures not shown (output falling behind)",
                out.get(out.size() - 1));
        assertEquals(1 + InboundFailureLog.QUEUE + 1, out.size());
    }
}
