package io.crossdial.security.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.crossdial.core.FuzzBound;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.Role;
import io.crossdial.security.noise.NoiseTestSupport.Recorder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Fuzzes Noise: the frame decoder, {@link NoiseHandler} as responder fed arbitrary bytes as messages 1 to 3
 * (and transport frames), and the handshake payload protobuf, carried in a real message 3 from an initiator
 * run here with fixed keys, so the responder decrypts it and parses, checks and signs off on whatever the
 * fuzzer put there. Every input ends in a handshake, "need more" until the handshake timeout (on the
 * channel's clock), or a {@link NoiseException} and a closed channel; nothing else, every buffer released.
 * Corpus: {@code NoiseFuzzTestInputs/}; the payload seeds are signed by the fixed identity below.
 */
class NoiseFuzzTest {
    /** libp2p/specs peer-ids test vector (KeysTest.ED25519_PRIVATE): the initiator's identity. */
    static final PrivateKey INITIATOR_IDENTITY = Keys.unmarshalPrivateKey(HexFormat.of().parseHex(
            "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d"
            + "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"));
    /** The initiator's fixed X25519 static and ephemeral keys. */
    static final byte[] INITIATOR_STATIC = HexFormat.of().parseHex("a8" + "ab".repeat(30) + "6b");
    static final byte[] INITIATOR_EPHEMERAL = HexFormat.of().parseHex("58" + "cd".repeat(30) + "4d");
    private static final PrivateKey RESPONDER_IDENTITY = Keys.generateEd25519();
    /** One signed static key for every responder, as the transport does; saves a keygen per input. */
    private static final StaticIdentity RESPONDER_STATIC = StaticIdentity.generate(RESPONDER_IDENTITY);

    @FuzzTest
    void framesOrRejectsWithNoiseException(byte[] input) {
        FuzzBound.run(() -> decodeFrames(input));
    }

    @FuzzTest
    void responderHandlesArbitraryHandshakeBytes(byte[] input) {
        FuzzBound.run(() -> {
            Responder r = new Responder();
            try {
                int chunk = input.length == 0 || input[0] == 0 ? Math.max(1, input.length) : (input[0] & 0x3F) + 1;
                for (int at = Math.min(1, input.length); at < input.length && r.ch.isOpen(); at += chunk) {
                    r.feed(input, at, Math.min(chunk, input.length - at));
                }
                r.finishHandshakeClock();
                r.check();
                // random bytes never get past message 3: that takes the initiator's keys
                assertTrue(r.recorder.sessions.isEmpty());
            } finally {
                r.release();
            }
        });
    }

    @FuzzTest
    void responderVerifiesArbitraryPayloadInMessage3(byte[] payload) {
        FuzzBound.run(() -> {
            Responder r = new Responder();
            try {
                HandshakeState initiator = new HandshakeState(true, new byte[0], INITIATOR_STATIC, INITIATOR_EPHEMERAL);
                r.feedFrame(initiator.writeMessage(new byte[0]));
                ByteBuf message2 = r.ch.readOutbound();
                assertTrue(message2 != null, "the responder answers message 1");
                try {
                    message2.skipBytes(NoiseFrames.LENGTH_BYTES);
                    initiator.readMessage(ByteBufUtil.getBytes(message2));
                } finally {
                    message2.release();
                }
                r.feedFrame(initiator.writeMessage(payload));
                r.finishHandshakeClock();
                r.check();
                if (!r.recorder.sessions.isEmpty()) {
                    assertEquals(1, r.recorder.sessions.size());
                    assertTrue(r.ch.isOpen());
                }
            } finally {
                r.release();
            }
        });
    }

    private static void decodeFrames(byte[] input) {
        ByteBuf in = ByteBufAllocator.DEFAULT.buffer(input.length + 1).writeBytes(input);
        try {
            int max = input.length > 0 && (input[0] & 1) == 1 ? 1024 : NoiseFrames.MAX_MESSAGE_BYTES;
            while (true) {
                int before = in.readableBytes();
                ByteBuf frame;
                try {
                    frame = NoiseFrames.readFrame(in, max);
                } catch (NoiseException e) {
                    assertEquals(NoiseException.Reason.FRAME_TOO_LONG, e.reason());
                    return;
                }
                if (frame == null) {
                    assertEquals(before, in.readableBytes(), "nothing consumed without a whole frame");
                    return;
                }
                try {
                    assertEquals(before - NoiseFrames.LENGTH_BYTES - frame.readableBytes(), in.readableBytes());
                } finally {
                    assertTrue(frame.release());
                }
            }
        } finally {
            assertTrue(in.release());
        }
    }

    /** A responder NoiseHandler in an EmbeddedChannel with a frozen clock, and the buffers handed to it. */
    private static final class Responder {
        final Recorder recorder = new Recorder();
        final EmbeddedChannel ch = new EmbeddedChannel();
        final List<ByteBuf> inputs = new ArrayList<>();

        Responder() {
            ch.freezeTime();
            ch.pipeline().addLast(NoiseTestSupport.APP, recorder);
            ch.pipeline().addBefore(NoiseTestSupport.APP, NoiseSecurityTransport.HANDLER_NAME, new NoiseHandler(
                    NoiseTestSupport.context(Role.RESPONDER, RESPONDER_IDENTITY, null, List.of("/yamux/1.0.0")),
                    NoiseFrames.MAX_MESSAGE_BYTES, RESPONDER_STATIC));
        }

        void feed(byte[] bytes, int offset, int length) {
            ByteBuf in = ByteBufAllocator.DEFAULT.buffer(length).writeBytes(bytes, offset, length);
            inputs.add(in);
            ch.writeInbound(in);
        }

        void feedFrame(byte[] message) {
            byte[] frame = new byte[NoiseFrames.LENGTH_BYTES + message.length];
            frame[0] = (byte) (message.length >>> 8);
            frame[1] = (byte) message.length;
            System.arraycopy(message, 0, frame, NoiseFrames.LENGTH_BYTES, message.length);
            feed(frame, 0, frame.length);
        }

        /** Lets the handshake timeout pass: an unfinished handshake must fail now, not wait forever. */
        void finishHandshakeClock() {
            if (ch.isOpen()) {
                ch.advanceTimeBy(NoiseTestSupport.TIMEOUT_MILLIS + 1, TimeUnit.MILLISECONDS);
                ch.runScheduledPendingTasks();
                ch.runPendingTasks();
            }
        }

        void check() {
            ch.checkException();
            for (Throwable t : recorder.exceptions) {
                if (!(t instanceof NoiseException)) {
                    throw new AssertionError("not a NoiseException", t);
                }
            }
            if (!recorder.exceptions.isEmpty()) {
                assertFalse(ch.isOpen(), "a failed handshake closes the channel");
                assertTrue(recorder.sessions.isEmpty());
            } else {
                assertTrue(ch.isOpen() && recorder.sessions.size() == 1, "after the timeout: done or failed");
            }
        }

        void release() {
            ch.finishAndReleaseAll();
            for (ByteBuf in : inputs) {
                assertEquals(0, in.refCnt(), "input buffer leaked");
            }
        }
    }
}
