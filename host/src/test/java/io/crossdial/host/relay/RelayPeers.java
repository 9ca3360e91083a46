package io.crossdial.host.relay;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.HostBuilder;
import io.crossdial.host.protocol.EchoClient;
import io.crossdial.host.protocol.EchoResponder;
import io.crossdial.host.protocol.PingClient;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import io.crossdial.upgrader.DefaultResourceManager;
import io.crossdial.upgrader.RelayResourceLimits;
import io.crossdial.upgrader.ResourceLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Real hosts on loopback for the relay tests: a relay, and clients with a {@link RelayClient}. */
final class RelayPeers implements AutoCloseable {
    static final long WAIT_MILLIS = 10_000;
    static final Multiaddr LOOPBACK = Multiaddr.fromString("/ip4/127.0.0.1/tcp/0");
    private final List<AutoCloseable> open = new ArrayList<>();

    static final class Relay {
        final Host host;
        final RelayService service;

        final DefaultResourceManager resources;

        Relay(RelayResourceLimits limits) {
            resources = new DefaultResourceManager(ResourceLimits.defaults().withRelay(limits));
            host = base(Keys.generateEd25519()).resourceManager(resources).build().start();
            service = RelayService.serve(host, RelayConfig.defaults());
        }

        Multiaddr addr() {
            return host.listenAddrs().get(0).withPeerId(host.peerId());
        }
    }

    static final class Client {
        final Host host;
        final RelayClient relay = new RelayClient(WAIT_MILLIS);
        final BlockingQueue<Connection> connections = new LinkedBlockingQueue<>();

        Client() {
            host = relay.register(base(Keys.generateEd25519())).onConnection(connections::add).build().start();
            relay.bind(host);
        }

        Connection nextRelayed() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
            while (System.nanoTime() < deadline) {
                Connection c = connections.poll(100, TimeUnit.MILLISECONDS);
                if (c != null && c.isRelayed()) {
                    return c;
                }
            }
            throw new AssertionError("no relayed connection within " + WAIT_MILLIS + " ms");
        }
    }

    static HostBuilder base(PrivateKey key) {
        return Host.builder().identity(key).listen(LOOPBACK)
                .security(new NoiseSecurityTransport()).muxer(new YamuxStreamMuxer())
                .protocol(ProtocolIds.ECHO, connection -> new EchoResponder())
                .transportConfig(TcpTransportConfig.defaults());
    }

    Relay relay(RelayResourceLimits limits) {
        Relay r = new Relay(limits);
        open.add(r.host);
        return r;
    }

    Client client() {
        Client c = new Client();
        open.add(c.host);
        open.add(c.relay);
        return c;
    }

    static long ping(Connection c) throws Exception {
        PingClient client = c.newStream(s -> new PingClient(s, Duration.ofSeconds(5)), ProtocolIds.PING)
                .get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        try {
            return client.ping().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } finally {
            client.close();
        }
    }

    static byte[] echo(Connection c, byte[] data) throws Exception {
        EchoClient client = c.newStream(s -> new EchoClient(s, Duration.ofSeconds(5)), ProtocolIds.ECHO)
                .get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        return client.echo(data).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Opens a hop stream to the relay, writes {@code raw}, and collects what comes back until the relay
     * closes the stream.
     *
     * @return the bytes the relay sent before it closed the stream
     */
    static byte[] rawHop(Connection toRelay, byte[] raw) throws Exception {
        return io.crossdial.host.RawStreams.exchange(toRelay, RelayProtocols.HOP, raw, WAIT_MILLIS);
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }
}
