package io.crossdial.transport.tcp.listen;

import static io.crossdial.transport.tcp.listen.Sockets.ma;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.transport.tcp.TcpListener;
import io.crossdial.transport.tcp.TcpTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HandshakeLimitTest {
    private final TcpTransport transport = new TcpTransport(TcpTransportConfig.defaults().withMaxHandshakes(8)
            .withInterfacePollMillis(0));
    private final List<Socket> clients = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (Socket s : clients) {
            s.close();
        }
        transport.close();
    }

    @Test
    void handshakeLimitDefaultsToHalfTheBacklog() {
        assertEquals(512, TcpTransportConfig.defaults().effectiveMaxHandshakes());
        assertEquals(512, TcpTransportConfig.defaults().acceptQueueLength());
        assertEquals(8, TcpTransportConfig.defaults().withMaxHandshakes(8).effectiveMaxHandshakes());
    }

    @Test
    void atTheLimitTheListenerStopsAcceptingUntilAHandshakeFinishes() throws Exception {
        Queue<Channel> accepted = Sockets.queue();
        TcpListener listener = transport.listenAll(List.of(ma("/ip4/127.0.0.1/tcp/0")), Sockets.recording(accepted)).get(0);
        for (int i = 0; i < 20; i++) {
            clients.add(Sockets.connect(listener.localAddress())); // the kernel completes all 20
        }
        Sockets.await(() -> accepted.size() == 8, "8 accepts");
        Thread.sleep(200); // the other 12 wait in the kernel's accept queue
        assertEquals(8, accepted.size());
        assertEquals(8, listener.stats().handshakesInProgress());

        TcpTransport.handshakeFinished(accepted.peek());
        TcpTransport.handshakeFinished(accepted.peek()); // idempotent
        Sockets.await(() -> accepted.size() == 9, "one more accept");
        Thread.sleep(100);
        assertEquals(9, accepted.size());

        // a failed handshake: the connection closes, and that frees its slot
        new ArrayList<>(accepted).get(1).close();
        Sockets.await(() -> accepted.size() == 10, "an accept after a close");
        assertEquals(8, listener.stats().handshakesInProgress());
        assertEquals(8, listener.stats().peakHandshakes());
    }

    @Test
    void twoHundredSlowClientsNeverHaveMoreThanEightHandshakesAtOnce() throws Exception {
        Queue<Channel> accepted = Sockets.queue();
        ChannelInitializer<Channel> slowHandshake = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                accepted.add(ch);
                long millis = ThreadLocalRandom.current().nextLong(1, 15);
                if (ThreadLocalRandom.current().nextBoolean()) {
                    ch.eventLoop().schedule(() -> TcpTransport.handshakeFinished(ch), millis, TimeUnit.MILLISECONDS);
                } else {
                    ch.eventLoop().schedule(() -> ch.close(), millis, TimeUnit.MILLISECONDS); // handshake failure
                }
            }
        };
        TcpListener listener = transport.listenAll(List.of(ma("/ip4/127.0.0.1/tcp/0")), slowHandshake).get(0);
        for (int i = 0; i < 200; i++) {
            clients.add(Sockets.connect(listener.localAddress()));
        }
        Sockets.await(() -> accepted.size() == 200, "200 accepts");
        Sockets.await(() -> listener.stats().handshakesInProgress() == 0, "every slot back");
        System.out.println("200 slow clients, max-handshakes 8: peak " + listener.stats().peakHandshakes());
        assertTrue(listener.stats().peakHandshakes() <= 8, "peak " + listener.stats().peakHandshakes());
        assertEquals(8, listener.stats().peakHandshakes());
    }
}
