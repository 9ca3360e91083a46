package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.SecurityTransport;
import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.protocol.IdentifyInfo;
import io.crossdial.muxer.mplex.MplexStreamMuxer;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.security.tls.TlsSecurityTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every security transport with every muxer against js-libp2p, both directions: ping, identify and a 1 MiB
 * echo. The js peer offers exactly the one pair, so the pair under test is what gets negotiated.
 */
class SecurityMuxerMatrixTest {
    private Host host;

    @BeforeEach
    void requireNode() {
        JsPeer.requireAvailable();
    }

    @AfterEach
    void tearDown() {
        if (host != null) {
            host.close();
        }
        JsPeer.closeAll();
    }

    private static Supplier<SecurityTransport> security(String name) {
        return switch (name) {
            case "noise" -> NoiseSecurityTransport::new;
            case "tls" -> TlsSecurityTransport::new;
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static Supplier<StreamMuxer> muxer(String name) {
        return switch (name) {
            case "yamux" -> YamuxStreamMuxer::new;
            case "mplex" -> MplexStreamMuxer::new;
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static Host host(String security, String muxer) {
        return Host.builder()
                .identity(io.crossdial.core.crypto.Keys.generateEd25519())
                .listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))
                .security(security(security).get())
                .muxer(muxer(muxer).get())
                .transportConfig(TcpTransportConfig.defaults().withPortReuse(false))
                .protocol(io.crossdial.host.protocol.ProtocolIds.ECHO,
                        connection -> new io.crossdial.host.protocol.EchoResponder())
                .build()
                .start();
    }

    @ParameterizedTest(name = "crossdial dials js over {0} + {1}")
    @CsvSource({"noise, yamux", "noise, mplex", "tls, yamux", "tls, mplex"})
    void crossdialDialsJs(String security, String muxer) throws Exception {
        JsPeer js = JsPeer.listen("--security", security, "--muxer", muxer);
        host = host(security, muxer);
        Connection c = host.dial(Multiaddr.fromString(js.multiaddr())).get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);
        assertEquals(security(security).get().protocolId(), c.security());
        assertEquals(muxer(muxer).get().protocolId(), c.muxer());
        assertEquals(3, Peers.ping(c, 3).size());
        IdentifyInfo id = Peers.identify(c);
        assertTrue(id.agentVersion().startsWith("js-libp2p/"), id::toString);
        assertEquals(c.remotePeer(), PeerId.fromPublicKey(id.publicKey()));
        Peers.echo(c, Peers.randomBytes(1 << 20, 7));
    }

    @ParameterizedTest(name = "js dials crossdial over {0} + {1}")
    @CsvSource({"noise, yamux", "noise, mplex", "tls, yamux", "tls, mplex"})
    void jsDialsCrossdial(String security, String muxer) throws Exception {
        host = host(security, muxer);
        Map<String, Object> r = JsPeer.dial(Peers.addr(host).toString(), 30_000, "--security", security,
                "--muxer", muxer, "--skip", "streams");
        assertEquals(Boolean.TRUE, r.get("ok"), r::toString);
        assertEquals(security(security).get().protocolId(), r.get("encryption"), r::toString);
        assertEquals(muxer(muxer).get().protocolId(), r.get("multiplexer"), r::toString);
        assertEquals(1 << 20, ((Number) r.get("echoBytes")).intValue(), r::toString);
        @SuppressWarnings("unchecked")
        Map<String, Object> identify = (Map<String, Object>) r.get("identify");
        assertTrue(String.valueOf(identify.get("agentVersion")).startsWith("crossdial/"), r::toString);
    }
}
