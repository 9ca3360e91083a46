package io.crossdial.host;

import io.crossdial.muxer.WindowStallListener;
import io.crossdial.simopen.Detection;
import io.crossdial.simopen.SimopenResult;
import io.crossdial.upgrader.UpgradeException;
import io.crossdial.upgrader.UpgradeObserver;
import io.crossdial.upgrader.UpgradeStage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The host's meters, recorded into a Micrometer {@link MeterRegistry} ({@link HostBuilder#metrics}). Names
 * follow go-libp2p's where it has one (go-libp2p {@code p2p/net/swarm/swarm_metrics.go},
 * {@code p2p/transport/tcp/metrics.go}, the resource manager's gauges); crossdial's own stages are
 * {@code crossdial_*}. With Micrometer's Prometheus registry a counter gets {@code _total} and a timer
 * {@code _seconds}:
 *
 * <table>
 *   <caption>meters</caption>
 *   <tr><th>Prometheus name</th><th>type</th><th>labels</th></tr>
 *   <tr><td>{@code libp2p_swarm_connections_opened_total}, {@code libp2p_swarm_connections_closed_total}</td>
 *       <td>counter</td><td>dir, transport, security, muxer, early_muxer, ip_version</td></tr>
 *   <tr><td>{@code libp2p_swarm_handshake_latency_seconds}</td><td>timer</td>
 *       <td>transport, security, muxer, early_muxer, ip_version</td></tr>
 *   <tr><td>{@code libp2p_swarm_connection_duration_seconds}</td><td>timer</td><td>dir, transport, ...</td></tr>
 *   <tr><td>{@code libp2p_swarm_dial_errors_total}</td><td>counter</td><td>transport, error, ip_version</td></tr>
 *   <tr><td>{@code libp2p_rcmgr_connections}, {@code libp2p_rcmgr_streams}</td><td>gauge (open now)</td>
 *       <td>dir, scope=system</td></tr>
 *   <tr><td>{@code tcp_connections_new_total}, {@code tcp_connections_closed_total}</td><td>counter</td>
 *       <td>direction (incoming, outgoing)</td></tr>
 *   <tr><td>{@code tcp_sent_bytes_total}, {@code tcp_rcvd_bytes_total}</td><td>counter, bytes on the
 *       socket (go-libp2p: {@code tcp_sent_bytes}, {@code tcp_rcvd_bytes})</td><td></td></tr>
 *   <tr><td>{@code crossdial_upgrade_stage_duration_seconds}</td><td>timer</td><td>stage (security_negotiation, security_handshake, gating, muxer_negotiation), dir</td></tr>
 *   <tr><td>{@code crossdial_upgrade_failures_total}</td><td>counter</td><td>stage, cause, dir</td></tr>
 *   <tr><td>{@code crossdial_simopen_detections_total}</td><td>counter</td>
 *       <td>kind (poison_byte, spec_proposal, stock_dialer)</td></tr>
 *   <tr><td>{@code crossdial_simopen_resolutions_total}</td><td>counter</td>
 *       <td>kind (select, stock_dialer_responder, redial)</td></tr>
 *   <tr><td>{@code crossdial_streams_opened_total}</td><td>counter</td><td>dir, protocol</td></tr>
 *   <tr><td>{@code crossdial_yamux_window_stalls_total}</td><td>counter: a stream's send window reached 0</td>
 *       <td></td></tr>
 * </table>
 *
 * <p>Thread-safe; recording runs on the connections' event loops and never blocks.
 */
final class HostMetrics {
    /** Records nothing and installs nothing on connections. */
    static final HostMetrics DISABLED = new HostMetrics(null);

    private static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(2),
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

    private final MeterRegistry registry;
    private final boolean enabled;
    private final AtomicLong connectionsInbound = new AtomicLong();
    private final AtomicLong connectionsOutbound = new AtomicLong();
    private final AtomicLong streamsInbound = new AtomicLong();
    private final AtomicLong streamsOutbound = new AtomicLong();
    private final Counter sentBytes;
    private final Counter rcvdBytes;
    private final Counter windowStalls;
    private final ByteCounter byteCounter;
    private final WindowStallListener stallListener;

    /** @param registry where to record, or null for {@link #DISABLED} */
    HostMetrics(MeterRegistry registry) {
        this.enabled = registry != null;
        this.registry = registry != null ? registry : new CompositeMeterRegistry();
        for (Direction d : Direction.values()) {
            Gauge.builder("libp2p_rcmgr_connections", d == Direction.INBOUND ? connectionsInbound : connectionsOutbound,
                    AtomicLong::get).tags("dir", dir(d), "scope", "system")
                    .description("Connections open now").register(this.registry);
            Gauge.builder("libp2p_rcmgr_streams", d == Direction.INBOUND ? streamsInbound : streamsOutbound,
                    AtomicLong::get).tags("dir", dir(d), "scope", "system")
                    .description("Streams open now").register(this.registry);
        }
        this.sentBytes = Counter.builder("tcp_sent_bytes").baseUnit("bytes").description("TCP bytes sent")
                .register(this.registry);
        this.rcvdBytes = Counter.builder("tcp_rcvd_bytes").baseUnit("bytes").description("TCP bytes received")
                .register(this.registry);
        this.windowStalls = Counter.builder("crossdial_yamux_window_stalls")
                .description("Times a yamux stream used up its send window and waited for a WindowUpdate")
                .register(this.registry);
        this.byteCounter = new ByteCounter(sentBytes, rcvdBytes);
        this.stallListener = stream -> windowStalls.increment();
    }

    /** @return whether a registry was given */
    boolean enabled() {
        return enabled;
    }

    /** @return the registry (an empty composite when disabled) */
    MeterRegistry registry() {
        return registry;
    }

    static String dir(Direction d) {
        return d == Direction.INBOUND ? "inbound" : "outbound";
    }

    /**
     * A new TCP connection: counts it, counts its bytes from the socket on, and counts its yamux stalls.
     * Runs before the upgrade is installed.
     */
    void tcpOpened(Channel ch, Direction direction) {
        if (!enabled) {
            return;
        }
        String d = direction == Direction.INBOUND ? "incoming" : "outgoing";
        registry.counter("tcp_connections_new", "direction", d).increment();
        ch.closeFuture().addListener(f -> registry.counter("tcp_connections_closed", "direction", d).increment());
        if (ch.pipeline().get(ByteCounter.class) == null) {
            ch.pipeline().addFirst("crossdial-metrics-bytes", byteCounter);
        }
        ch.attr(WindowStallListener.ATTRIBUTE).set(stallListener);
    }

    /** @return the observer that records one upgrade's stage durations and its failure */
    UpgradeObserver upgradeObserver(Direction direction) {
        if (!enabled) {
            return UpgradeObserver.NONE;
        }
        String d = dir(direction);
        return new UpgradeObserver() {
            @Override
            public void stageCompleted(UpgradeStage stage, long nanos) {
                if (stage == UpgradeStage.DONE) {
                    return; // the whole upgrade: libp2p_swarm_handshake_latency, once the connection is known
                }
                stageTimer(stage, d).record(nanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void stageFailed(UpgradeStage stage, long nanos, UpgradeException failure) {
                stageTimer(stage, d).record(nanos, TimeUnit.NANOSECONDS);
                registry.counter("crossdial_upgrade_failures", "stage", stage.name().toLowerCase(Locale.ROOT),
                        "cause", cause(failure), "dir", d).increment();
            }
        };
    }

    private Timer stageTimer(UpgradeStage stage, String dir) {
        return Timer.builder("crossdial_upgrade_stage_duration").tags("stage", stage.name().toLowerCase(Locale.ROOT),
                "dir", dir).serviceLevelObjectives(LATENCY_BUCKETS)
                .description("How long each upgrade stage took").register(registry);
    }

    /** A bounded label for why a stage failed: the stage exception's type, or timeout / connection_closed. */
    static String cause(UpgradeException failure) {
        Throwable c = failure.getCause();
        if (c instanceof ClosedChannelException) {
            return "connection_closed";
        }
        if (c == null) {
            String m = String.valueOf(failure.getMessage());
            return m.contains("timed out") ? "timeout" : m.contains("connection closed") ? "connection_closed"
                    : "other";
        }
        return c.getClass().getSimpleName();
    }

    /** An upgraded connection: opened counters, open gauge, handshake latency, simultaneous open, its close. */
    void connectionOpened(Connection c, long upgradeNanos) {
        if (!enabled) {
            return;
        }
        String[] tags = {"transport", "tcp", "security", c.security(), "muxer", c.muxer(), "early_muxer",
            Boolean.toString(c.upgraded().security().earlyMuxer() != null), "ip_version", ipVersion(c.channel())};
        String d = dir(c.direction());
        registry.counter("libp2p_swarm_connections_opened", withDir(d, tags)).increment();
        Timer.builder("libp2p_swarm_handshake_latency").tags(tags).serviceLevelObjectives(LATENCY_BUCKETS)
                .description("Duration of the libp2p handshake").register(registry)
                .record(upgradeNanos, TimeUnit.NANOSECONDS);
        AtomicLong open = c.direction() == Direction.INBOUND ? connectionsInbound : connectionsOutbound;
        open.incrementAndGet();
        long openedAt = System.nanoTime();
        c.closeFuture().addListener(f -> {
            open.decrementAndGet();
            registry.counter("libp2p_swarm_connections_closed", withDir(d, tags)).increment();
            registry.timer("libp2p_swarm_connection_duration", withDir(d, tags))
                    .record(System.nanoTime() - openedAt, TimeUnit.NANOSECONDS);
        });
        SimopenResult s = c.simopen();
        if (s != null && s.simultaneousOpen()) {
            registry.counter("crossdial_simopen_detections", "kind", s.detection().name().toLowerCase(Locale.ROOT))
                    .increment();
            registry.counter("crossdial_simopen_resolutions", "kind",
                    s.detection() == Detection.STOCK_DIALER ? "stock_dialer_responder" : "select").increment();
        }
        if (c.redials() > 0) {
            registry.counter("crossdial_simopen_resolutions", "kind", "redial").increment();
        }
    }

    /** A dial that failed before or during its upgrade. */
    void dialFailed(Throwable cause, String ipVersion) {
        if (!enabled) {
            return;
        }
        String m = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
        String error = m.contains("refused") ? "connection refused" : m.contains("timed out") ? "timeout" : "other";
        registry.counter("libp2p_swarm_dial_errors", "transport", "tcp", "error", error, "ip_version", ipVersion)
                .increment();
    }

    /** A stream whose protocol is agreed. */
    void streamOpened(Channel stream, Direction direction, String protocolId) {
        if (!enabled) {
            return;
        }
        registry.counter("crossdial_streams_opened", "dir", dir(direction), "protocol", protocolId).increment();
        AtomicLong open = direction == Direction.INBOUND ? streamsInbound : streamsOutbound;
        open.incrementAndGet();
        stream.closeFuture().addListener(f -> open.decrementAndGet());
    }

    private static String[] withDir(String dir, String[] tags) {
        String[] out = new String[tags.length + 2];
        out[0] = "dir";
        out[1] = dir;
        System.arraycopy(tags, 0, out, 2, tags.length);
        return out;
    }

    private static String ipVersion(Channel ch) {
        return ch.remoteAddress() instanceof InetSocketAddress a && a.getAddress() instanceof java.net.Inet6Address
                ? "ip6" : "ip4";
    }

    /** Counts the bytes crossing the socket; first in every pipeline. Holds no buffer. */
    @ChannelHandler.Sharable
    static final class ByteCounter extends ChannelDuplexHandler {
        private final Counter sent;
        private final Counter rcvd;

        ByteCounter(Counter sent, Counter rcvd) {
            this.sent = sent;
            this.rcvd = rcvd;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            int n = size(msg);
            if (n > 0) {
                rcvd.increment(n);
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            int n = size(msg);
            if (n > 0) {
                sent.increment(n);
            }
            ctx.write(msg, promise);
        }

        private static int size(Object msg) {
            if (msg instanceof ByteBuf b) {
                return b.readableBytes();
            }
            if (msg instanceof ByteBufHolder h) {
                return h.content().readableBytes();
            }
            return 0;
        }
    }
}
