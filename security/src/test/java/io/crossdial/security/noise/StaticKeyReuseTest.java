package io.crossdial.security.noise;

import static io.crossdial.security.noise.NoiseTestSupport.APP;
import static io.crossdial.security.noise.NoiseTestSupport.context;
import static io.crossdial.security.noise.NoiseTestSupport.pump;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.Role;
import io.crossdial.security.noise.NoiseTestSupport.Recorder;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The static Noise keypair policy (libp2p/specs noise/README.md, "Static Key Authentication"): by default one
 * signed static keypair per identity key for all sessions; {@code withStaticKeyPerSession()} makes a new one
 * each time. Each case runs real handshakes, so a cached keypair signed by the wrong identity key would fail
 * the remote's signature check.
 */
class StaticKeyReuseTest {
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void release() {
        for (EmbeddedChannel c : channels) {
            c.finishAndReleaseAll();
        }
    }

    /** Runs one handshake: {@code transport} on the initiator side; returns the initiator's handler. */
    private NoiseHandler handshake(NoiseSecurityTransport transport, PrivateKey initiatorKey) {
        Recorder ri = new Recorder();
        Recorder rr = new Recorder();
        EmbeddedChannel initiator = new EmbeddedChannel();
        EmbeddedChannel responder = new EmbeddedChannel();
        channels.add(initiator);
        channels.add(responder);
        initiator.pipeline().addLast(APP, ri);
        responder.pipeline().addLast(APP, rr);
        PrivateKey responderKey = Keys.generateEd25519();
        transport.install(initiator.pipeline(), APP, context(Role.INITIATOR, initiatorKey,
                PeerId.fromPublicKey(responderKey.publicKey()), List.of()));
        new NoiseSecurityTransport().install(responder.pipeline(), APP,
                context(Role.RESPONDER, responderKey, PeerId.fromPublicKey(initiatorKey.publicKey()), List.of()));
        pump(initiator, responder);
        assertEquals(List.of(), ri.exceptions);
        assertEquals(List.of(), rr.exceptions);
        assertEquals(1, ri.sessions.size());
        assertEquals(1, rr.sessions.size());
        assertEquals(PeerId.fromPublicKey(initiatorKey.publicKey()), rr.sessions.get(0).remotePeer());
        return (NoiseHandler) initiator.pipeline().get(NoiseSecurityTransport.HANDLER_NAME);
    }

    @Test
    void defaultTransportSignsOneStaticKeyPerIdentityForAllSessions() {
        NoiseSecurityTransport transport = new NoiseSecurityTransport();
        PrivateKey key = Keys.generateEd25519();
        StaticIdentity first = handshake(transport, key).staticIdentity();
        StaticIdentity second = handshake(transport, key).staticIdentity();
        assertSame(first, second);
        assertSame(key, first.identity);
    }

    @Test
    void anotherIdentityKeyGetsItsOwnStaticKey() {
        NoiseSecurityTransport transport = new NoiseSecurityTransport();
        PrivateKey a = Keys.generateEd25519();
        PrivateKey b = Keys.generateEd25519();
        StaticIdentity forA = handshake(transport, a).staticIdentity();
        StaticIdentity forB = handshake(transport, b).staticIdentity();
        assertNotSame(forA, forB);
        assertSame(b, forB.identity);
        assertFalse(Arrays.equals(forA.staticPublic, forB.staticPublic));
        // and back: the handshake verifies, so the signature is a's again
        assertSame(a, handshake(transport, a).staticIdentity().identity);
    }

    @Test
    void perSessionTransportMakesANewStaticKeyEachTime() {
        NoiseSecurityTransport transport = NoiseSecurityTransport.withStaticKeyPerSession();
        PrivateKey key = Keys.generateEd25519();
        StaticIdentity first = handshake(transport, key).staticIdentity();
        StaticIdentity second = handshake(transport, key).staticIdentity();
        assertNotSame(first, second);
        assertFalse(Arrays.equals(first.staticPublic, second.staticPublic));
        assertTrue(first.identity == key && second.identity == key);
    }

    @Test
    void handlerRefusesAStaticKeySignedByAnotherIdentity() {
        StaticIdentity other = StaticIdentity.generate(Keys.generateEd25519());
        assertThrows(IllegalArgumentException.class, () -> new NoiseHandler(
                context(Role.INITIATOR, Keys.generateEd25519(), null, List.of()), NoiseFrames.MAX_MESSAGE_BYTES,
                other));
    }
}
