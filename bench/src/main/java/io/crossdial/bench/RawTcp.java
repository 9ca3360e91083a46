package io.crossdial.bench;

import io.crossdial.lab.JsonLines;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The raw loopback TCP limit: a blocking-NIO sender/receiver with the perf workload's shape and no
 * protocol at all. Per stream the client writes an 8-byte big-endian download size, then the upload bytes,
 * half-closes; the server counts to EOF, then writes the download bytes and closes. One thread per stream,
 * 256 KiB direct buffers.
 *
 * <pre>
 * serve  [--port P]                                     prints {"event":"listening","port":P}; exits at stdin EOF
 * client --port P --upload B --download B [--streams N] [--warmup B [--warmup-seconds S] [--sync]]
 *        prints {"event":"perf",..}
 *        (--warmup and --sync as in {@link Driver}'s perf)
 * </pre>
 */
public final class RawTcp {
    private static final int BUFFER_BYTES = 256 * 1024;

    private RawTcp() {}

    /**
     * @param args {@code serve} or {@code client} and options, see the class comment
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> o = Opts.parse(java.util.Arrays.copyOfRange(args, 1, args.length));
        if (args[0].equals("serve")) {
            serve(Integer.parseInt(o.getOrDefault("port", "0")));
        } else {
            int port = Integer.parseInt(o.get("port"));
            int streams = Integer.parseInt(o.getOrDefault("streams", "1"));
            long warmup = Long.parseLong(o.getOrDefault("warmup", "0"));
            if (warmup > 0) {
                double minSeconds = Double.parseDouble(o.getOrDefault("warmup-seconds", "0"));
                long t0 = System.nanoTime();
                long bytes = client(port, warmup, warmup, streams);
                double seconds = (System.nanoTime() - t0) / 1e9;
                int rounds = 1;
                while ((System.nanoTime() - t0) / 1e9 < minSeconds) {
                    client(port, warmup, warmup, streams);
                    rounds++;
                }
                System.out.println(JsonLines.line("event", "warmed", "bytes", bytes, "seconds", seconds,
                        "gbitPerSecond", bytes * 8 / seconds / 1e9, "rounds", rounds));
                Driver.awaitGo(o);
            }
            long cpu0 = Driver.cpuNanos();
            long t0 = System.nanoTime();
            long total = client(port, Long.parseLong(o.get("upload")), Long.parseLong(o.get("download")), streams);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.println(JsonLines.line("event", "perf", "streams", streams, "bytes", total, "seconds", seconds,
                    "gbitPerSecond", total * 8 / seconds / 1e9, "cpuNanos", Driver.cpuNanos() - cpu0,
                    "jvm", Driver.jvm()));
        }
        System.exit(0);
    }

    private static void serve(int port) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", port), 1024);
        System.out.println(JsonLines.line("event", "listening", "port",
                ((InetSocketAddress) server.getLocalAddress()).getPort()));
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    SocketChannel ch = server.accept();
                    Thread t = new Thread(() -> serveOne(ch));
                    t.setDaemon(true);
                    t.start();
                }
            } catch (IOException e) {
                // closed
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.trim().equals("cpu")) {
                System.out.println(JsonLines.line("event", "cpu", "cpuNanos", Driver.cpuNanos()));
            }
        }
        server.close();
    }

    private static void serveOne(SocketChannel ch) {
        try (ch) {
            ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES);
            ByteBuffer header = ByteBuffer.allocate(8);
            while (header.hasRemaining()) {
                if (ch.read(header) < 0) {
                    return;
                }
            }
            long download = header.flip().getLong();
            while (ch.read(buf.clear()) >= 0) {
                // count nothing: drain the upload
            }
            writeN(ch, buf, download);
        } catch (IOException e) {
            System.err.println("rawtcp: " + e);
        }
    }

    private static void writeN(SocketChannel ch, ByteBuffer buf, long n) throws IOException {
        long left = n;
        while (left > 0) {
            buf.clear().limit((int) Math.min(buf.capacity(), left));
            while (buf.hasRemaining()) {
                left -= ch.write(buf);
            }
        }
    }

    /** @return the bytes moved, both ways */
    private static long client(int port, long upload, long download, int streams) throws Exception {
        List<Thread> threads = new ArrayList<>();
        long[] got = new long[streams];
        for (int i = 0; i < streams; i++) {
            int k = i;
            Thread t = new Thread(() -> {
                try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                    ch.write(ByteBuffer.allocate(8).putLong(0, download));
                    ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES);
                    writeN(ch, buf, upload);
                    ch.shutdownOutput();
                    long n = 0;
                    for (int r; (r = ch.read(buf.clear())) >= 0; ) {
                        n += r;
                    }
                    got[k] = n;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        long total = 0;
        for (long g : got) {
            if (g != download) {
                throw new IllegalStateException("downloaded " + g + " of " + download);
            }
            total += upload + g;
        }
        return total;
    }
}
