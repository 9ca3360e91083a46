package io.crossdial.interop.listen;

import static io.crossdial.interop.listen.ListenRuns.crossdial;
import static io.crossdial.interop.listen.ListenRuns.requireLab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.lab.LabPeer;
import io.crossdial.lab.NetnsLab;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A host with two addresses on two networks, in the network-namespace lab.
 *
 * <p>{@link NetnsLab}'s middle namespace is exactly that host: H has 198.18.1.1/24 on the link to peer P1
 * (198.18.1.2, namespace A) and 198.18.2.1/24 on the link to peer P2 (198.18.2.2, namespace B); with
 * {@link NetnsLab#linksUp()} both links carry traffic. (Its forwarding is on but plays no part: each peer is
 * on one of H's own networks.) All processes are crossdial CLIs started from the test class path.
 */
class MultiHomeLabTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    @Timeout(120)
    void wildcardListenerDialsEachNetworkFromThatNetworksListenerAddressAndPort() {
        requireLab();
        try (NetnsLab lab = NetnsLab.create("listen2mh")) {
            lab.linksUp();
            // H enumerates its interfaces at start: a link without carrier yet is not "up" to the JDK and would be
            // picked up only by the next interface poll (5 s)
            lab.awaitRouterLinksRunning(Duration.ofSeconds(10));
            String h = "198.18.1.1";
            String h2 = "198.18.2.1";
            try (LabPeer host = LabPeer.start("H", lab.command(lab.routerNamespace(),
                    crossdial("lab-peer", "--ip", "0.0.0.0")));
                    LabPeer p1 = LabPeer.start("P1", lab.command(lab.peerA().namespace(),
                            crossdial("lab-peer", "--ip", lab.peerA().host())));
                    LabPeer p2 = LabPeer.start("P2", lab.command(lab.peerB().namespace(),
                            crossdial("lab-peer", "--ip", lab.peerB().host())))) {
                host.send(Map.of("cmd", "listen", "port", 0));
                Multiaddr hostAddr = Multiaddr.fromString((String) host.awaitEvent("listening", WAIT).get("multiaddr"));
                int port = hostAddr.toSocketAddress().getPort();
                assertFalse(hostAddr.toString().startsWith("/ip4/0.0.0.0/"), hostAddr.toString());
                p1.send(Map.of("cmd", "listen", "port", 0));
                String p1Addr = (String) p1.awaitEvent("listening", WAIT).get("multiaddr");
                p2.send(Map.of("cmd", "listen", "port", 0));
                String p2Addr = (String) p2.awaitEvent("listening", WAIT).get("multiaddr");

                Map<String, Object> toP1 = dial(host, p1Addr);
                Map<String, Object> toP2 = dial(host, p2Addr);
                String where = "H listens on port " + port + "\nto P1: " + toP1 + "\nto P2: " + toP2 + "\nH: "
                        + host.stderrTail();
                assertEquals(Boolean.TRUE, toP1.get("ok"), where);
                assertEquals(Boolean.TRUE, toP2.get("ok"), where);
                assertEquals("/ip4/" + h + "/tcp/" + port, toP1.get("localAddr"), where);
                assertEquals("/ip4/" + h2 + "/tcp/" + port, toP2.get("localAddr"), where);

                // what each peer saw as the remote end of its one inbound connection
                assertEquals("/ip4/" + h + "/tcp/" + port, inboundRemote(p1), where);
                assertEquals("/ip4/" + h2 + "/tcp/" + port, inboundRemote(p2), where);
                System.out.println("multi-home lab: H:" + port + " -> P1 from " + toP1.get("localAddr")
                        + ", -> P2 from " + toP2.get("localAddr"));
            }
        }
    }

    @Test
    @Timeout(60)
    void wildcardListenPrintsEachInterfaceAddressAndNeverTheWildcard() {
        requireLab();
        try (NetnsLab lab = NetnsLab.create("listen2wc")) {
            lab.linksUp();
            // H enumerates its interfaces at start: a link without carrier yet is not "up" to the JDK and would be
            // picked up only by the next interface poll (5 s)
            lab.awaitRouterLinksRunning(Duration.ofSeconds(10));
            try (LabPeer listen = LabPeer.start("listen", lab.command(lab.routerNamespace(),
                    crossdial("listen", "--listen", "/ip4/0.0.0.0/tcp/0", "--json")))) {
                Map<String, Object> listening = listen.awaitEvent("listening", WAIT);
                Set<String> hosts = new TreeSet<>();
                Set<Integer> ports = new TreeSet<>();
                for (Object o : (List<?>) listening.get("multiaddrs")) {
                    Multiaddr a = Multiaddr.fromString(String.valueOf(o));
                    hosts.add(a.toSocketAddress().getAddress().getHostAddress());
                    ports.add(a.toSocketAddress().getPort());
                    assertTrue(String.valueOf(o).endsWith("/p2p/" + listening.get("peerId")), listening.toString());
                }
                System.out.println("crossdial listen --listen /ip4/0.0.0.0/tcp/0 --json in H: " + listening);
                // the router namespace's loopback is down, so exactly its two link addresses
                assertEquals(Set.of("198.18.1.1", "198.18.2.1"), hosts, listening.toString());
                assertEquals(1, ports.size(), "one port for every address: " + listening);
                assertFalse(ports.contains(0), listening.toString());
            }
        }
    }

    private static Map<String, Object> dial(LabPeer host, String addr) {
        host.send(Map.of("cmd", "dial", "addr", addr, "echoBytes", 1024));
        host.awaitEvent("dialing", WAIT);
        return host.awaitEvent("dialed", WAIT);
    }

    private static String inboundRemote(LabPeer peer) {
        peer.send(Map.of("cmd", "connections"));
        Map<String, Object> c = peer.awaitEvent("connections", WAIT);
        List<String> inbound = new ArrayList<>();
        for (Object o : (List<?>) c.get("list")) {
            Map<?, ?> m = (Map<?, ?>) o;
            if ("inbound".equals(m.get("direction"))) {
                inbound.add(String.valueOf(m.get("remoteAddr")));
            }
        }
        assertEquals(1, inbound.size(), peer.name() + ": " + c);
        return inbound.get(0);
    }
}
