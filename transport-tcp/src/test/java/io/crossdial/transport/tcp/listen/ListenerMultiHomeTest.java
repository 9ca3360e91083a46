package io.crossdial.transport.tcp.listen;

import static io.crossdial.transport.tcp.listen.Sockets.ip;
import static io.crossdial.transport.tcp.listen.Sockets.ma;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.transport.tcp.ListenerEvent;
import io.crossdial.transport.tcp.TcpBindException;
import io.crossdial.transport.tcp.TcpListener;
import io.crossdial.transport.tcp.TcpTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ListenerMultiHomeTest {
    private final TcpTransport transport = new TcpTransport(TcpTransportConfig.defaults().withInterfacePollMillis(0));
    private final List<InetAddress> interfaces = new CopyOnWriteArrayList<>(
            List.of(ip("127.0.0.2"), ip("127.0.0.3"), ip("127.0.0.4")));
    private final List<ListenerEvent> events = new CopyOnWriteArrayList<>();

    ListenerMultiHomeTest() {
        transport.interfaceAddresses(() -> List.copyOf(interfaces));
        transport.onListenerEvent(events::add);
    }

    @AfterEach
    void close() {
        transport.close();
    }

    private static Set<String> hosts(List<TcpListener> listeners) {
        return listeners.stream().map(l -> l.localAddress().getAddress().getHostAddress()).collect(Collectors.toSet());
    }

    @Test
    void wildcardBecomesOneListenerPerInterfaceAddressOnOnePort() throws IOException {
        List<TcpListener> bound = transport.listenAll(List.of(ma("/ip4/0.0.0.0/tcp/0")), Sockets.recording(Sockets.queue()));
        assertEquals(Set.of("127.0.0.2", "127.0.0.3", "127.0.0.4"), hosts(bound));
        int port = bound.get(0).localAddress().getPort();
        assertNotEquals(0, port);
        for (TcpListener l : bound) {
            assertEquals(port, l.localAddress().getPort(), "every address on the first address's port");
            assertFalse(l.localAddress().getAddress().isAnyLocalAddress());
            assertEquals(ma("/ip4/0.0.0.0/tcp/0"), l.requested());
            try (Socket s = Sockets.connect(l.localAddress())) {
                assertTrue(s.isConnected());
            }
        }
    }

    @Test
    void explicitAddressesAreBoundFirstAndNotDuplicatedByTheWildcard() {
        List<TcpListener> bound = transport.listenAll(
                List.of(ma("/ip4/0.0.0.0/tcp/0"), ma("/ip4/127.0.0.3/tcp/0")), Sockets.recording(Sockets.queue()));
        assertEquals("127.0.0.3", bound.get(0).localAddress().getAddress().getHostAddress());
        assertEquals(3, bound.size());
        assertEquals(Set.of("127.0.0.2", "127.0.0.3", "127.0.0.4"), hosts(bound));
    }

    @Test
    void wildcardIsBoundAsItIsWhenInterfacesCannotBeEnumerated() {
        transport.interfaceAddresses(() -> {
            throw new SocketException("no netlink here");
        });
        List<TcpListener> bound = transport.listenAll(List.of(ma("/ip4/0.0.0.0/tcp/0")), Sockets.recording(Sockets.queue()));
        assertEquals(1, bound.size());
        assertTrue(bound.get(0).localAddress().getAddress().isAnyLocalAddress());
    }

    @Test
    void listenersFollowInterfaceChangesWithAnEventEach() throws Exception {
        List<TcpListener> bound = transport.listenAll(List.of(ma("/ip4/0.0.0.0/tcp/0")), Sockets.recording(Sockets.queue()));
        int port = bound.get(0).localAddress().getPort();
        TcpListener gone = bound.stream().filter(l -> l.localAddress().getAddress().equals(ip("127.0.0.3")))
                .findFirst().orElseThrow();
        interfaces.remove(ip("127.0.0.3"));
        interfaces.add(ip("127.0.0.5"));
        transport.refreshInterfaces();

        assertEquals(Set.of("127.0.0.2", "127.0.0.4", "127.0.0.5"), hosts(transport.listeners()));
        assertEquals(List.of(ListenerEvent.Kind.ADDED, ListenerEvent.Kind.REMOVED),
                events.stream().map(ListenerEvent::kind).toList());
        assertEquals(ma("/ip4/127.0.0.5/tcp/" + port), events.get(0).multiaddr());
        assertEquals(ma("/ip4/127.0.0.3/tcp/" + port), events.get(1).multiaddr());
        Sockets.await(() -> !gone.isActive(), "the removed address's listener to close");
        assertThrows(ConnectException.class, () -> Sockets.connect(gone.localAddress()).close());
        try (Socket s = Sockets.connect(new java.net.InetSocketAddress("127.0.0.5", port))) {
            assertTrue(s.isConnected());
        }
        transport.refreshInterfaces();
        assertEquals(2, events.size(), "no event when nothing changed");
    }

    @Test
    void anAddressThatCannotBeBoundIsReportedAndTheOthersServe() {
        interfaces.add(ip("198.51.100.7")); // TEST-NET-2: not assigned here
        List<TcpListener> bound = transport.listenAll(List.of(ma("/ip4/0.0.0.0/tcp/0")), Sockets.recording(Sockets.queue()));
        assertEquals(3, bound.size());
        assertEquals(1, events.size());
        assertEquals(ListenerEvent.Kind.FAILED, events.get(0).kind());
        TcpBindException e = assertInstanceOf(TcpBindException.class, events.get(0).cause());
        assertEquals(TcpBindException.Reason.ADDRESS_NOT_AVAILABLE, e.reason());
        assertTrue(e.getMessage().contains("198.51.100.7"), e.getMessage());
    }

    @Test
    void aWildcardWhoseEveryAddressFailsFailsTheCall() {
        interfaces.clear();
        interfaces.add(ip("198.51.100.7"));
        TcpBindException e = assertThrows(TcpBindException.class, () ->
                transport.listenAll(List.of(ma("/ip4/0.0.0.0/tcp/0")), Sockets.recording(Sockets.queue())));
        assertEquals(TcpBindException.Reason.ADDRESS_NOT_AVAILABLE, e.reason());
        assertTrue(transport.listeners().isEmpty());
    }
}
