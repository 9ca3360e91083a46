package io.crossdial.transport.tcp.listen;

import static io.crossdial.transport.tcp.listen.Sockets.ma;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.transport.tcp.ConnectionLimitException;
import io.crossdial.transport.tcp.InboundRateLimit;
import io.crossdial.transport.tcp.TcpListener;
import io.crossdial.transport.tcp.TcpTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import io.netty.channel.Channel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The per-address handshake limit (specs/listeners.md, section 4): one remote IP address holds at most
 * {@code maxHandshakesPerAddress} handshake slots; one more connection from it is accepted and reset at once,
 * while other addresses are still served (specs/reliability.md, "Churn": slow handshakes from one address).
 */
class HandshakeLimitPerAddressTest {
    private final TcpTransport transport = new TcpTransport(TcpTransportConfig.defaults().withMaxHandshakes(8)
            .withMaxHandshakesPerAddress(2).withInterfacePollMillis(0));
    private final List<Socket> clients = new ArrayList<>();
    private final Queue<Throwable> rejections = new LinkedBlockingQueue<>();

    @AfterEach
    void close() throws Exception {
        for (Socket s : clients) {
            s.close();
        }
        transport.close();
    }

    private Socket connectFrom(String source, InetSocketAddress to) throws IOException {
        Socket s = new Socket();
        clients.add(s);
        s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        s.connect(to, 5_000);
        s.setSoTimeout(5_000);
        return s;
    }

    /** @return how a connection from {@code source} that the listener refuses ends ({@link Sockets#howRefused}) */
    private String resetByListener(String source, InetSocketAddress to) throws IOException {
        return Sockets.howRefused(() -> connectFrom(source, to));
    }

    @Test
    void aThirdHandshakeFromOneAddressIsClosedAtOnceWhileOtherAddressesAreServed() throws Exception {
        Queue<Channel> accepted = Sockets.queue();
        transport.onInboundRejected((remote, cause) -> rejections.add(cause));
        TcpListener listener = transport.listenAll(List.of(ma("/ip4/127.0.0.1/tcp/0")), Sockets.recording(accepted))
                .get(0);
        connectFrom("127.0.0.1", listener.localAddress());
        connectFrom("127.0.0.1", listener.localAddress());
        Sockets.await(() -> accepted.size() == 2, "2 accepts");
        assertEquals("Connection reset", resetByListener("127.0.0.1", listener.localAddress()),
                "the third connection from 127.0.0.1");
        Sockets.await(() -> rejections.size() == 1, "the rejection report");
        ConnectionLimitException e = (ConnectionLimitException) rejections.peek();
        assertEquals(ConnectionLimitException.Limit.MAX_HANDSHAKES_PER_ADDRESS, e.limit());
        assertEquals("handshake limit reached: 2 handshakes in progress from 127.0.0.1 (max-handshakes-per-address 2)",
                e.getMessage());
        assertEquals(0, e.getStackTrace().length, "a rejection at accept records no stack trace");
        assertEquals(1, listener.stats().rejected());

        connectFrom("127.0.0.2", listener.localAddress());
        Sockets.await(() -> accepted.size() == 3, "the accept from 127.0.0.2");
        assertEquals(3, listener.stats().handshakesInProgress());

        // a finished handshake gives its address's count back
        TcpTransport.handshakeFinished(accepted.peek());
        connectFrom("127.0.0.1", listener.localAddress());
        Sockets.await(() -> accepted.size() == 4, "an accept from 127.0.0.1 after a handshake finished");
        assertEquals(3, listener.stats().handshakesInProgress());
    }

    @Test
    void aConnectionOverTheInboundRateIsResetAtAcceptAndExemptPrefixesAreNotLimited() throws Exception {
        try (TcpTransport limited = new TcpTransport(TcpTransportConfig.defaults().withInterfacePollMillis(0)
                .withInboundRateLimit(new InboundRateLimit(0.001, 2, List.of("127.0.0.3/32"))))) {
            Queue<Channel> accepted = Sockets.queue();
            limited.onInboundRejected((remote, cause) -> rejections.add(cause));
            TcpListener listener = limited.listenAll(List.of(ma("/ip4/127.0.0.1/tcp/0")),
                    Sockets.recording(accepted)).get(0);
            connectFrom("127.0.0.2", listener.localAddress());
            connectFrom("127.0.0.2", listener.localAddress());
            Sockets.await(() -> accepted.size() == 2, "2 accepts");
            assertEquals("Connection reset", resetByListener("127.0.0.2", listener.localAddress()),
                    "the third connection from 127.0.0.2");
            Sockets.await(() -> rejections.size() == 1, "the rejection report");
            ConnectionLimitException e = (ConnectionLimitException) rejections.peek();
            assertEquals(ConnectionLimitException.Limit.INBOUND_RATE_PER_ADDRESS, e.limit());
            assertEquals("inbound rate limit reached: more than 2 connections from 127.0.0.2 at once, 0.001 a second"
                    + " after that (inbound-rate-per-address)", e.getMessage());
            assertEquals(0, e.getStackTrace().length);
            assertEquals(1, listener.stats().rejected());
            for (int i = 0; i < 5; i++) {
                connectFrom("127.0.0.3", listener.localAddress());
            }
            Sockets.await(() -> accepted.size() == 7, "5 accepts from the exempt 127.0.0.3");
            assertEquals(1, listener.stats().rejected());
        }
    }

    @Test
    void rejectsANegativeLimit() {
        assertThrows(IllegalArgumentException.class,
                () -> TcpTransportConfig.defaults().withMaxHandshakesPerAddress(-1));
        assertEquals(64, TcpTransportConfig.defaults().maxHandshakesPerAddress(), "an eighth of the 512 slots");
        assertEquals(0, TcpTransportConfig.defaults().withMaxHandshakesPerAddress(0).maxHandshakesPerAddress());
        assertEquals(7, TcpTransportConfig.defaults().withMaxHandshakesPerAddress(7).toBuilder().build()
                .maxHandshakesPerAddress(), "the builder keeps it");
        assertEquals(3, TcpTransportConfig.builder().maxHandshakesPerAddress(3).build().maxHandshakesPerAddress());
    }
}
