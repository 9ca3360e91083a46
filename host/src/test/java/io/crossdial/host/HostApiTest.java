package io.crossdial.host;

import static io.crossdial.host.HostFixture.WAIT_MILLIS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.multiaddr.MultiaddrException;
import io.crossdial.host.protocol.EchoClient;
import io.crossdial.host.protocol.EchoResponder;
import io.crossdial.host.protocol.IdentifyInfo;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.multistream.MultistreamException;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.netty.channel.ChannelOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The host API around connections: async calls, run-time protocols with identify push, /dnsaddr, keepalive. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostApiTest {
    private static final String X = "/x/1.0.0";
    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void tearDown() {
        hosts.forEach(Host::close);
    }

    private Host host(boolean listen, HostBuilder extra) {
        HostBuilder b = extra.identity(Keys.generateEd25519()).security(new NoiseSecurityTransport())
                .muxer(new YamuxStreamMuxer());
        if (listen) {
            b.listen(HostFixture.LOOPBACK_ANY_PORT);
        }
        Host h = b.build().start();
        hosts.add(h);
        return h;
    }

    private static Multiaddr addr(Host h) {
        return h.listenAddrs().get(0).withPeerId(h.peerId());
    }

    private static <T> T get(java.util.concurrent.CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Test
    void asyncConnectPingAndIdentify() throws Exception {
        Host b = host(true, Host.builder());
        Host a = host(false, Host.builder());
        Connection c = get(a.connect(addr(b)));
        Duration rtt = get(c.ping(Duration.ofSeconds(5)));
        assertTrue(rtt.toNanos() > 0);
        IdentifyInfo info = get(a.identify(c));
        assertEquals(b.peerId(), PeerId.fromPublicKey(info.publicKey()));
        assertTrue(a.peerProtocols(b.peerId()).contains(ProtocolIds.IDENTIFY_PUSH), a.peerProtocols(b.peerId()).toString());
        assertEquals(List.of(addr(b)), a.addressBook().addrs(b.peerId()).stream().map(m -> m.withPeerId(b.peerId()))
                .distinct().toList());
    }

    @Test
    void protocolsAddedAndRemovedAtRunTimeAreServedAndPushed() throws Exception {
        Host b = host(true, Host.builder());
        Host a = host(false, Host.builder());
        Connection c = get(a.connect(addr(b)));
        assertFalse(a.peerProtocols(b.peerId()).contains(X));
        // a's dial completes before b has registered its side of the connection; a push sent before then has no
        // connection to go out on
        assertTrue(HostFixture.eventually(WAIT_MILLIS, () -> b.connections().stream()
                .anyMatch(bc -> bc.remotePeer().equals(a.peerId()))), "b never registered the connection");

        assertTrue(b.addProtocol(X, connection -> new EchoResponder()));
        assertTrue(HostFixture.eventually(WAIT_MILLIS, () -> a.peerProtocols(b.peerId()).contains(X)),
                "identify push did not arrive: " + a.peerProtocols(b.peerId()));
        byte[] data = "run-time protocol".getBytes(StandardCharsets.UTF_8);
        EchoClient echo = get(c.openStream(s -> new EchoClient(s, Duration.ofSeconds(5)), X));
        assertArrayEquals(data, echo.echo(data).get(WAIT_MILLIS, TimeUnit.MILLISECONDS));

        assertTrue(b.removeProtocol(X));
        assertFalse(b.removeProtocol(X));
        assertTrue(HostFixture.eventually(WAIT_MILLIS, () -> !a.peerProtocols(b.peerId()).contains(X)));
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> get(c.openStream(s -> new EchoClient(s, Duration.ofSeconds(5)), X)));
        assertInstanceOf(MultistreamException.class, e.getCause());
        assertFalse(b.protocols().contains(X));
    }

    @Test
    void connectResolvesDnsaddrRecursivelyAgainstALocalDnsServer() throws Exception {
        Host b = host(true, Host.builder());
        PeerId other = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        int port = addr(b).toSocketAddress().getPort();
        try (DnsStub dns = new DnsStub()) {
            dns.txt("_dnsaddr.peers.test",
                    "dnsaddr=/dnsaddr/nested.test/p2p/" + b.peerId(),
                    "dnsaddr=/ip4/127.0.0.1/tcp/9/p2p/" + other, // another peer: filtered out
                    "v=spf1 -all"); // not a dnsaddr record
            dns.txt("_dnsaddr.nested.test",
                    "dnsaddr=/ip4/127.0.0.1/tcp/1/p2p/" + b.peerId(), // refused: the next one is tried
                    "dnsaddr=/ip4/127.0.0.1/tcp/" + port + "/p2p/" + b.peerId());
            dns.txt("_dnsaddr.loop.test", "dnsaddr=/dnsaddr/loop.test");
            DnsaddrResolver resolver = new DnsaddrResolver(DnsaddrResolver.jndi(dns.address()));
            Host a = host(false, Host.builder().dnsaddrResolver(resolver));

            assertEquals(List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/1/p2p/" + b.peerId()), addr(b)),
                    resolver.resolve(Multiaddr.fromString("/dnsaddr/peers.test/p2p/" + b.peerId())));
            Connection c = get(a.connect(Multiaddr.fromString("/dnsaddr/peers.test/p2p/" + b.peerId())));
            assertEquals(b.peerId(), c.remotePeer());

            assertEquals(List.of(), resolver.resolve(Multiaddr.fromString("/dnsaddr/loop.test")));
            ExecutionException none = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> get(a.connect(Multiaddr.fromString("/dnsaddr/missing.test"))));
            assertInstanceOf(MultiaddrException.class, none.getCause());
        }
    }

    @Test
    void connectionsUseTcpKeepaliveUnlessTurnedOff() throws Exception {
        Host b = host(true, Host.builder());
        Host a = host(false, Host.builder());
        Connection c = get(a.connect(addr(b)));
        assertTrue(c.channel().config().getOption(ChannelOption.SO_KEEPALIVE));
        assertTrue(HostFixture.eventually(WAIT_MILLIS, () -> b.connections().stream()
                .anyMatch(in -> in.channel().config().getOption(ChannelOption.SO_KEEPALIVE))));
        Host off = host(false, Host.builder().keepAlive(false));
        Connection d = get(off.connect(addr(b)));
        assertFalse(d.channel().config().getOption(ChannelOption.SO_KEEPALIVE));
    }

    @Test
    void unquotesMultiStringTxtRecords() {
        assertEquals("dnsaddr=/ip4/1.2.3.4/tcp/1", DnsaddrResolver.unquote("\"dnsaddr=/ip4/1.2.3.4\" \"/tcp/1\""));
        assertEquals("dnsaddr=x", DnsaddrResolver.unquote("dnsaddr=x"));
    }
}
