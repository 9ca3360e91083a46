package io.crossdial.bench;

import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.transport.tcp.InboundRateLimit;
import io.crossdial.transport.tcp.TcpListener;
import io.crossdial.transport.tcp.TcpTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What refusing a connection at accept costs the accepting thread (specs/benchmarks.md, "Refusing at accept"):
 * {@code --threads} client threads from 127.0.0.2 open and close {@code --connections} TCP connections as fast
 * as they go, against
 * <ul>
 *   <li>{@code bare}: one thread in a blocking {@code ServerSocketChannel.accept()} loop that sets SO_LINGER 0
 *       and closes each connection (a reset), the least a JDK listener can do with one;
 *   <li>{@code crossdial}: a {@link TcpTransport} listener whose inbound rate limit (burst 1, no exempt
 *       address) refuses every connection after the first at accept, with the same reset.
 * </ul>
 * Each round reports the accepting thread's CPU time ({@link ThreadMXBean}, user and system) per connection in
 * µs and the connections per second of wall time; the rounds alternate, and the last line gives the medians and
 * their ratio. One JVM, one machine: the clients' CPU is the other threads'. Every wait is bounded: connects
 * 5 s, a round 120 s.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.crossdial.bench.RefusalCost [--connections 20000] [--threads 16] [--rounds 5]</pre>
 */
public final class RefusalCost {
    private static final InetAddress FROM = loopback(2);

    private RefusalCost() {}

    public static void main(String[] args) throws Exception {
        int connections = 20_000;
        int threads = 16;
        int rounds = 5;
        for (int i = 0; i + 1 < args.length; i += 2) {
            int v = Integer.parseInt(args[i + 1]);
            switch (args[i]) {
                case "--connections" -> connections = v;
                case "--threads" -> threads = v;
                case "--rounds" -> rounds = v;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isThreadCpuTimeSupported()) {
            throw new IllegalStateException("this JVM measures no thread CPU time");
        }
        mx.setThreadCpuTimeEnabled(true);
        List<Double> bare = new ArrayList<>();
        List<Double> crossdial = new ArrayList<>();
        for (int r = 0; r <= rounds; r++) { // round 0 warms both up and is not counted
            double b = bareRound(mx, connections, threads);
            double c = crossdialRound(mx, connections, threads);
            if (r > 0) {
                bare.add(b);
                crossdial.add(c);
            }
        }
        double mb = median(bare);
        double mc = median(crossdial);
        System.out.printf(Locale.ROOT, "{\"event\":\"refusal-cost\",\"connections\":%d,\"threads\":%d,\"rounds\":%d,"
                + "\"bareMicrosPerConnection\":%.2f,\"crossdialMicrosPerConnection\":%.2f,\"crossdialOverBare\":%.2f,"
                + "\"jdk\":\"%s\"}%n", connections, threads, rounds, mb, mc, mc / mb, Runtime.version());
    }

    /** @return accept-thread CPU µs per connection */
    private static double bareRound(ThreadMXBean mx, int connections, int threads) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
            AtomicInteger accepted = new AtomicInteger();
            long[] cpu = new long[1];
            Thread acceptor = new Thread(() -> {
                long start = mx.getCurrentThreadCpuTime();
                try {
                    while (accepted.get() < connections) {
                        SocketChannel ch = server.accept();
                        try {
                            ch.setOption(StandardSocketOptions.SO_LINGER, 0);
                        } catch (IOException e) {
                            // reset by the client already
                        }
                        ch.close();
                        accepted.incrementAndGet();
                    }
                } catch (IOException e) {
                    // the server closed: the round timed out
                }
                cpu[0] = mx.getCurrentThreadCpuTime() - start;
            }, "bare-accept");
            acceptor.start();
            long wall = flood((InetSocketAddress) server.getLocalAddress(), connections, threads);
            acceptor.join(TimeUnit.SECONDS.toMillis(120));
            if (acceptor.isAlive()) {
                server.close();
                acceptor.join(5_000);
                throw new IllegalStateException("bare: " + accepted.get() + " of " + connections + " accepted");
            }
            return report("bare", cpu[0], wall, connections);
        }
    }

    /** @return accept-thread CPU µs per connection */
    private static double crossdialRound(ThreadMXBean mx, int connections, int threads) throws Exception {
        TcpTransport transport = new TcpTransport(TcpTransportConfig.defaults().withPortReuse(false)
                .withBacklog(8192).withInterfacePollMillis(0)
                .withInboundRateLimit(new InboundRateLimit(1e-9, 1, List.of())));
        try {
            TcpListener listener = transport.listenAll(List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")),
                    new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.close();
                        }
                    }).get(0);
            Thread acceptor = acceptThread();
            long start = mx.getThreadCpuTime(acceptor.getId());
            long wall = flood(listener.localAddress(), connections, threads);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (listener.stats().rejected() + sum(listener.stats().shardAccepts()) < connections
                    && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            long cpu = mx.getThreadCpuTime(acceptor.getId()) - start;
            long seen = listener.stats().rejected() + sum(listener.stats().shardAccepts());
            if (seen < connections) {
                throw new IllegalStateException("crossdial: " + seen + " of " + connections + " accepted");
            }
            return report("crossdial", cpu, wall, connections);
        } finally {
            transport.close();
        }
    }

    private static Thread acceptThread() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("crossdial-accept")) {
                return t;
            }
        }
        throw new IllegalStateException("no crossdial-accept thread");
    }

    /** Opens and closes {@code connections} connections from {@code threads} threads; @return wall ns */
    private static long flood(InetSocketAddress to, int connections, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    while (next.getAndIncrement() < connections) {
                        try (Socket s = new Socket()) {
                            s.bind(new InetSocketAddress(FROM, 0));
                            s.connect(to, 5_000);
                        } catch (IOException e) {
                            // reset at connect: refused, as meant
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            return System.nanoTime() - start;
        } finally {
            pool.shutdownNow();
        }
    }

    private static double report(String what, long cpuNanos, long wallNanos, int connections) {
        double micros = cpuNanos / 1e3 / connections;
        System.out.printf(Locale.ROOT, "%-9s %d connections: accept thread %.2f µs CPU each, %.0f connections/s, "
                + "accept thread busy %.0f %% of the wall time%n", what, connections, micros,
                connections / (wallNanos / 1e9), 100.0 * cpuNanos / wallNanos);
        return micros;
    }

    private static long sum(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).sum();
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static InetAddress loopback(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
