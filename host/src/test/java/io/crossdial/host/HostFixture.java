package io.crossdial.host;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.protocol.EchoClient;
import io.crossdial.host.protocol.EchoResponder;
import io.crossdial.host.protocol.PingClient;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Real hosts on loopback TCP for host tests: Noise, yamux, echo served, ping served by default; every new
 * connection and every failed inbound upgrade is recorded.
 */
final class HostFixture implements AutoCloseable {
    /** Upper bound of every wait in these tests, in ms. */
    static final long WAIT_MILLIS = 5_000;
    static final Multiaddr LOOPBACK_ANY_PORT = Multiaddr.fromString("/ip4/127.0.0.1/tcp/0");

    private final List<Host> hosts = new ArrayList<>();

    /** One started host with its recorded events. */
    static final class Peer {
        final Host host;
        final BlockingQueue<Connection> connections = new LinkedBlockingQueue<>();
        final BlockingQueue<Map.Entry<SocketAddress, Throwable>> inboundFailures = new LinkedBlockingQueue<>();

        private Peer(boolean portReuse) {
            host = Host.builder()
                    .identity(Keys.generateEd25519())
                    .listen(LOOPBACK_ANY_PORT)
                    .security(new NoiseSecurityTransport())
                    .muxer(new YamuxStreamMuxer())
                    .protocol(ProtocolIds.ECHO, connection -> new EchoResponder())
                    .transportConfig(TcpTransportConfig.defaults().withPortReuse(portReuse))
                    .onConnection(connections::add)
                    .onInboundFailure((addr, cause) -> inboundFailures.add(Map.entry(addr, cause)))
                    .build()
                    .start();
        }

        PeerId peerId() {
            return host.peerId();
        }

        /** @return the listen address with {@code /p2p/} */
        Multiaddr addr() {
            return host.listenAddrs().get(0).withPeerId(host.peerId());
        }

        int listenPort() {
            return host.transport().listeners().get(0).localAddress().getPort();
        }

        /** @return the live connections to {@code peer} */
        List<Connection> liveTo(PeerId peer) {
            return host.connections().stream()
                    .filter(c -> c.remotePeer().equals(peer) && c.channel().isActive()).toList();
        }

        Connection nextConnection() throws InterruptedException {
            Connection c = connections.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            if (c == null) {
                throw new AssertionError("no connection event within " + WAIT_MILLIS + " ms");
            }
            return c;
        }
    }

    Peer peer(boolean portReuse) {
        Peer p = new Peer(portReuse);
        hosts.add(p.host);
        return p;
    }

    /** Pings once over a new stream; returns the round-trip time in ns. */
    static long ping(Connection c) throws Exception {
        PingClient client = c.newStream(s -> new PingClient(s, Duration.ofSeconds(5)), ProtocolIds.PING)
                .get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        try {
            return client.ping().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } finally {
            client.close();
        }
    }

    /** Echoes {@code data} over a new stream. */
    static byte[] echo(Connection c, byte[] data) throws Exception {
        EchoClient client = c.newStream(s -> new EchoClient(s, Duration.ofSeconds(5)), ProtocolIds.ECHO)
                .get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        return client.echo(data).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Waits until {@code f} is done, successfully or not.
     *
     * @return false if it is not done within {@code millis}
     */
    static boolean settles(java.util.concurrent.CompletableFuture<?> f, long millis) throws InterruptedException {
        try {
            f.get(millis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException e) {
            // done, failed
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        }
        return true;
    }

    /** Polls {@code condition} every 10 ms for at most {@code millis}; returns its last value. */
    static boolean eventually(long millis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return condition.getAsBoolean();
            }
            Thread.sleep(10);
        }
        return true;
    }

    static int port(Multiaddr tcp) {
        return tcp.toSocketAddress().getPort();
    }

    @Override
    public void close() {
        for (Host h : hosts) {
            h.close();
        }
    }
}
