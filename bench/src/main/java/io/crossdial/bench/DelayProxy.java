package io.crossdial.bench;

import io.crossdial.lab.JsonLines;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;

/**
 * A TCP relay on loopback that holds every chunk for a fixed one-way delay in each direction, so a dial
 * through it sees a round-trip time of {@code 2 * delay} plus the TCP connect to the proxy itself (which is
 * immediate: the proxy accepts, then connects onwards; that upstream connect is not delayed). Dividing a
 * connect + first ping time through the proxy by the RTT counts the round trips a dial pays.
 *
 * <pre>
 * DelayProxy --target-port P --delay-ms D   prints {"event":"listening","port":Q}; exits at stdin EOF
 * </pre>
 */
public final class DelayProxy {
    private DelayProxy() {}

    /**
     * @param args see the class comment
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> o = Opts.parse(args);
        int target = Integer.parseInt(o.get("target-port"));
        long delayNanos = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(o.getOrDefault("delay-ms", "25")));
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 1024);
        System.out.println(JsonLines.line("event", "listening", "port", server.getLocalPort()));
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    Socket down = server.accept();
                    down.setTcpNoDelay(true);
                    Socket up = new Socket("127.0.0.1", target);
                    up.setTcpNoDelay(true);
                    relay(down, up, delayNanos);
                    relay(up, down, delayNanos);
                }
            } catch (IOException e) {
                // closed
            }
        }, "proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (in.readLine() != null) {
            // until EOF
        }
        server.close();
        System.exit(0);
    }

    private record Chunk(byte[] bytes, long dueNanos) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(dueNanos, ((Chunk) o).dueNanos);
        }
    }

    /** Reads from {@code from}, writes to {@code to} each chunk {@code delayNanos} after it arrived, in order. */
    private static void relay(Socket from, Socket to, long delayNanos) {
        DelayQueue<Chunk> queue = new DelayQueue<>();
        byte[] eof = new byte[0];
        Thread reader = new Thread(() -> {
            try (InputStream is = from.getInputStream()) {
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = is.read(buf)) >= 0; ) {
                    queue.add(new Chunk(Arrays.copyOf(buf, n), System.nanoTime() + delayNanos));
                }
            } catch (IOException e) {
                // reset or closed
            }
            queue.add(new Chunk(eof, System.nanoTime() + delayNanos));
        }, "proxy-read");
        Thread writer = new Thread(() -> {
            try {
                OutputStream os = to.getOutputStream();
                while (true) {
                    Chunk c = queue.take();
                    if (c.bytes() == eof) {
                        to.shutdownOutput();
                        return;
                    }
                    os.write(c.bytes());
                    os.flush();
                }
            } catch (IOException | InterruptedException e) {
                try {
                    to.close();
                    from.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }, "proxy-write");
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }
}
