package io.crossdial.cli;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.SimultaneousOpenTestMode;
import io.crossdial.host.protocol.EchoClient;
import io.crossdial.host.protocol.PingClient;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.simopen.SimopenResult;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code crossdial demo}: a TCP simultaneous open resolved in-band, then Noise, yamux, ping and echo (and, in
 * the loopback mode, a 16 MiB /perf/1.0.0 download), as a readable timeline. Where the network-namespace lab
 * is available (root, iproute2) the SYNs really cross between two peer processes ({@link LabDemo}); elsewhere
 * a loopback test mode upgrades both ends of one TCP connection as dialers, and the first lines say why.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = "Show a TCP simultaneous open resolved in-band, as a timeline")
final class DemoCommand implements Callable<Integer> {
    static final long TIMEOUT_MILLIS = 30_000;
    /** What the loopback mode downloads over /perf/1.0.0 at the end: 16 MiB. */
    static final long PERF_BYTES = 16L << 20;

    @Option(names = "--echo-bytes", paramLabel = "N", description = "Bytes to echo; default 1048576 (1 MiB)")
    int echoBytes = 1 << 20;

    private long start;

    @Option(names = "--loopback", description = "Use the loopback test mode even where the lab is available")
    boolean loopback;

    @Option(names = "--nat", description = "In the lab, put each peer behind its own NAT (needs nft and"
            + " conntrack); the peers dial each other's public address")
    boolean nat;

    @Override
    public Integer call() {
        start = System.nanoTime();
        System.out.println("crossdial demo: two peers, one TCP connection, both of them the dialer");
        if (nat && loopback) {
            System.err.println("crossdial: error: --nat needs the network-namespace lab, not --loopback");
            return 2;
        }
        java.util.Optional<String> unavailable = io.crossdial.cli.lab.LabDemo.unavailableReason(nat);
        if (!loopback && unavailable.isEmpty()) {
            return io.crossdial.cli.lab.LabDemo.run(echoBytes, nat);
        }
        if (nat) {
            System.err.println("crossdial: error: --nat: " + unavailable.get());
            return 1;
        }
        System.out.println("mode: loopback test mode (" + (loopback ? "--loopback" : "no network-namespace lab: "
                + unavailable.get()) + ")");
        System.out.println("      one TCP connection whose two ends are both upgraded as"
                + " dialers from their listen ports: the state crossed SYNs leave behind");
        try (Host a = newHost("A"); Host b = newHost("B")) {
            line("peer A %s listening on %s", a.peerId(), a.listenAddrs());
            line("peer B %s listening on %s", b.peerId(), b.listenAddrs());
            line("A and B connect: one TCP connection, and each end believes it is the dialer");
            // each step is bounded by TIMEOUT_MILLIS in the test mode; this wait only backs them up
            Connection[] pair = Await.result(SimultaneousOpenTestMode.connect(a, b, TIMEOUT_MILLIS),
                    6 * TIMEOUT_MILLIS, "the loopback test mode's connection");
            Connection ca = pair[0];
            Connection cb = pair[1];
            line("TCP: %s <-> %s", ca.localAddr(), ca.remoteAddr());
            for (Connection c : pair) {
                String who = c == ca ? "A" : "B";
                SimopenResult r = c.simopen();
                line("%s: first byte from the remote was 0x00 (the poison byte): %s", who,
                        r.simultaneousOpen() ? "simultaneous open detected" : "not detected");
                line("%s: sent select:%s, received select:%s -> %s", who, Long.toUnsignedString(r.localNonce()),
                        Long.toUnsignedString(r.remoteNonce()), r.role().name().toLowerCase());
            }
            Connection initiator = ca.role() == io.crossdial.core.spi.Role.INITIATOR ? ca : cb;
            String ini = initiator == ca ? "A" : "B";
            String res = initiator == ca ? "B" : "A";
            line("Noise XX: %s initiator, %s responder; A sees %s, B sees %s (peer IDs verified)", ini, res,
                    ca.remotePeer(), cb.remotePeer());
            line("%s: %s client (odd stream IDs), %s server, same TCP connection kept", ca.muxer(), ini, res);
            io.crossdial.host.protocol.IdentifyInfo id = DialCommand.identify(ca, TIMEOUT_MILLIS);
            line("A identifies B over /ipfs/id/1.0.0: %s, protocols %s, sees A at %s", id.agentVersion(),
                    id.protocols(), id.observedAddr());
            PingClient ping = Await.result(ca.newStream(s -> new PingClient(s, Duration.ofMillis(TIMEOUT_MILLIS)),
                    ProtocolIds.PING), TIMEOUT_MILLIS, "ping stream");
            for (int i = 0; i < 3; i++) {
                long rtt = Await.result(ping.ping(), TIMEOUT_MILLIS, "ping");
                line("A pings B over /ipfs/ping/1.0.0: rtt %.3f ms", rtt / 1e6);
            }
            ping.close();
            byte[] data = new byte[echoBytes];
            new SecureRandom().nextBytes(data);
            EchoClient echo = Await.result(cb.newStream(s -> new EchoClient(s, Duration.ofMillis(TIMEOUT_MILLIS)),
                    ProtocolIds.ECHO), TIMEOUT_MILLIS, "echo stream");
            byte[] back = Await.result(echo.echo(data), TIMEOUT_MILLIS, "echo");
            if (!Arrays.equals(data, back)) {
                throw new CliException("echo mismatch");
            }
            line("B echoes %d random bytes through A over /echo/1.0.0: identical", echoBytes);
            // also what the launcher's class-data archive is trained on (this run), so that `crossdial perf`
            // starts with the perf classes loaded
            io.crossdial.host.protocol.PerfResult perf = Await.result(io.crossdial.host.protocol.PerfClient
                    .runParallel(ca, 1, 0, PERF_BYTES, Duration.ofMillis(TIMEOUT_MILLIS), TIMEOUT_MILLIS,
                            TIMEOUT_MILLIS), 2 * TIMEOUT_MILLIS, "perf");
            line("A downloads %d bytes from B over /perf/1.0.0: %.2f Gbit/s", perf.downloadBytes(),
                    perf.downloadBitsPerSecond() / 1e9);
            ca.close().awaitUninterruptibly(2000);
            line("closed: yamux GoAway, then TCP close");
        }
        return 0;
    }

    private Host newHost(String name) {
        return Services.serveAll(Host.builder()
                        .identity(Keys.generateEd25519())
                        .listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))
                        .security(new NoiseSecurityTransport())
                        .security(new io.crossdial.security.tls.TlsSecurityTransport())
                        .muxer(new YamuxStreamMuxer())
                        .muxer(new io.crossdial.muxer.mplex.MplexStreamMuxer())
                        .agentVersion("crossdial-demo-" + name + "/0.1.0"))
                .build().start();
    }

    private void line(String format, Object... args) {
        System.out.printf("%+9.1f ms  %s%n", (System.nanoTime() - start) / 1e6, String.format(format, args));
        System.out.flush();
    }
}
