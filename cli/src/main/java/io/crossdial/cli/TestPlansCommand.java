package io.crossdial.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.SecurityTransport;
import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.HostBuilder;
import io.crossdial.host.protocol.PingClient;
import io.crossdial.host.protocol.ProtocolIds;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * {@code crossdial test-plans}: a participant of the libp2p test-plans transport-interop test (test-plans
 * {@code transport-interop/README.md}), configured only by the environment ({@link TestPlansEnv}).
 *
 * <p>Listener ({@code is_dialer=false}): listens on {@code /ip4/$ip/tcp/0}, RPUSHes its concrete address with
 * {@code /p2p/} (for {@code 0.0.0.0} the first non-loopback interface address) to the Redis list
 * {@code listenerAddr}, serves ping until {@code test_timeout_seconds} pass, then exits 1 (the runner ends it
 * sooner when the dialer is done).
 *
 * <p>Dialer: BLPOPs {@code listenerAddr}, dials it, pings once and prints exactly one line on stdout,
 * {@code {"handshakePlusOneRTTMillis":F,"pingRTTMilllis":F}} (the contract's spelling, three l's), then exits
 * 0; the first figure runs from just before the dial until the pong, the second is the ping alone, both ms.
 * Logs go to stderr. Any failure exits non-zero with one line on stderr.
 *
 * <p>Before it publishes or pops the address, each side runs one throwaway connection between two local hosts
 * with the same security and muxer ({@link #warmUp}): a cold JVM's first TLS handshake (class loading, the
 * JIT) can take seconds on a loaded machine, longer than js-libp2p's handshake timeout. The contract's
 * interval starts after the BLPOP, so the warm-up is not part of what is measured.
 */
@Command(name = "test-plans", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "libp2p test-plans transport-interop participant, configured by the environment: "
                + "transport, security, muxer, is_dialer, ip, redis_addr, test_timeout_seconds")
final class TestPlansCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(TestPlansCommand.class);
    /** How long to keep retrying the first Redis connection (the server may still be starting), ms. */
    static final long REDIS_CONNECT_MILLIS = 10_000;

    private final Map<String, String> env;

    TestPlansCommand() {
        this(System.getenv());
    }

    TestPlansCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Integer call() throws InterruptedException {
        TestPlansEnv e = TestPlansEnv.from(env);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(e.timeoutSeconds());
        try (Jedis redis = connectRedis(e, deadline)) {
            return e.dialer() ? dial(e, redis, deadline) : listen(e, redis, deadline);
        }
    }

    private static HostBuilder builder(TestPlansEnv e) {
        SecurityTransport security = HostOptions.pick(HostOptions.availableSecurity(), e.security(),
                SecurityTransport::name, SecurityTransport::protocolId, "security transport");
        StreamMuxer muxer = HostOptions.pick(HostOptions.availableMuxers(), e.muxer(), StreamMuxer::name,
                StreamMuxer::protocolId, "stream muxer");
        return Host.builder().identity(Keys.generateEd25519()).security(security).muxer(muxer);
    }

    private static Jedis connectRedis(TestPlansEnv e, long deadline) throws InterruptedException {
        long until = Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REDIS_CONNECT_MILLIS));
        DefaultJedisClientConfig config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(2_000).socketTimeoutMillis(5_000).autoNegotiateProtocol(false).build();
        while (true) {
            Jedis jedis = new Jedis(new HostAndPort(e.redisHost(), e.redisPort()), config);
            try {
                jedis.ping();
                return jedis;
            } catch (JedisConnectionException ex) {
                jedis.close();
                if (System.nanoTime() - until >= 0) {
                    throw new CliException("cannot reach redis at " + e.redisHost() + ":" + e.redisPort() + ": "
                            + ex.getMessage(), 1, ex);
                }
                log.info("redis not reachable yet ({}), retrying", ex.getMessage());
                Thread.sleep(100);
            }
        }
    }

    private static int listen(TestPlansEnv e, Jedis redis, long deadline) throws InterruptedException {
        Multiaddr listenAddr = HostOptions.parse((e.ip().contains(":") ? "/ip6/" : "/ip4/") + e.ip() + "/tcp/0");
        Host host = builder(e).listen(listenAddr).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopped.countDown();
            host.close();
        }));
        host.start();
        warmUp(e);
        Multiaddr published = publishable(host.listenAddrs()).withPeerId(host.peerId());
        redis.rpush(TestPlansEnv.LISTENER_ADDR_KEY, published.toString());
        System.err.println("test-plans listener: " + published + " (" + e.security() + ", " + e.muxer()
                + "), pushed to " + TestPlansEnv.LISTENER_ADDR_KEY);
        if (stopped.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            return 0;
        }
        host.close();
        throw new CliException("test-plans listener: no end after test_timeout_seconds=" + e.timeoutSeconds());
    }

    /** The first non-loopback address, else the first: what a dialer on another machine can reach. */
    static Multiaddr publishable(List<Multiaddr> addrs) {
        if (addrs.isEmpty()) {
            throw new CliException("test-plans listener: no listen address was bound");
        }
        for (Multiaddr a : addrs) {
            String s = a.toString();
            if (!s.startsWith("/ip4/127.") && !s.startsWith("/ip6/::1/")) {
                return a;
            }
        }
        return addrs.get(0);
    }

    /** How long the warm-up connection may take in all, ms. */
    static final long WARM_UP_MILLIS = 20_000;

    /**
     * One connection, a ping and a close between two throwaway local hosts with {@code e}'s security and muxer.
     * A failure is logged and otherwise ignored.
     */
    static void warmUp(TestPlansEnv e) {
        long start = System.nanoTime();
        try (Host listener = builder(e).listen(HostOptions.parse("/ip4/127.0.0.1/tcp/0")).build().start();
                Host dialer = builder(e).build().start()) {
            Connection c = dialer.connect(listener.listenAddrs().get(0).withPeerId(listener.peerId()))
                    .get(WARM_UP_MILLIS, TimeUnit.MILLISECONDS);
            c.ping(Duration.ofMillis(WARM_UP_MILLIS)).get(WARM_UP_MILLIS, TimeUnit.MILLISECONDS);
            c.close().awaitUninterruptibly(1_000);
            log.info("warm-up connection took {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } catch (Exception ex) {
            if (ex instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            System.err.println("test-plans: warm-up connection failed (ignored): " + Main.oneLine(ex));
        }
    }

    private static int dial(TestPlansEnv e, Jedis redis, long deadline) {
        warmUp(e);
        int waitSeconds = (int) Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()));
        List<String> popped = redis.blpop(waitSeconds, TestPlansEnv.LISTENER_ADDR_KEY);
        if (popped == null || popped.size() < 2) {
            throw new CliException("test-plans dialer: no listener address in " + TestPlansEnv.LISTENER_ADDR_KEY
                    + " within " + waitSeconds + " s");
        }
        Multiaddr target = HostOptions.parse(popped.get(1));
        System.err.println("test-plans dialer: dialing " + target + " (" + e.security() + ", " + e.muxer() + ")");
        try (Host host = builder(e).build().start()) {
            long leftMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            long start = System.nanoTime();
            Connection c = Await.result(host.dial(target), leftMillis, "dial " + target);
            PingClient ping = Await.result(c.newStream(s -> new PingClient(s, Duration.ofMillis(leftMillis)),
                    ProtocolIds.PING), leftMillis, "opening a ping stream");
            long rttNanos = Await.result(ping.ping(), leftMillis, "ping");
            long totalNanos = System.nanoTime() - start;
            ping.close();
            System.out.println(resultLine(totalNanos / 1e6, rttNanos / 1e6));
            System.out.flush();
            c.close().awaitUninterruptibly(1_000);
        }
        return 0;
    }

    /** @return the contract's result line: {@code {"handshakePlusOneRTTMillis":F,"pingRTTMilllis":F}} */
    static String resultLine(double handshakePlusOneRttMillis, double pingRttMillis) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("handshakePlusOneRTTMillis", round3(handshakePlusOneRttMillis));
            g.writeNumberField("pingRTTMilllis", round3(pingRttMillis));
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toString();
    }

    private static double round3(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }
}
