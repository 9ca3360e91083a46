package io.crossdial.transport.tcp.listen;

import static io.crossdial.transport.tcp.listen.Sockets.ip;
import static io.crossdial.transport.tcp.listen.Sockets.ma;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.transport.tcp.AddressScope;
import io.crossdial.transport.tcp.ConnectionLimitException;
import io.crossdial.transport.tcp.TcpListener;
import io.crossdial.transport.tcp.TcpTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ListenerLimitsAndSourceTest {

    @Test
    void scopesAreClassifiedAndFitted() {
        assertEquals(AddressScope.LOOPBACK, AddressScope.of(ip("127.0.0.9")));
        assertEquals(AddressScope.LOOPBACK, AddressScope.of(ip("::1")));
        assertEquals(AddressScope.LINK_LOCAL, AddressScope.of(ip("169.254.1.1")));
        assertEquals(AddressScope.LINK_LOCAL, AddressScope.of(ip("fe80::1")));
        assertEquals(AddressScope.PRIVATE, AddressScope.of(ip("10.1.2.3")));
        assertEquals(AddressScope.PRIVATE, AddressScope.of(ip("172.16.0.1")));
        assertEquals(AddressScope.PRIVATE, AddressScope.of(ip("192.168.1.1")));
        assertEquals(AddressScope.PRIVATE, AddressScope.of(ip("100.64.0.1")));
        assertEquals(AddressScope.PRIVATE, AddressScope.of(ip("fd00::2")));
        assertEquals(AddressScope.GLOBAL, AddressScope.of(ip("8.8.8.8")));
        assertEquals(AddressScope.GLOBAL, AddressScope.of(ip("2001:db8::1")));
        assertEquals(0, AddressScope.fit(AddressScope.PRIVATE, AddressScope.PRIVATE));
        assertEquals(1, AddressScope.fit(AddressScope.PRIVATE, AddressScope.GLOBAL));
        assertEquals(-1, AddressScope.fit(AddressScope.GLOBAL, AddressScope.LOOPBACK));
        assertEquals(-1, AddressScope.fit(AddressScope.LOOPBACK, AddressScope.GLOBAL));
        assertEquals(-1, AddressScope.fit(AddressScope.PRIVATE, AddressScope.LINK_LOCAL));
    }

    /** Two loopback listeners on one port; the kernel routes 127.0.0.9 from 127.0.0.1, so that one is used. */
    @Test
    void dialGoesOutFromTheListenerTheKernelRoutesFromWithItsPort() throws Exception {
        try (TcpTransport server = new TcpTransport(TcpTransportConfig.defaults().withInterfacePollMillis(0));
                TcpTransport client = new TcpTransport(TcpTransportConfig.defaults().withInterfacePollMillis(0))) {
            Queue<Channel> accepted = Sockets.queue();
            TcpListener remote = server.listenAll(List.of(ma("/ip4/127.0.0.9/tcp/0")), Sockets.recording(accepted)).get(0);
            client.interfaceAddresses(() -> List.of(ip("127.0.0.2"), ip("127.0.0.1")));
            List<TcpListener> mine = client.listenAll(List.of(ma("/ip4/0.0.0.0/tcp/0")), Sockets.recording(Sockets.queue()));
            int myPort = mine.get(0).localAddress().getPort();
            Future<Channel> dialed = client.dial(remote.multiaddr(), Sockets.recording(Sockets.queue()));
            Channel ch = dialed.syncUninterruptibly().getNow();
            assertEquals(new InetSocketAddress("127.0.0.1", myPort), ch.localAddress());
            Sockets.await(() -> accepted.size() == 1, "accept");
            assertEquals(new InetSocketAddress("127.0.0.1", myPort), accepted.peek().remoteAddress());
            ch.close().syncUninterruptibly();
        }
    }

    @Test
    void connectionLimitResetsTheExtraInboundAndRefusesDialsNamingTheLimit() throws Exception {
        List<Object[]> rejections = new CopyOnWriteArrayList<>();
        try (TcpTransport server = new TcpTransport(TcpTransportConfig.defaults().withMaxConnections(3)
                .withInterfacePollMillis(0))) {
            server.onInboundRejected((SocketAddress a, Throwable e) -> rejections.add(new Object[] {a, e}));
            Queue<Channel> accepted = Sockets.queue();
            TcpListener listener = server.listenAll(List.of(ma("/ip4/127.0.0.1/tcp/0")), Sockets.recording(accepted)).get(0);
            List<Socket> clients = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                clients.add(Sockets.connect(listener.localAddress()));
            }
            assertEquals("Connection reset", Sockets.howRefused(() -> {
                Socket s = Sockets.connect(listener.localAddress());
                clients.add(s);
                return s;
            }), "the fourth was reset");
            Sockets.await(() -> rejections.size() == 1, "one rejection");
            // The fourth is refused on the accept loop; the three before it reach the child handler later, when
            // their connection loops register them. No client is left to be accepted after the refusal.
            Sockets.await(() -> accepted.size() >= 3, "the three accepted connections' child handlers");
            assertEquals(3, accepted.size());
            assertEquals(3, server.openConnections());
            ConnectionLimitException e = assertInstanceOf(ConnectionLimitException.class, rejections.get(0)[1]);
            assertEquals(ConnectionLimitException.Limit.MAX_CONNECTIONS, e.limit());
            assertEquals("connection limit reached: 3 connections open (max-connections 3)", e.getMessage());
            assertEquals(1, listener.stats().rejected());

            Future<Channel> dial = server.dial(ma("/ip4/127.0.0.1/tcp/9"), Sockets.recording(Sockets.queue()));
            ConnectionLimitException d = assertInstanceOf(ConnectionLimitException.class, dial.await().cause());
            assertTrue(d.getMessage().startsWith("cannot dial /ip4/127.0.0.1/tcp/9: connection limit reached"));

            clients.get(0).close();
            Sockets.await(() -> server.openConnections() == 2, "the count to go down on close");
            for (Socket s : clients) {
                s.close();
            }
        }
    }
}
