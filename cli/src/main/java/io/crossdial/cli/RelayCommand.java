package io.crossdial.cli;

import io.crossdial.lab.JsonLines;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Host;
import io.crossdial.host.HostBuilder;
import io.crossdial.host.relay.RelayConfig;
import io.crossdial.host.relay.RelayLimit;
import io.crossdial.host.relay.RelayProtocols;
import io.crossdial.host.relay.RelayService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code crossdial relay}: a circuit relay v2 server (hop protocol) that also serves ping and identify. */
@Command(name = "relay", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Run a circuit relay v2 server (/libp2p/circuit/relay/0.2.0/hop): reservations, relayed connections")
final class RelayCommand implements Callable<Integer> {
    @Option(names = "--listen", paramLabel = "MULTIADDR",
            description = "Listen address (repeatable); default /ip4/0.0.0.0/tcp/0")
    List<String> listen = new ArrayList<>();

    @Option(names = "--seconds", paramLabel = "N", description = "Stop after N seconds; default: run until killed")
    long seconds;

    @Option(names = "--json", description = "One JSON line per event: listening, each connection, stats on exit")
    boolean json;

    @Option(names = "--max-reservations", paramLabel = "N", description = "Reservations at once; default 128")
    int maxReservations = RelayConfig.defaults().maxReservations();

    @Option(names = "--max-reservations-per-ip", paramLabel = "N", description = "Reservations from one IP; default 8")
    int maxReservationsPerIp = RelayConfig.defaults().maxReservationsPerIp();

    @Option(names = "--max-circuits", paramLabel = "N", description = "Relayed connections at once; default 1024")
    int maxCircuits = RelayConfig.defaults().maxCircuits();

    @Option(names = "--max-circuits-per-peer", paramLabel = "N",
            description = "Relayed connections from or to one peer at once; default 16")
    int maxCircuitsPerPeer = RelayConfig.defaults().maxCircuitsPerPeer();

    @Option(names = "--limit-seconds", paramLabel = "S",
            description = "Duration limit of each relayed connection in s, 0 for none; default 120")
    long limitSeconds = RelayLimit.DEFAULT.durationSeconds();

    @Option(names = "--limit-bytes", paramLabel = "B",
            description = "Data limit of each relayed connection in each direction, 0 for none; default 131072")
    long limitBytes = RelayLimit.DEFAULT.dataBytes();

    @Mixin
    HostOptions hostOptions;

    @Override
    public Integer call() throws InterruptedException {
        List<Multiaddr> addrs = new ArrayList<>();
        for (String s : listen.isEmpty() ? List.of("/ip4/0.0.0.0/tcp/0") : listen) {
            addrs.add(HostOptions.parse(s));
        }
        RelayConfig config;
        try {
            config = RelayConfig.defaults().withReservations(maxReservations, maxReservationsPerIp)
                    .withCircuits(maxCircuits, maxCircuitsPerPeer).withLimit(new RelayLimit(limitSeconds, limitBytes));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2, e);
        }
        HostBuilder b = Services.serveAll(hostOptions.builder(addrs)).onConnection(c -> ListenCommand.report(c, json));
        io.crossdial.core.crypto.PrivateKey key = hostOptions.loadKey();
        b.identity(key);
        Host[] holder = new Host[1];
        RelayService relay = new RelayService(key, () -> holder[0].advertisedAddrs(), config);
        Host host = b.protocol(RelayProtocols.HOP, relay.hopHandler()).build();
        holder[0] = host;
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            host.close();
        }));
        host.start();
        List<String> shown = new ArrayList<>();
        for (Multiaddr a : host.advertisedAddrs()) {
            shown.add(a.withPeerId(host.peerId()).toString());
        }
        if (json) {
            System.out.println(JsonLines.line("event", "relay-listening", "peerId", host.peerId().toString(), "multiaddrs", shown, "limitSeconds", limitSeconds, "limitBytes", limitBytes));
        } else {
            System.out.println("crossdial relay as " + host.peerId() + " (limit " + limitSeconds + " s, " + limitBytes
                    + " B per relayed connection)");
            shown.forEach(a -> System.out.println("  " + a));
        }
        System.out.flush();
        stop.await(seconds > 0 ? seconds : Long.MAX_VALUE / 2, TimeUnit.SECONDS);
        if (json) {
            System.out.println(JsonLines.line("event", "relay-stats", "reservations", relay.reservations(), "circuits", relay.circuits(), "circuitsOpened", relay.circuitsOpened(), "refusedForLimits", relay.refusedForLimits(), "malformedRequests", relay.malformedRequests()));
            System.out.flush();
        }
        host.close();
        return 0;
    }
}
