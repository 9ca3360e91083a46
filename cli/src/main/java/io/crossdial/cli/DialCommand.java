package io.crossdial.cli;

import io.crossdial.lab.JsonLines;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.protocol.EchoClient;
import io.crossdial.host.protocol.IdentifyClient;
import io.crossdial.host.protocol.IdentifyInfo;
import io.crossdial.host.protocol.PingClient;
import io.crossdial.host.protocol.ProtocolIds;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code crossdial dial MA}: dial, ping 3 times, echo N random bytes and compare them. */
@Command(name = "dial", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = "Dial a peer, ping it 3 times and echo random bytes over /echo/1.0.0")
final class DialCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MULTIADDR", description = "e.g. /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW..., "
            + "or through a relay .../p2p/RELAY/p2p-circuit/p2p/PEER")
    String target;

    @Option(names = "--listen", paramLabel = "MULTIADDR",
            description = "Also listen here (repeatable), and dial from that listen port")
    List<String> listen = new ArrayList<>();

    @Option(names = "--echo-bytes", paramLabel = "N", description = "Random bytes to echo; default 1048576 (1 MiB)")
    int echoBytes = 1 << 20;

    @Option(names = "--timeout-ms", paramLabel = "MS", description = "Time limit of each step in ms; default 30000")
    long timeoutMillis = 30_000;

    @Option(names = "--json", description = "Print one JSON line with the outcome")
    boolean json;

    @Option(names = "--holepunch", description = "With a /p2p-circuit address: speak DCUtR (/libp2p/dcutr) on the "
            + "relayed connection, wait for the direct connection (TCP simultaneous open from the listen port, "
            + "so give --listen) and run ping and echo on it; if the hole punch fails they run relayed")
    boolean holepunch;

    @Mixin
    HostOptions hostOptions;

    /** Runs identify and checks the announced key against the authenticated peer ID. */
    static IdentifyInfo identify(Connection c, long timeoutMillis) {
        IdentifyInfo id = Await.result(Await.result(c.newStream(s -> new IdentifyClient(s, Duration.ofMillis(timeoutMillis)),
                ProtocolIds.IDENTIFY), timeoutMillis, "opening an identify stream").result(), timeoutMillis, "identify");
        if (id.publicKey() != null && !io.crossdial.core.crypto.PeerId.fromPublicKey(id.publicKey()).equals(c.remotePeer())) {
            throw new CliException("identify: the announced public key does not belong to " + c.remotePeer());
        }
        return id;
    }

    static java.util.Map<String, Object> identifyJson(IdentifyInfo id) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("agentVersion", id.agentVersion());
        m.put("protocolVersion", id.protocolVersion());
        m.put("protocols", id.protocols());
        m.put("listenAddrs", id.listenAddrs().stream().map(Object::toString).toList());
        m.put("observedAddr", id.observedAddr() == null ? null : id.observedAddr().toString());
        return m;
    }

    /**
     * The direct connection to the peer of {@code relayed} once at most one is live; waits for that at most 2 s.
     * A hole punch on one 4-tuple makes one connection (a dial whose 4-tuple is taken uses the inbound one,
     * specs/holepunch.md). Two remain possible when the peers dial several addresses at once (two 4-tuples):
     * then the crossed-dial rule closes one of them on both sides.
     */
    static Connection settledDirect(Host host, Connection relayed) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
        while (true) {
            List<Connection> direct = host.connections().stream().filter(x -> !x.isRelayed()
                    && x.remotePeer().equals(relayed.remotePeer()) && x.channel().isActive()).toList();
            if (direct.size() == 1 || System.nanoTime() > deadline) {
                Connection c = host.connection(relayed.remotePeer());
                return c != null ? c : relayed;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return host.connection(relayed.remotePeer());
            }
        }
    }

    /**
     * Waits for DCUtR on a relayed connection (the other side opens the exchange) and describes the outcome.
     *
     * @return {@code ok}, and either {@code attempts}, {@code timeToDirectMs} (from the first CONNECT),
     *     {@code relayedToDirectMs} (from the relayed connection being usable), {@code rttMs},
     *     {@code roleHint}, {@code remoteAddrs}, {@code localAddr}, {@code remoteAddr}, or {@code error}
     */
    java.util.Map<String, Object> awaitHolepunch(io.crossdial.host.dcutr.Dcutr dcutr, Connection relayed, long start) {
        long relayedAt = System.nanoTime();
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        try {
            io.crossdial.host.dcutr.HolepunchResult r = Await.result(dcutr.result(relayed.remotePeer()), timeoutMillis,
                    "hole punch");
            long now = System.nanoTime();
            m.put("ok", true);
            m.put("attempts", r.attempts());
            m.put("timeToDirectMs", r.timeToDirectNanos() / 1e6);
            m.put("relayedToDirectMs", (now - relayedAt) / 1e6);
            m.put("rttMs", r.rttNanos() / 1e6);
            m.put("roleHint", r.roleHint() == null ? null : r.roleHint().name().toLowerCase(java.util.Locale.ROOT));
            m.put("remoteAddrs", r.remoteAddrs().stream().map(Object::toString).toList());
            m.put("localAddr", r.direct().localAddr().toString());
            m.put("remoteAddr", r.direct().remoteAddr().toString());
            m.put("role", r.direct().role().name().toLowerCase(java.util.Locale.ROOT));
            m.put("simopen", r.direct().simopen() == null ? null : r.direct().simopen().detection().name());
        } catch (RuntimeException e) {
            m.put("ok", false);
            m.put("error", Main.oneLine(e));
        }
        return m;
    }

    /** What {@code dial} measures on a connection: identify, 3 ping round trips (ms), the echo checked. */
    private record Exercised(IdentifyInfo id, List<Double> pingRttsMs) {}

    private Exercised exercise(Connection c) {
        IdentifyInfo id = identify(c, timeoutMillis);
        PingClient ping = Await.result(c.newStream(s -> new PingClient(s, Duration.ofMillis(timeoutMillis)),
                ProtocolIds.PING), timeoutMillis, "opening a ping stream");
        List<Double> rtts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            rtts.add(Await.result(ping.ping(), timeoutMillis, "ping") / 1e6);
        }
        ping.close();
        if (echoBytes > 0) {
            byte[] data = new byte[echoBytes];
            new SecureRandom().nextBytes(data);
            EchoClient echo = Await.result(c.newStream(s -> new EchoClient(s, Duration.ofMillis(timeoutMillis)),
                    ProtocolIds.ECHO), timeoutMillis, "opening an echo stream");
            byte[] back = Await.result(echo.echo(data), timeoutMillis, "echo of " + echoBytes + " bytes");
            if (!Arrays.equals(data, back)) {
                throw new CliException("echo mismatch: sent " + data.length + " bytes, got back " + back.length
                        + " bytes that differ");
            }
        }
        return new Exercised(id, rtts);
    }

    @Override
    public Integer call() {
        Multiaddr addr = HostOptions.parse(target);
        if (echoBytes < 0) {
            throw new CliException("--echo-bytes must be >= 0", 2, null);
        }
        List<Multiaddr> listenAddrs = new ArrayList<>();
        listen.forEach(s -> listenAddrs.add(HostOptions.parse(s)));
        io.crossdial.host.relay.RelayClient relayClient = new io.crossdial.host.relay.RelayClient(timeoutMillis);
        io.crossdial.host.dcutr.Dcutr dcutr = new io.crossdial.host.dcutr.Dcutr(timeoutMillis, 5_000);
        boolean circuit = io.crossdial.host.relay.CircuitAddr.isCircuit(addr);
        if (holepunch && !circuit) {
            throw new CliException("--holepunch needs a .../p2p-circuit/p2p/PEER address", 2, null);
        }
        io.crossdial.host.HostBuilder builder = relayClient.register(Services.serveAll(hostOptions.builder(listenAddrs)));
        if (holepunch) {
            dcutr.register(builder);
        }
        try (Host host = builder.build().start()) {
            relayClient.bind(host);
            dcutr.bind(host);
            long start = System.nanoTime();
            java.util.Map<String, Object> punch = null;
            Connection c;
            if (circuit) {
                if (holepunch) {
                    // our address as the relay sees it, for DCUtR's CONNECT: identify on the relay connection
                    io.crossdial.host.relay.CircuitAddr ca = io.crossdial.host.relay.CircuitAddr.parse(addr);
                    Connection relayConn = Await.result(host.dial(ca.relayAddr()), timeoutMillis,
                            "dial " + ca.relayAddr());
                    Await.result(relayClient.identify(relayConn), timeoutMillis, "identify with the relay");
                }
                c = Await.result(relayClient.dial(addr), timeoutMillis, "relayed dial " + addr);
                if (holepunch) {
                    punch = awaitHolepunch(dcutr, c, start);
                    if (Boolean.TRUE.equals(punch.get("ok"))) {
                        c = settledDirect(host, c);
                    }
                }
            } else {
                c = Await.result(host.dial(addr), timeoutMillis, "dial " + addr);
            }
            double connectMs = (System.nanoTime() - start) / 1e6;

            Exercised done;
            try {
                done = exercise(c);
            } catch (RuntimeException e) {
                // After a hole punch over two 4-tuples (several addresses dialed at once, see settledDirect),
                // the crossed-dial rule keeps one of the two connections on both sides; when the other side's
                // dial is still upgrading at the moment ours completes, the one handed out can be the one closed.
                Connection kept = punch != null ? host.connection(c.remotePeer()) : null;
                if (c.channel().isActive() || kept == null || kept == c || !kept.channel().isActive()) {
                    throw e;
                }
                c = kept;
                done = exercise(c);
            }
            IdentifyInfo id = done.id();
            List<Double> rtts = done.pingRttsMs();
            if (json) {
                System.out.println(JsonLines.line("event", "dialed", "ok", true,
                        "remotePeer", c.remotePeer().toString(),
                        "security", c.security(),
                        "muxer", c.muxer(),
                        "connectMs", Main.round3(connectMs),
                        "pingRttMs", rtts.stream().map(Main::round3).toList(),
                        "identify", identifyJson(id),
                        "echoBytes", echoBytes,
                        "localAddr", c.localAddr().toString(),
                        "remoteAddr", c.remoteAddr().toString(),
                        "relayed", c.isRelayed(),
                        "holepunch", punch));
            } else {
                System.out.printf("connected to %s in %.1f ms (%s -> %s, %s + %s)%n", c.remotePeer(), connectMs,
                        c.localAddr(), c.remoteAddr(), c.security(), c.muxer());
                System.out.printf("identify: %s, protocols %s, listen %s, observed us as %s%n", id.agentVersion(),
                        id.protocols(), id.listenAddrs(), id.observedAddr());
                if (punch != null) {
                    System.out.println(Boolean.TRUE.equals(punch.get("ok"))
                            ? String.format("holepunch: direct connection %.1f ms after the relayed one (attempt %s, "
                                    + "relayed rtt %.2f ms, role hint %s, dialed %s); relayed connection closed",
                                    punch.get("relayedToDirectMs"), punch.get("attempts"), punch.get("rttMs"),
                                    punch.get("roleHint"), punch.get("remoteAddrs"))
                            : "holepunch failed (" + punch.get("error") + "); staying on the relayed connection");
                }
                System.out.printf("ping rtt: %s ms%n", rtts.stream().map(r -> String.format("%.2f", r)).toList());
                System.out.printf("echo: %d bytes back, identical%n", echoBytes);
            }
            c.close().awaitUninterruptibly(2000);
            return 0;
        } catch (RuntimeException e) {
            if (json) {
                System.out.println(JsonLines.line("event", "dialed", "ok", false, "error", Main.oneLine(e)));
            }
            throw e;
        }
    }
}
