package io.crossdial.security.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.Role;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The handshake driver on its own: message bodies in and out, no channel. */
class NoiseHandshakeTest {
    private final PrivateKey initiatorKey = Keys.generateEd25519();
    private final PrivateKey responderKey = Keys.generateEd25519();

    private NoiseHandshake driver(Role role, PrivateKey key, PeerId expected, List<String> muxers) {
        return new NoiseHandshake(NoiseTestSupport.context(role, key, expected, muxers), StaticIdentity.generate(key));
    }

    @Test
    void runsThreeMessagesAndAgreesOnCiphersAndPeers() {
        PeerId responderPeer = PeerId.fromPublicKey(responderKey.publicKey());
        NoiseHandshake i = driver(Role.INITIATOR, initiatorKey, responderPeer, List.of("/yamux/1.0.0", "/mplex/6.7.0"));
        NoiseHandshake r = driver(Role.RESPONDER, responderKey, null, List.of("/mplex/6.7.0"));
        assertNull(r.start(), "the responder never speaks first");
        byte[] m1 = i.start();
        assertEquals(32, m1.length, "message 1 is the initiator's ephemeral key");
        NoiseHandshake.Step s1 = r.read(m1);
        assertNull(s1.result());
        NoiseHandshake.Step s2 = i.read(s1.reply());
        assertNotNull(s2.reply(), "the initiator answers message 2 with message 3");
        assertNotNull(s2.result(), "the initiator is done once message 3 is written");
        NoiseHandshake.Step s3 = r.read(s2.reply());
        assertNull(s3.reply());
        assertNotNull(s3.result());
        assertEquals(3, i.messagesProcessed());
        assertEquals(3, r.messagesProcessed());

        assertEquals(responderPeer, s2.result().session().remotePeer());
        assertEquals(PeerId.fromPublicKey(initiatorKey.publicKey()), s3.result().session().remotePeer());
        assertEquals("/mplex/6.7.0", s2.result().session().earlyMuxer());
        assertEquals("/mplex/6.7.0", s3.result().session().earlyMuxer());

        byte[] sealed = s2.result().send().encryptWithAd(new byte[0], new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, s3.result().receive().decryptWithAd(new byte[0], sealed));
    }

    @Test
    void rejectsResponderOtherThanExpected() {
        PeerId someoneElse = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        NoiseHandshake i = driver(Role.INITIATOR, initiatorKey, someoneElse, List.of());
        NoiseHandshake r = driver(Role.RESPONDER, responderKey, null, List.of());
        byte[] m2 = r.read(i.start()).reply();
        NoiseException e = assertThrows(NoiseException.class, () -> i.read(m2));
        assertEquals(NoiseException.Reason.PEER_ID_MISMATCH, e.reason());
    }

    @Test
    void selectMuxerPicksInitiatorPreference() {
        assertEquals("b", NoiseHandshake.selectMuxer(List.of("b", "a"), List.of("a", "b")));
        assertNull(NoiseHandshake.selectMuxer(List.of("a"), List.of()));
        assertNull(NoiseHandshake.selectMuxer(List.of(), List.of("a")));
    }
}
