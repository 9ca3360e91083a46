package io.crossdial.cli;

import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code crossdial listen}: serves ping, identify, echo and perf until stopped. */
@Command(name = "listen", description = "Listen and serve /ipfs/ping/1.0.0, /ipfs/id/1.0.0, /echo/1.0.0 and /perf/1.0.0")
final class ListenCommand implements Callable<Integer> {
    @Option(names = "--listen", paramLabel = "MULTIADDR",
            description = "Listen address (repeatable); default /ip4/0.0.0.0/tcp/0")
    List<String> listen = new ArrayList<>();

    @Option(names = "--seconds", paramLabel = "N", description = "Stop after N seconds; default: run until killed")
    long seconds;

    @Option(names = "--json", description = "One JSON line per event: listening, then each connection")
    boolean json;

    @Mixin
    HostOptions hostOptions;

    @Override
    public Integer call() throws InterruptedException {
        List<Multiaddr> addrs = new ArrayList<>();
        for (String s : listen.isEmpty() ? List.of("/ip4/0.0.0.0/tcp/0") : listen) {
            addrs.add(HostOptions.parse(s));
        }
        Host host = Services.serveAll(hostOptions.builder(addrs))
                .onConnection(c -> report(c, json))
                .onInboundFailure((remote, cause) -> {
                    if (json) {
                        System.out.println(Json.event("upgrade-failed").put("direction", "inbound")
                                .put("remoteAddr", String.valueOf(remote)).put("error", Main.oneLine(cause))
                                .put("errorType", cause.getCause() == null ? cause.getClass().getSimpleName()
                                        : cause.getCause().getClass().getSimpleName())
                                .line());
                    } else {
                        System.out.println("inbound connection from " + remote + " failed: " + Main.oneLine(cause));
                    }
                    System.out.flush();
                })
                .build();
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
            System.out.println(Json.event("listening").put("peerId", host.peerId().toString())
                    .put("multiaddrs", shown).line());
        } else {
            System.out.println("crossdial listening as " + host.peerId());
            shown.forEach(a -> System.out.println("  " + a));
        }
        System.out.flush();
        if (seconds > 0) {
            stop.await(seconds, TimeUnit.SECONDS);
        } else {
            stop.await();
        }
        host.close();
        return 0;
    }

    static void report(Connection c, boolean json) {
        if (json) {
            System.out.println(Json.event("connection")
                    .put("remotePeer", c.remotePeer().toString())
                    .put("direction", c.direction().jsonName())
                    .put("security", c.security())
                    .put("muxer", c.muxer())
                    .put("localAddr", c.localAddr().toString())
                    .put("remoteAddr", c.remoteAddr().toString())
                    .line());
        } else {
            System.out.println("connection " + c.direction().jsonName() + " " + c.remotePeer() + " "
                    + c.remoteAddr() + " via " + c.security() + " + " + c.muxer());
        }
        System.out.flush();
    }
}
