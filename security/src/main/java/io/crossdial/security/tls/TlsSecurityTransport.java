package io.crossdial.security.tls;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecurityContext;
import io.crossdial.core.spi.SecurityTransport;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.security.Provider;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.jsse.provider.BouncyCastleJsseProvider;

/**
 * The libp2p TLS security transport, protocol ID {@value #PROTOCOL_ID} (libp2p/specs tls/tls.md): TLS 1.3 only,
 * mutual authentication with per-connection self-signed certificates that carry the identity key in the libp2p
 * Public Key Extension, and inlined muxer negotiation through ALPN
 * (libp2p/specs connections/inlined-muxer-negotiation.md, "Multiplexer Negotiation over TLS").
 *
 * <h2>What {@link #install} does</h2>
 * It generates a fresh ECDSA P-256 certificate whose libp2p extension {@code context.localKey()} signs, builds a
 * JSSE {@code SSLEngine} (Netty {@link SslProvider#JDK} with the BouncyCastle JSSE provider, see below; TLS 1.3 only;
 * no SNI; the initiator is the TLS client,
 * the responder the TLS server and requires a client certificate) and adds two handlers before
 * {@code beforeName}: Netty's {@link SslHandler} named {@value #HANDLER_NAME}, which stays as the record layer,
 * and a session handler named {@value #SESSION_HANDLER_NAME}. ALPN: the client offers
 * {@code context.muxerProtocols()} followed by {@value #ALPN_LIBP2P}; the server picks the first offered
 * protocol it supports (the client's preference) and aborts the handshake when it supports none. An agreed
 * muxer becomes {@link io.crossdial.core.spi.SecureSession#earlyMuxer()}; {@value #ALPN_LIBP2P} or no ALPN gives
 * null.
 *
 * <h2>Why BouncyCastle JSSE</h2>
 * The JDK's SunJSSE parses the peer's certificate with the JDK {@code CertificateFactory}, which throws
 * "Empty issuer DN not allowed in X509Certificates" for the certificates js-libp2p generates (no subject, no
 * issuer; see go-libp2p-tls issue #97 and libp2p/specs issue #635), so no trust manager can accept them.
 * BouncyCastle's JSSE, given BouncyCastle crypto, parses them; it is handed to Netty per context and never
 * registered as a JVM-wide security provider. (BouncyCastle 1.85 rejects empty issuers on parse too, unless
 * {@code org.bouncycastle.x509.allow_empty_issuer_cert=true}; bc-java issue #2387.)
 *
 * <h2>Verification</h2>
 * Each side checks the other's certificate: exactly one, valid now, self-signature valid, no unknown critical
 * extension, the libp2p extension present and its signature valid under the embedded identity key (Ed25519 or
 * secp256k1), and the derived peer ID equal to {@code context.expectedRemotePeer()} when that is set. The
 * {@link io.crossdial.core.spi.SecureSession} event is fired only after this and before any plaintext is passed
 * on. Note (spec): a TLS 1.3 client completes before the server has checked the client's certificate; a server
 * rejecting it closes the connection, which the client then sees as a {@link TlsSecurityException}.
 *
 * <h2>Failures</h2>
 * Any handshake failure (rejected certificate, peer ID mismatch, TLS alert, malformed records, timeout after
 * {@code context.handshakeTimeoutMillis()}, EOF) fires {@code exceptionCaught} once with a {@link
 * TlsSecurityException} whose message starts with {@code "tls: "} and closes the channel.
 *
 * <p>Stateless and thread-safe; {@link #install} must run on the channel's event loop.
 */
public final class TlsSecurityTransport implements SecurityTransport {
    /** The multistream-select protocol ID. */
    public static final String PROTOCOL_ID = "/tls/1.0.0";
    /** The name of the {@link SslHandler} {@link #install} adds. */
    public static final String HANDLER_NAME = "tls";
    /** The name of the session handler {@link #install} adds right behind the {@link SslHandler}. */
    public static final String SESSION_HANDLER_NAME = "tls-session";
    /** The ALPN protocol of libp2p TLS, always offered last. */
    public static final String ALPN_LIBP2P = "libp2p";
    /** The only TLS version enabled. */
    static final String TLS_1_3 = "TLSv1.3";
    /**
     * The JSSE implementation: BouncyCastle's, with BouncyCastle crypto, passed to Netty explicitly (not registered
     * as a JVM-wide provider). The JDK's own SSLEngine cannot be used: it refuses, before any trust manager runs,
     * certificates whose issuer DN is empty, and js-libp2p's certificates have one.
     */
    private static final Provider JSSE = new BouncyCastleJsseProvider(new BouncyCastleProvider());

    /** Creates the transport. */
    public TlsSecurityTransport() {}

    @Override
    public String protocolId() {
        return PROTOCOL_ID;
    }

    /**
     * @param pipeline the connection's pipeline
     * @param beforeName the handler the TLS handlers go before
     * @param context role (initiator = TLS client), identity key, expected remote peer, muxers to offer in ALPN,
     *     handshake timeout
     * @throws TlsSecurityException if the certificate or the TLS engine cannot be created
     * @throws IllegalArgumentException if the pipeline already has a handler named {@value #HANDLER_NAME} or
     *     {@value #SESSION_HANDLER_NAME}
     * @throws java.util.NoSuchElementException if there is no handler named {@code beforeName}
     */
    @Override
    public void install(ChannelPipeline pipeline, String beforeName, SecurityContext context) {
        PeerId localPeer = PeerId.fromPublicKey(context.localKey().publicKey());
        PeerTrustManager trust = new PeerTrustManager(context.expectedRemotePeer());
        SSLEngine engine = newEngine(pipeline, context, trust);
        SslHandler ssl = new SslHandler(engine);
        ssl.setHandshakeTimeoutMillis(context.handshakeTimeoutMillis());
        pipeline.addBefore(beforeName, SESSION_HANDLER_NAME, new TlsSessionHandler(context, trust, ssl, localPeer));
        // Added second, in front of the session handler: SslHandler starts the handshake when added.
        pipeline.addBefore(SESSION_HANDLER_NAME, HANDLER_NAME, ssl);
    }

    private static SSLEngine newEngine(ChannelPipeline pipeline, SecurityContext context, PeerTrustManager trust) {
        Libp2pCertificate.Generated certificate = Libp2pCertificate.generate(context.localKey(), Instant.now());
        SingleKeyManager keys = new SingleKeyManager(certificate);
        boolean client = context.role() == Role.INITIATOR;
        SslContext sslContext;
        try {
            SslContextBuilder builder = client
                    ? SslContextBuilder.forClient().keyManager(keys)
                    : SslContextBuilder.forServer(keys).clientAuth(ClientAuth.REQUIRE);
            sslContext = builder.sslProvider(SslProvider.JDK).sslContextProvider(JSSE).protocols(TLS_1_3)
                    .trustManager(trust).build();
        } catch (SSLException e) {
            throw new TlsSecurityException("tls: cannot create the TLS context: " + e.getMessage(), e);
        }
        SSLEngine engine = sslContext.newEngine(pipeline.channel().alloc());
        List<String> protocols = alpnProtocols(context.muxerProtocols());
        if (client) {
            SSLParameters parameters = engine.getSSLParameters();
            parameters.setApplicationProtocols(protocols.toArray(new String[0]));
            engine.setSSLParameters(parameters);
        } else {
            engine.setHandshakeApplicationProtocolSelector((e, offered) -> selectAlpn(offered, protocols));
        }
        return engine;
    }

    /** @return the ALPN list: the muxers in preference order, then {@value #ALPN_LIBP2P} */
    static List<String> alpnProtocols(List<String> muxers) {
        List<String> out = new ArrayList<>(muxers.size() + 1);
        for (String m : muxers) {
            if (!m.equals(ALPN_LIBP2P)) {
                out.add(m);
            }
        }
        out.add(ALPN_LIBP2P);
        return out;
    }

    /**
     * The server's ALPN choice: the first protocol the client offered that the server supports.
     *
     * @param offered the client's ALPN list, in its preference order
     * @param supported the server's ALPN list
     * @return the chosen protocol, or null to abort the handshake ({@code no_application_protocol} alert)
     */
    static String selectAlpn(List<String> offered, List<String> supported) {
        for (String p : offered) {
            if (supported.contains(p)) {
                return p;
            }
        }
        return null;
    }
}
