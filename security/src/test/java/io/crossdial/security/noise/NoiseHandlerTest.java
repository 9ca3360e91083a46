package io.crossdial.security.noise;

import static io.crossdial.security.noise.NoiseTestSupport.context;
import static io.crossdial.security.noise.NoiseTestSupport.drain;
import static io.crossdial.security.noise.NoiseTestSupport.move;
import static io.crossdial.security.noise.NoiseTestSupport.pump;
import static io.crossdial.security.noise.NoiseTestSupport.side;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.KeyType;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.crypto.PublicKey;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecureSession;
import io.crossdial.security.noise.NoiseTestSupport.Side;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.UnsupportedMessageTypeException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NoiseHandlerTest {
    private final List<Side> sides = new ArrayList<>();
    private final List<ByteBuf> handedOut = new ArrayList<>();

    @AfterEach
    void releaseEverything() {
        for (Side s : sides) {
            s.channel().finishAndReleaseAll();
        }
        for (ByteBuf b : handedOut) {
            assertEquals(0, b.refCnt(), "buffer handed to the handler was released");
        }
    }

    private Side track(Side s) {
        sides.add(s);
        return s;
    }

    private Side initiator(PeerId expected, List<String> muxers) {
        return track(side(Role.INITIATOR, expected, muxers));
    }

    private Side responder(List<String> muxers) {
        return track(side(Role.RESPONDER, null, muxers));
    }

    private ByteBuf handOut(ByteBuf b) {
        handedOut.add(b);
        return b;
    }

    private static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    @Test
    void initiatorSendsMessageOneOnInstall() {
        Side i = initiator(null, List.of());
        ByteBuf m1 = i.channel().readOutbound();
        try {
            assertEquals(34, m1.readableBytes(), "2-byte length + 32-byte ephemeral key");
            assertEquals(32, m1.getUnsignedShort(0));
        } finally {
            m1.release();
        }
        assertNull(i.channel().readOutbound());
    }

    @Test
    void handshakeAuthenticatesBothPeersAndCarriesDataBothWays() {
        Side i = initiator(null, List.of());
        Side r = responder(List.of());
        pump(i.channel(), r.channel());

        assertEquals(1, i.recorder().sessions.size());
        assertEquals(1, r.recorder().sessions.size());
        SecureSession is = i.recorder().sessions.get(0);
        SecureSession rs = r.recorder().sessions.get(0);
        assertEquals("/noise", is.securityProtocol());
        assertEquals(i.peer(), is.localPeer());
        assertEquals(r.peer(), is.remotePeer());
        assertArrayEquals(r.key().publicKey().marshal(), is.remoteKey().marshal());
        assertEquals(r.peer(), rs.localPeer());
        assertEquals(i.peer(), rs.remotePeer());
        assertArrayEquals(i.key().publicKey().marshal(), rs.remoteKey().marshal());
        assertNull(is.earlyMuxer());
        assertNull(rs.earlyMuxer());

        i.channel().writeOutbound(text("ping from initiator"));
        r.channel().writeOutbound(text("pong from responder"));
        pump(i.channel(), r.channel());
        assertEquals("ping from initiator", new String(r.recorder().takeData(), StandardCharsets.UTF_8));
        assertEquals("pong from responder", new String(i.recorder().takeData(), StandardCharsets.UTF_8));
        assertTrue(i.recorder().exceptions.isEmpty());
        assertTrue(r.recorder().exceptions.isEmpty());
        assertTrue(i.channel().isOpen() && r.channel().isOpen());
    }

    @Test
    void handshakeWorksWithSecp256k1Identities() {
        PrivateKey ik = Keys.generate(KeyType.SECP256K1);
        PrivateKey rk = Keys.generate(KeyType.SECP256K1);
        Side i = track(side(context(Role.INITIATOR, ik, PeerId.fromPublicKey(rk.publicKey()), List.of()), 65535));
        Side r = track(side(context(Role.RESPONDER, rk, null, List.of()), 65535));
        pump(i.channel(), r.channel());
        assertEquals(PeerId.fromPublicKey(rk.publicKey()), i.recorder().sessions.get(0).remotePeer());
        assertEquals(PeerId.fromPublicKey(ik.publicKey()), r.recorder().sessions.get(0).remotePeer());
    }

    @Test
    void splitsA100KibWriteIntoFramesOfAtMost65519PlaintextBytes() {
        Side i = initiator(null, List.of());
        Side r = responder(List.of());
        pump(i.channel(), r.channel());

        byte[] payload = new byte[100 * 1024];
        new Random(1).nextBytes(payload);
        ByteBuf write = handOut(Unpooled.wrappedBuffer(payload));
        ChannelFuture done = i.channel().writeOneOutbound(write);
        i.channel().flushOutbound();
        assertTrue(done.isSuccess());

        List<ByteBuf> frames = drain(i.channel());
        assertEquals(2, frames.size());
        assertEquals(2 + 65535, frames.get(0).readableBytes());
        assertEquals(65535, frames.get(0).getUnsignedShort(0));
        int rest = payload.length - 65519;
        assertEquals(2 + rest + 16, frames.get(1).readableBytes());
        assertEquals(rest + 16, frames.get(1).getUnsignedShort(0));
        for (ByteBuf f : frames) {
            r.channel().writeInbound(f);
        }
        assertEquals(2, r.recorder().reads);
        assertArrayEquals(payload, r.recorder().takeData());
    }

    @Test
    void decodesFramesSplitAcrossReadsAndManyFramesInOneRead() {
        Side i = initiator(null, List.of());
        Side r = responder(List.of());
        pump(i.channel(), r.channel());
        for (int k = 0; k < 5; k++) {
            i.channel().writeOutbound(text("m" + k));
        }
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf f : drain(i.channel())) {
            all.writeBytes(f);
            f.release();
        }
        // one byte at a time, then nothing is lost or reordered
        while (all.isReadable()) {
            r.channel().writeInbound(handOut(all.readRetainedSlice(1)));
        }
        all.release();
        assertEquals("m0m1m2m3m4", new String(r.recorder().takeData(), StandardCharsets.UTF_8));
    }

    @Test
    void agreesOnFirstInitiatorMuxerTheResponderSupports() {
        Side i = initiator(null, List.of("/yamux/1.0.0", "/mplex/6.7.0"));
        Side r = responder(List.of("/mplex/6.7.0", "/yamux/1.0.0"));
        pump(i.channel(), r.channel());
        assertEquals("/yamux/1.0.0", i.recorder().sessions.get(0).earlyMuxer());
        assertEquals("/yamux/1.0.0", r.recorder().sessions.get(0).earlyMuxer());
    }

    @Test
    void noEarlyMuxerWhenListsAreDisjointOrOneSideListsNone() {
        Side i = initiator(null, List.of("/yamux/1.0.0"));
        Side r = responder(List.of("/mplex/6.7.0"));
        pump(i.channel(), r.channel());
        assertNull(i.recorder().sessions.get(0).earlyMuxer());
        assertNull(r.recorder().sessions.get(0).earlyMuxer());

        Side i2 = initiator(null, List.of("/yamux/1.0.0"));
        Side r2 = responder(List.of());
        pump(i2.channel(), r2.channel());
        assertNull(i2.recorder().sessions.get(0).earlyMuxer());
        assertNull(r2.recorder().sessions.get(0).earlyMuxer());
    }

    @Test
    void acceptsTheExpectedPeer() {
        Side r = responder(List.of());
        Side i = initiator(r.peer(), List.of());
        pump(i.channel(), r.channel());
        assertEquals(r.peer(), i.recorder().sessions.get(0).remotePeer());
    }

    @Test
    void failsWhenRemotePeerIsNotTheExpectedOne() {
        PeerId expected = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        Side i = initiator(expected, List.of());
        Side r = responder(List.of());
        pump(i.channel(), r.channel());

        NoiseException e = i.recorder().onlyNoiseException();
        assertEquals("noise: peer ID mismatch: expected " + expected + ", remote is " + r.peer(), e.getMessage());
        assertEquals(NoiseException.Reason.PEER_ID_MISMATCH, e.reason());
        assertTrue(i.recorder().sessions.isEmpty());
        assertFalse(i.channel().isOpen());
        assertTrue(r.recorder().sessions.isEmpty(), "responder never got message 3");
    }

    @Test
    void failsWhenIdentitySignatureDoesNotCoverTheStaticKey() {
        PrivateKey real = Keys.generateEd25519();
        PrivateKey forger = new PrivateKey() {
            @Override
            public KeyType type() {
                return real.type();
            }

            @Override
            public byte[] raw() {
                return real.raw();
            }

            @Override
            public byte[] marshal() {
                return real.marshal();
            }

            @Override
            public PublicKey publicKey() {
                return real.publicKey();
            }

            @Override
            public byte[] sign(byte[] data) {
                byte[] other = data.clone();
                other[other.length - 1] ^= 1; // signs a different static key
                return real.sign(other);
            }
        };
        Side i = initiator(null, List.of());
        Side r = track(side(context(Role.RESPONDER, forger, null, List.of()), 65535));
        pump(i.channel(), r.channel());
        NoiseException e = i.recorder().onlyNoiseException();
        assertTrue(e.getMessage().startsWith("noise: message 2: identity signature of peer "), e.getMessage());
        assertEquals(NoiseException.Reason.BAD_SIGNATURE, e.reason());
        assertFalse(i.channel().isOpen());
    }

    @Test
    void tamperedTransportFrameFailsWithNoiseException() {
        Side i = initiator(null, List.of());
        Side r = responder(List.of());
        pump(i.channel(), r.channel());

        i.channel().writeOutbound(text("authentic"));
        ByteBuf frame = handOut(i.channel().readOutbound());
        frame.setByte(5, frame.getByte(5) ^ 0x01);
        r.channel().writeInbound(frame);

        NoiseException e = r.recorder().onlyNoiseException();
        assertTrue(e.getMessage().startsWith("noise: transport message 0 failed authentication"), e.getMessage());
        assertEquals(NoiseException.Reason.DECRYPTION_FAILED, e.reason());
        assertFalse(r.channel().isOpen());
        assertEquals(0, r.recorder().reads);
    }

    @Test
    void tamperedHandshakeMessageFails() {
        Side i = initiator(null, List.of());
        Side r = responder(List.of());
        move(i.channel(), r.channel());
        ByteBuf m2 = handOut(r.channel().readOutbound());
        m2.setByte(2 + 32 + 3, m2.getByte(2 + 32 + 3) ^ 0x80); // inside the encrypted static key
        i.channel().writeInbound(m2);
        NoiseException e = i.recorder().onlyNoiseException();
        assertTrue(e.getMessage().startsWith("noise: message 2: static key failed authentication"), e.getMessage());
        assertEquals(NoiseException.Reason.DECRYPTION_FAILED, e.reason());
        assertFalse(i.channel().isOpen());
    }

    @Test
    void transportFrameShorterThanTagFails() {
        Side i = initiator(null, List.of());
        Side r = responder(List.of());
        pump(i.channel(), r.channel());
        r.channel().writeInbound(handOut(Unpooled.buffer().writeShort(15).writeZero(15)));
        assertTrue(r.recorder().onlyNoiseException().getMessage().contains("shorter than the 16-byte tag"));
        assertEquals(NoiseException.Reason.MALFORMED_MESSAGE, r.recorder().onlyNoiseException().reason());
        assertFalse(r.channel().isOpen());
    }

    @Test
    void rejectsFrameLongerThanTheLimitAsSoonAsItsLengthArrives() {
        Side r = track(side(context(Role.RESPONDER, Keys.generateEd25519(), null, List.of()), 1024));
        r.channel().writeInbound(handOut(Unpooled.buffer().writeShort(1025).writeZero(10)));
        assertEquals("noise: frame of 1025 bytes exceeds the limit of 1024",
                r.recorder().onlyNoiseException().getMessage());
        assertEquals(NoiseException.Reason.FRAME_TOO_LONG, r.recorder().onlyNoiseException().reason());
        assertFalse(r.channel().isOpen());
    }

    @Test
    void rejectsMessageOneShorterThanAnEphemeralKey() {
        Side r = responder(List.of());
        r.channel().writeInbound(handOut(Unpooled.buffer().writeShort(10).writeZero(10)));
        assertTrue(r.recorder().onlyNoiseException().getMessage().startsWith("noise: message 1 too short"));
        assertEquals(NoiseException.Reason.MALFORMED_MESSAGE, r.recorder().onlyNoiseException().reason());
        assertFalse(r.channel().isOpen());
    }

    @Test
    void eofDuringTheHandshakeIsAFailure() {
        Side r = responder(List.of());
        r.channel().writeInbound(handOut(Unpooled.buffer().writeShort(32).writeZero(10)));
        r.channel().close();
        assertEquals("noise: connection closed during the handshake (0 of 3 messages exchanged)",
                r.recorder().onlyNoiseException().getMessage());
        assertEquals(NoiseException.Reason.CONNECTION_CLOSED, r.recorder().onlyNoiseException().reason());

        Side i = initiator(null, List.of());
        drain(i.channel()).forEach(ByteBuf::release);
        i.channel().close();
        assertEquals("noise: connection closed during the handshake (1 of 3 messages exchanged)",
                i.recorder().onlyNoiseException().getMessage());
    }

    @Test
    void handshakeTimesOut() {
        Side i = initiator(null, List.of());
        i.channel().freezeTime();
        drain(i.channel()).forEach(ByteBuf::release);
        i.channel().advanceTimeBy(NoiseTestSupport.TIMEOUT_MILLIS / 2, TimeUnit.MILLISECONDS);
        i.channel().runScheduledPendingTasks();
        assertTrue(i.recorder().exceptions.isEmpty());
        assertTrue(i.channel().isOpen());
        i.channel().advanceTimeBy(NoiseTestSupport.TIMEOUT_MILLIS / 2, TimeUnit.MILLISECONDS);
        i.channel().runScheduledPendingTasks();
        assertEquals("noise: handshake timed out after 10000 ms (1 of 3 messages exchanged)",
                i.recorder().onlyNoiseException().getMessage());
        assertEquals(NoiseException.Reason.TIMEOUT, i.recorder().onlyNoiseException().reason());
        assertFalse(i.channel().isOpen());
    }

    @Test
    void completedHandshakeCancelsTheTimeout() {
        Side i = initiator(null, List.of());
        Side r = responder(List.of());
        pump(i.channel(), r.channel());
        for (Side s : List.of(i, r)) {
            s.channel().advanceTimeBy(2 * NoiseTestSupport.TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            s.channel().runScheduledPendingTasks();
            assertTrue(s.recorder().exceptions.isEmpty());
            assertTrue(s.channel().isOpen());
        }
    }

    @Test
    void writesBeforeCompletionAreSentEncryptedAfterIt() {
        Side i = initiator(null, List.of());
        Side r = responder(List.of());
        ChannelFuture early = i.channel().writeAndFlush(text("early"));
        assertFalse(early.isDone());
        pump(i.channel(), r.channel());
        assertTrue(early.isSuccess());
        assertEquals(List.of("session", "data"), r.recorder().order);
        assertEquals("early", new String(r.recorder().takeData(), StandardCharsets.UTF_8));
    }

    @Test
    void responderFiresSessionBeforeDataPipelinedWithMessageThree() {
        Side i = initiator(null, List.of());
        Side r = responder(List.of());
        move(i.channel(), r.channel());
        move(r.channel(), i.channel());
        i.channel().writeOutbound(text("pipelined"));
        ByteBuf both = Unpooled.buffer();
        for (ByteBuf f : drain(i.channel())) {
            both.writeBytes(f);
            f.release();
        }
        r.channel().writeInbound(handOut(both));
        assertEquals(List.of("session", "data"), r.recorder().order);
        assertEquals("pipelined", new String(r.recorder().takeData(), StandardCharsets.UTF_8));
    }

    @Test
    void queuedWritesFailAndAreReleasedWhenTheHandshakeFails() {
        Side i = initiator(null, List.of());
        ByteBuf early = handOut(text("never sent"));
        ChannelFuture f = i.channel().writeAndFlush(early);
        i.channel().close();
        assertTrue(f.isDone());
        assertInstanceOf(NoiseException.class, f.cause());
    }

    @Test
    void rejectsNonByteBufWritesAfterTheHandshake() {
        Side i = initiator(null, List.of());
        Side r = responder(List.of());
        pump(i.channel(), r.channel());
        ChannelFuture f = i.channel().writeAndFlush("a string");
        assertInstanceOf(UnsupportedMessageTypeException.class, f.cause());
        assertTrue(i.channel().isOpen());
    }
}
