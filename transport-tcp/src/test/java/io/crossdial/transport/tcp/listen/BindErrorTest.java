package io.crossdial.transport.tcp.listen;

import static io.crossdial.transport.tcp.listen.Sockets.ma;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.transport.tcp.TcpBindException;
import io.crossdial.transport.tcp.TcpTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BindErrorTest {
    private final TcpTransport transport = new TcpTransport(TcpTransportConfig.defaults().withInterfacePollMillis(0));

    @AfterEach
    void close() {
        transport.close();
    }

    @Test
    void portHeldByASocketWithoutReusePortIsAddressInUseNamingAddressAndFix() throws Exception {
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress("127.0.0.1", 0)); // no SO_REUSEPORT
            int port = other.getLocalPort();
            TcpBindException e = assertThrows(TcpBindException.class, () -> transport.listenAll(
                    List.of(ma("/ip4/127.0.0.1/tcp/" + port)), Sockets.recording(Sockets.queue())));
            assertEquals(TcpBindException.Reason.ADDRESS_IN_USE, e.reason());
            assertEquals("cannot listen on /ip4/127.0.0.1/tcp/" + port + ": port " + port + " on 127.0.0.1 is already"
                    + " in use by another program (or one of another user); stop it or choose another port",
                    e.getMessage());
        }
    }

    @Test
    void addressOfNoInterfaceIsAddressNotAvailableNamingAddressAndFix() {
        TcpBindException e = assertThrows(TcpBindException.class, () -> transport.listenAll(
                List.of(ma("/ip4/198.51.100.7/tcp/4001")), Sockets.recording(Sockets.queue())));
        assertEquals(TcpBindException.Reason.ADDRESS_NOT_AVAILABLE, e.reason());
        assertEquals("cannot listen on /ip4/198.51.100.7/tcp/4001: address 198.51.100.7 is not assigned to any"
                + " interface of this host; use one of its addresses or 0.0.0.0", e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void failedSecondAddressClosesTheListenersAlreadyBound() {
        assertThrows(TcpBindException.class, () -> transport.listenAll(
                List.of(ma("/ip4/127.0.0.1/tcp/0"), ma("/ip4/198.51.100.7/tcp/4001")), Sockets.recording(Sockets.queue())));
        assertTrue(transport.listeners().isEmpty());
    }

    @Test
    void dnsNameIsRefusedAsAListenAddress() {
        TcpBindException e = assertThrows(TcpBindException.class, () -> transport.listenAll(
                List.of(ma("/dns4/localhost/tcp/4001")), Sockets.recording(Sockets.queue())));
        assertTrue(e.getMessage().contains("must be IP addresses"), e.getMessage());
    }
}
