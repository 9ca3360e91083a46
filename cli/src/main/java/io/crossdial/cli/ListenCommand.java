package io.crossdial.cli;

import io.crossdial.lab.JsonLines;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.transport.tcp.ListenerStats;
import io.crossdial.transport.tcp.TcpListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code crossdial listen}: serves ping, identify, echo and perf until stopped. */
@Command(name = "listen", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = "Listen and serve /ipfs/ping/1.0.0, /ipfs/id/1.0.0, /echo/1.0.0 and /perf/1.0.0")
final class ListenCommand implements Callable<Integer> {
    @Option(names = "--listen", paramLabel = "MULTIADDR",
            description = "Listen address (repeatable); default /ip4/0.0.0.0/tcp/0")
    List<String> listen = new ArrayList<>();

    @Option(names = "--seconds", paramLabel = "N", description = "Stop after N seconds; default: run until killed")
    long seconds;

    @Option(names = "--json", description = "One JSON line per event: listening, then each connection, "
            + "listener changes, and stats on exit. Inbound failures as upgrade-failed; of the connections "
            + "refused by a limit only the first per limit every 10 s, the rest summed up in inbound-refused")
    boolean json;

    @Option(names = "--stats-seconds", paramLabel = "N",
            description = "Print listener stats (per-shard accept counts, handshakes) every N seconds")
    long statsSeconds;

    @Option(names = "--relay", paramLabel = "MULTIADDR",
            description = "Reserve on this circuit relay (.../p2p/RELAY, repeatable) and be reachable through it "
                    + "as .../p2p/RELAY/p2p-circuit/p2p/SELF; the reservation is kept refreshed")
    List<String> relays = new ArrayList<>();

    @Mixin
    HostOptions hostOptions;

    @Mixin
    MetricsOptions metrics;

    @Override
    public Integer call() throws InterruptedException {
        List<Multiaddr> addrs = new ArrayList<>();
        for (String s : listen.isEmpty() ? List.of("/ip4/0.0.0.0/tcp/0") : listen) {
            addrs.add(HostOptions.parse(s));
        }
        EventOutput output = new EventOutput(json, System.out);
        io.crossdial.host.relay.RelayClient relayClient = new io.crossdial.host.relay.RelayClient(10_000);
        io.crossdial.host.dcutr.Dcutr dcutr = new io.crossdial.host.dcutr.Dcutr(10_000, 5_000);
        Host host = dcutr.register(relayClient.register(Services.serveAll(hostOptions.builder(addrs).metrics(metrics.registry()))))
                .onConnection(c -> {
                    output.print(connectionLine(c, json));
                    var punch = dcutr.onConnection(c); // an inbound relayed connection: DCUtR, as the spec's B
                    if (punch != null) {
                        punch.whenComplete((r, e) -> output.print(holepunchLine(c, r, e, json)));
                    }
                })
                .onInboundFailure(output::inboundFailure)
                .onListenerEvent(e -> {
                    String kind = e.kind().name().toLowerCase(java.util.Locale.ROOT);
                    output.print(json
                            ? JsonLines.line("event", "listen-addr-" + kind,
                                    "multiaddr", e.multiaddr().toString(), "requested", e.requested().toString(),
                                    "error", e.cause() == null ? null : Main.oneLine(e.cause()))
                            : "listen address " + kind + ": " + e.multiaddr()
                                    + (e.cause() == null ? "" : " (" + Main.oneLine(e.cause()) + ")"));
                })
                .build();
        CountDownLatch stop = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable shutdown = () -> {
            if (closed.compareAndSet(false, true)) {
                output.close(); // what is queued and the last refusal summary, then the final stats at once
                if (json || statsSeconds > 0) {
                    output.print(statsLines(host, json));
                }
                relayClient.close();
                host.close();
                metrics.close();
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            shutdown.run();
        }));
        host.start();
        int metricsPort = metrics.start();
        if (metricsPort >= 0) {
            String url = "http://" + metrics.metricsHost + ":" + metricsPort + "/metrics";
            output.printFromCommand(json ? JsonLines.line("event", "metrics", "url", url) : "metrics at " + url);
        }
        List<String> shown = new ArrayList<>();
        for (Multiaddr a : host.advertisedAddrs()) {
            shown.add(a.withPeerId(host.peerId()).toString());
        }
        if (json) {
            output.printFromCommand(JsonLines.line("event", "listening", "peerId", host.peerId().toString(),
                    "multiaddrs", shown));
        } else {
            StringBuilder b = new StringBuilder("crossdial listening as " + host.peerId());
            shown.forEach(a -> b.append("\n  ").append(a));
            output.printFromCommand(b.toString());
        }
        relayClient.bind(host);
        dcutr.bind(host);
        for (String r : relays) {
            output.printFromCommand(RelayReservations.reserve(relayClient, HostOptions.parse(r), json));
        }
        long deadline = seconds > 0 ? System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds) : Long.MAX_VALUE;
        while (true) {
            long left = deadline - System.nanoTime();
            long waitNanos = statsSeconds > 0 ? Math.min(left, TimeUnit.SECONDS.toNanos(statsSeconds)) : left;
            if (left <= 0 || stop.await(waitNanos, TimeUnit.NANOSECONDS)) {
                break;
            }
            if (statsSeconds > 0 && deadline - System.nanoTime() > 0) {
                output.printFromCommand(statsLines(host, json));
            }
        }
        shutdown.run();
        return 0;
    }

    /**
     * The {@code stats} event: per listener, accepts per shard and handshakes; connections open. In text, a line
     * per listener.
     */
    static String statsLines(Host host, boolean json) {
        List<Object> listeners = new ArrayList<>();
        List<String> text = new ArrayList<>();
        for (TcpListener l : host.transport().listeners()) {
            ListenerStats st = l.stats();
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("multiaddr", st.multiaddr().toString());
            m.put("shardAccepts", new ArrayList<Object>(st.shardAccepts()));
            m.put("handshakesInProgress", st.handshakesInProgress());
            m.put("peakHandshakes", st.peakHandshakes());
            m.put("maxHandshakes", st.maxHandshakes());
            m.put("rejected", st.rejected());
            listeners.add(m);
            text.add("stats " + st.multiaddr() + " accepts per shard " + st.shardAccepts()
                    + ", handshakes " + st.handshakesInProgress() + " (peak " + st.peakHandshakes() + " of "
                    + st.maxHandshakes() + "), rejected " + st.rejected());
        }
        return json ? JsonLines.line("event", "stats", "openConnections", host.transport().openConnections(),
                "listeners", listeners) : String.join("\n", text);
    }

    private static String holepunchLine(Connection relayed, io.crossdial.host.dcutr.HolepunchResult r,
            Throwable failure, boolean json) {
        if (failure == null) {
            return json ? JsonLines.line("event", "holepunch", "ok", true, "remotePeer", relayed.remotePeer().toString(), "attempts", r.attempts(), "timeToDirectMs", r.timeToDirectNanos() / 1e6, "rttMs", r.rttNanos() / 1e6, "localAddr", r.direct().localAddr().toString(), "remoteAddr", r.direct().remoteAddr().toString())
                    : String.format("holepunch with %s: direct %s in %.1f ms (attempt %d, relayed rtt %.2f ms)",
                            relayed.remotePeer(), r.direct().remoteAddr(), r.timeToDirectNanos() / 1e6, r.attempts(),
                            r.rttNanos() / 1e6);
        }
        return json ? JsonLines.line("event", "holepunch", "ok", false, "remotePeer", relayed.remotePeer().toString(), "error", Main.oneLine(failure))
                : "holepunch with " + relayed.remotePeer() + " failed: " + Main.oneLine(failure);
    }

    /** The {@code connection} event. */
    static String connectionLine(Connection c, boolean json) {
        if (json) {
            return JsonLines.line("event", "connection",
                    "remotePeer", c.remotePeer().toString(),
                    "direction", c.direction().jsonName(),
                    "security", c.security(),
                    "muxer", c.muxer(),
                    "localAddr", c.localAddr().toString(),
                    "remoteAddr", c.remoteAddr().toString(),
                    "relayed", c.isRelayed());
        }
        return "connection " + c.direction().jsonName() + " " + c.remotePeer() + " "
                + c.remoteAddr() + " via " + c.security() + " + " + c.muxer();
    }
}
