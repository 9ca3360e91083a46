package io.crossdial.security.tls;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecureSession;
import io.crossdial.core.spi.SecurityContext;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Shared fixtures: channels with the TLS handlers in front of a recording application handler. */
final class TlsTestSupport {
    static final String APP = "app";
    static final long TIMEOUT_MILLIS = 10_000;
    static final String YAMUX = "/yamux/1.0.0";
    static final String MPLEX = "/mplex/6.7.0";
    /** Parses test certificates (the JDK's parser rejects empty issuer DNs); never registered JVM-wide. */
    private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();

    private TlsTestSupport() {}

    /** Records what reaches the end of the pipeline; owns and releases every inbound buffer. */
    static final class Recorder extends ChannelInboundHandlerAdapter {
        final List<String> order = new ArrayList<>();
        final List<SecureSession> sessions = new ArrayList<>();
        final List<Throwable> exceptions = new ArrayList<>();
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        final List<Object> otherEvents = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                data.writeBytes(ByteBufUtil.getBytes(buf));
                order.add("data");
            } finally {
                buf.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SecureSession s) {
                sessions.add(s);
                order.add("session");
            } else {
                otherEvents.add(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exceptions.add(cause);
            order.add("exception");
        }

        byte[] takeData() {
            byte[] b = data.toByteArray();
            data.reset();
            return b;
        }

        TlsSecurityException onlyTlsException() {
            if (exceptions.size() != 1 || !(exceptions.get(0) instanceof TlsSecurityException e)) {
                throw new AssertionError("expected exactly one TlsSecurityException, got " + exceptions);
            }
            return e;
        }
    }

    /** One side of a connection: its channel, recorder and identity. */
    record Side(EmbeddedChannel channel, Recorder recorder, PrivateKey key, PeerId peer) {}

    static SecurityContext context(Role role, PrivateKey key, PeerId expected, List<String> muxers) {
        return new SecurityContext(role, key, expected, muxers, TIMEOUT_MILLIS);
    }

    static Side side(Role role, PrivateKey key, PeerId expected, List<String> muxers) {
        return side(context(role, key, expected, muxers));
    }

    static Side side(SecurityContext context) {
        Recorder recorder = new Recorder();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(APP, recorder);
        new TlsSecurityTransport().install(channel.pipeline(), APP, context);
        return new Side(channel, recorder, context.localKey(), PeerId.fromPublicKey(context.localKey().publicKey()));
    }

    /**
     * A TLS 1.3 peer that presents {@code certificate} and trusts anything: stands in for a broken or hostile
     * libp2p implementation. It has only an {@link SslHandler} and a recorder.
     */
    static Side rogue(boolean client, Libp2pCertificate.Generated certificate) throws SSLException {
        SingleKeyManager keys = new SingleKeyManager(certificate);
        SslContextBuilder builder = client
                ? SslContextBuilder.forClient().keyManager(keys)
                : SslContextBuilder.forServer(keys).clientAuth(ClientAuth.REQUIRE);
        SSLEngine engine = builder.sslProvider(SslProvider.JDK).protocols("TLSv1.3")
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build()
                .newEngine(io.netty.buffer.ByteBufAllocator.DEFAULT);
        Recorder recorder = new Recorder();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(APP, recorder);
        channel.pipeline().addBefore(APP, "ssl", new SslHandler(engine));
        return new Side(channel, recorder, null, null);
    }

    /** Moves written bytes between the two channels until neither has anything left to send. */
    static void pump(EmbeddedChannel a, EmbeddedChannel b) {
        boolean moved = true;
        while (moved) {
            moved = move(a, b) | move(b, a);
        }
    }

    /** Moves everything {@code from} has written into {@code to}'s inbound side. */
    static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        for (Object out; (out = from.readOutbound()) != null; ) {
            moved = true;
            if (to.isOpen()) {
                to.writeInbound(out);
            } else {
                io.netty.util.ReferenceCountUtil.release(out);
            }
        }
        return moved;
    }

    /** How to spoil a test certificate. */
    record CertSpec(PrivateKey identity, boolean withExtension, boolean signOtherKey, Instant notBefore,
            Instant notAfter, String extraCriticalOid, byte[] extensionValue) {
        static CertSpec valid(PrivateKey identity) {
            Instant now = Instant.now();
            return new CertSpec(identity, true, false, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)),
                    null, null);
        }

        CertSpec withoutExtension() {
            return new CertSpec(identity, false, signOtherKey, notBefore, notAfter, extraCriticalOid, extensionValue);
        }

        CertSpec signingAnotherKey() {
            return new CertSpec(identity, withExtension, true, notBefore, notAfter, extraCriticalOid, extensionValue);
        }

        CertSpec validity(Instant from, Instant to) {
            return new CertSpec(identity, withExtension, signOtherKey, from, to, extraCriticalOid, extensionValue);
        }

        CertSpec criticalExtension(String oid) {
            return new CertSpec(identity, withExtension, signOtherKey, notBefore, notAfter, oid, extensionValue);
        }

        CertSpec extensionValue(byte[] value) {
            return new CertSpec(identity, withExtension, signOtherKey, notBefore, notAfter, extraCriticalOid, value);
        }
    }

    /** Builds a self-signed P-256 certificate as {@code spec} says, independently of {@link Libp2pCertificate}. */
    static Libp2pCertificate.Generated certificate(CertSpec spec) throws Exception {
        return certificate(spec, new X500Name("CN=test"));
    }

    /** As {@link #certificate(CertSpec)}, with {@code name} as subject and issuer (js-libp2p leaves both empty). */
    static Libp2pCertificate.Generated certificate(CertSpec spec, X500Name name) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        KeyPair other = generator.generateKeyPair();
        byte[] signedSpki = (spec.signOtherKey() ? other : pair).getPublic().getEncoded();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(42),
                Date.from(spec.notBefore()), Date.from(spec.notAfter()), name, pair.getPublic());
        if (spec.withExtension()) {
            ASN1ObjectIdentifier oid = new ASN1ObjectIdentifier(Libp2pCertificate.EXTENSION_OID);
            if (spec.extensionValue() != null) {
                builder.addExtension(oid, true, spec.extensionValue());
            } else {
                builder.addExtension(oid, true, new DERSequence(new ASN1Encodable[] {
                    new DEROctetString(spec.identity().publicKey().marshal()),
                    new DEROctetString(spec.identity().sign(
                            Libp2pCertificate.concat(Libp2pCertificate.SIGNATURE_PREFIX, signedSpki)))
                }));
            }
        }
        if (spec.extraCriticalOid() != null) {
            builder.addExtension(new ASN1ObjectIdentifier(spec.extraCriticalOid()), true, DERNull.INSTANCE);
        }
        X509Certificate certificate = new JcaX509CertificateConverter().setProvider(BC).getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
        return new Libp2pCertificate.Generated(certificate, pair.getPrivate());
    }
}
