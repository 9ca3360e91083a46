package io.crossdial.cli;

import io.crossdial.lab.JsonLines;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Host;
import io.crossdial.host.HostBuilder;
import io.crossdial.host.relay.RelayConfig;
import io.crossdial.host.relay.RelayService;
import io.crossdial.upgrader.DefaultResourceManager;
import io.crossdial.upgrader.RelayResourceLimits;
import io.crossdial.upgrader.ResourceLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code crossdial relay}: a circuit relay v2 server (hop protocol) that also serves ping and identify. The
 * relay flags set the host's resource manager's relay limits ({@link RelayResourceLimits}); the connection and
 * stream limits stay {@link ResourceLimits#defaults()}.
 */
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
    int maxReservations = RelayResourceLimits.DEFAULT.maxReservations();

    @Option(names = "--max-reservations-per-ip", paramLabel = "N", description = "Reservations from one IP; default 8")
    int maxReservationsPerIp = RelayResourceLimits.DEFAULT.maxReservationsPerIp();

    @Option(names = "--max-circuits", paramLabel = "N", description = "Relayed connections at once; default 1024")
    int maxCircuits = RelayResourceLimits.DEFAULT.maxCircuits();

    @Option(names = "--max-circuits-per-peer", paramLabel = "N",
            description = "Relayed connections from or to one peer at once; default 16")
    int maxCircuitsPerPeer = RelayResourceLimits.DEFAULT.maxCircuitsPerPeer();

    @Option(names = "--limit-seconds", paramLabel = "S",
            description = "Duration limit of each relayed connection in s, 0 for none; default 120")
    long limitSeconds = RelayResourceLimits.DEFAULT.circuitDurationSeconds();

    @Option(names = "--limit-bytes", paramLabel = "B",
            description = "Data limit of each relayed connection in each direction, 0 for none; default 131072")
    long limitBytes = RelayResourceLimits.DEFAULT.circuitDataBytes();

    @Mixin
    HostOptions hostOptions;

    @Override
    public Integer call() throws InterruptedException {
        List<Multiaddr> addrs = new ArrayList<>();
        for (String s : listen.isEmpty() ? List.of("/ip4/0.0.0.0/tcp/0") : listen) {
            addrs.add(HostOptions.parse(s));
        }
        ResourceLimits limits;
        try {
            limits = ResourceLimits.defaults().withRelay(RelayResourceLimits.DEFAULT
                    .withReservations(maxReservations, maxReservationsPerIp)
                    .withCircuits(maxCircuits, maxCircuitsPerPeer)
                    .withCircuitLimit(limitSeconds, limitBytes));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2, e);
        }
        EventOutput output = new EventOutput(json, System.out);
        HostBuilder b = Services.serveAll(hostOptions.builder(addrs))
                .onConnection(c -> output.print(ListenCommand.connectionLine(c, json)))
                .resourceManager(new DefaultResourceManager(limits));
        Host host = b.build();
        RelayService relay = RelayService.serve(host, RelayConfig.defaults());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            output.close();
            host.close();
        }));
        host.start();
        List<String> shown = new ArrayList<>();
        for (Multiaddr a : host.advertisedAddrs()) {
            shown.add(a.withPeerId(host.peerId()).toString());
        }
        if (json) {
            output.printFromCommand(JsonLines.line("event", "relay-listening", "peerId", host.peerId().toString(), "multiaddrs", shown, "limitSeconds", limitSeconds, "limitBytes", limitBytes));
        } else {
            StringBuilder text = new StringBuilder("crossdial relay as " + host.peerId() + " (limit " + limitSeconds
                    + " s, " + limitBytes + " B per relayed connection)");
            shown.forEach(a -> text.append("\n  ").append(a));
            output.printFromCommand(text.toString());
        }
        stop.await(seconds > 0 ? seconds : Long.MAX_VALUE / 2, TimeUnit.SECONDS);
        output.close();
        if (json) {
            output.print(JsonLines.line("event", "relay-stats", "reservations", relay.reservations(), "circuits", relay.circuits(), "circuitsOpened", relay.circuitsOpened(), "refusedForLimits", relay.refusedForLimits(), "malformedRequests", relay.malformedRequests()));
        }
        host.close();
        return 0;
    }
}
