package io.crossdial.cli;

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

    @Mixin
    HostOptions hostOptions;

    /** Runs identify and checks the announced key against the authenticated peer ID. */
    static IdentifyInfo identify(Connection c, long timeoutMillis) {
        IdentifyInfo id = Host.await(Host.await(c.newStream(s -> new IdentifyClient(s, Duration.ofMillis(timeoutMillis)),
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

    @Override
    public Integer call() {
        Multiaddr addr = HostOptions.parse(target);
        if (echoBytes < 0) {
            throw new CliException("--echo-bytes must be >= 0", 2, null);
        }
        List<Multiaddr> listenAddrs = new ArrayList<>();
        listen.forEach(s -> listenAddrs.add(HostOptions.parse(s)));
        io.crossdial.host.relay.RelayClient relayClient = new io.crossdial.host.relay.RelayClient(timeoutMillis);
        try (Host host = relayClient.register(Services.serveAll(hostOptions.builder(listenAddrs))).build().start()) {
            relayClient.bind(host);
            long start = System.nanoTime();
            Connection c = io.crossdial.host.relay.CircuitAddr.isCircuit(addr)
                    ? Host.await(relayClient.dial(addr), timeoutMillis, "relayed dial " + addr)
                    : host.dialSync(addr, timeoutMillis);
            double connectMs = (System.nanoTime() - start) / 1e6;

            IdentifyInfo id = identify(c, timeoutMillis);

            PingClient ping = Host.await(c.newStream(s -> new PingClient(s, Duration.ofMillis(timeoutMillis)),
                    ProtocolIds.PING), timeoutMillis, "opening a ping stream");
            List<Double> rtts = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                rtts.add(Host.await(ping.ping(), timeoutMillis, "ping") / 1e6);
            }
            ping.close();

            byte[] data = new byte[echoBytes];
            new SecureRandom().nextBytes(data);
            if (echoBytes > 0) {
                EchoClient echo = Host.await(c.newStream(s -> new EchoClient(s, Duration.ofMillis(timeoutMillis)),
                        ProtocolIds.ECHO), timeoutMillis, "opening an echo stream");
                byte[] back = Host.await(echo.echo(data), timeoutMillis, "echo of " + echoBytes + " bytes");
                if (!Arrays.equals(data, back)) {
                    throw new CliException("echo mismatch: sent " + data.length + " bytes, got back " + back.length
                            + " bytes that differ");
                }
            }
            if (json) {
                System.out.println(Json.event("dialed").put("ok", true)
                        .put("remotePeer", c.remotePeer().toString())
                        .put("security", c.security())
                        .put("muxer", c.muxer())
                        .put("connectMs", connectMs)
                        .put("pingRttMs", rtts)
                        .put("identify", identifyJson(id))
                        .put("echoBytes", echoBytes)
                        .put("localAddr", c.localAddr().toString())
                        .put("remoteAddr", c.remoteAddr().toString())
                        .put("relayed", c.isRelayed())
                        .line());
            } else {
                System.out.printf("connected to %s in %.1f ms (%s -> %s, %s + %s)%n", c.remotePeer(), connectMs,
                        c.localAddr(), c.remoteAddr(), c.security(), c.muxer());
                System.out.printf("identify: %s, protocols %s, listen %s, observed us as %s%n", id.agentVersion(),
                        id.protocols(), id.listenAddrs(), id.observedAddr());
                System.out.printf("ping rtt: %s ms%n", rtts.stream().map(r -> String.format("%.2f", r)).toList());
                System.out.printf("echo: %d bytes back, identical%n", echoBytes);
            }
            c.close().awaitUninterruptibly(2000);
            return 0;
        } catch (RuntimeException e) {
            if (json) {
                System.out.println(Json.event("dialed").put("ok", false).put("error", Main.oneLine(e)).line());
            }
            throw e;
        }
    }
}
