package io.crossdial.security.noise;

import static io.crossdial.security.noise.NoiseTestSupport.context;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.Role;
import io.crossdial.security.noise.NoiseTestSupport.Side;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Random input never raises anything but a {@link NoiseException}, and never leaks a buffer. */
class NoiseHandlerPropertiesTest {
    private static final PrivateKey KEY = Keys.generateEd25519();

    @Provide
    Arbitrary<List<byte[]>> chunks() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(200).list().ofMaxSize(6);
    }

    @Property(tries = 300)
    void randomBytesOnlyEverRaiseNoiseException(
            @ForAll("chunks") List<byte[]> chunks, @ForAll boolean initiator, @ForAll boolean framed) {
        Side s = NoiseTestSupport.side(
                context(initiator ? Role.INITIATOR : Role.RESPONDER, KEY, null, List.of()), 65535);
        List<ByteBuf> fed = new ArrayList<>();
        try {
            s.channel().releaseOutbound();
            for (byte[] chunk : chunks) {
                if (!s.channel().isOpen()) {
                    break;
                }
                ByteBuf in = Unpooled.buffer();
                if (framed) {
                    in.writeShort(chunk.length);
                }
                in.writeBytes(chunk);
                fed.add(in);
                s.channel().writeInbound(in);
                s.channel().releaseOutbound();
            }
            checkOnlyNoiseExceptions(s);
        } finally {
            s.channel().finishAndReleaseAll();
        }
        checkOnlyNoiseExceptions(s);
        for (ByteBuf b : fed) {
            assertEquals(0, b.refCnt());
        }
    }

    @Property(tries = 200)
    void randomFrameAfterHandshakeFailsWithNoiseException(
            @ForAll @IntRange(min = 0, max = 300) int length, @ForAll byte seed) {
        Side i = NoiseTestSupport.side(context(Role.INITIATOR, KEY, null, List.of()), 65535);
        Side r = NoiseTestSupport.side(context(Role.RESPONDER, KEY, null, List.of()), 65535);
        try {
            NoiseTestSupport.pump(i.channel(), r.channel());
            ByteBuf frame = Unpooled.buffer().writeShort(length);
            for (int k = 0; k < length; k++) {
                frame.writeByte(seed + k * 31);
            }
            r.channel().writeInbound(frame);
            assertEquals(0, frame.refCnt());
            assertInstanceOf(NoiseException.class, r.recorder().onlyNoiseException());
            assertFalse(r.channel().isOpen());
            assertEquals(0, r.recorder().reads);
        } finally {
            i.channel().finishAndReleaseAll();
            r.channel().finishAndReleaseAll();
        }
    }

    private static void checkOnlyNoiseExceptions(Side s) {
        assertTrue(s.recorder().exceptions.size() <= 1, () -> "at most one failure: " + s.recorder().exceptions);
        for (Throwable t : s.recorder().exceptions) {
            assertInstanceOf(NoiseException.class, t);
            assertTrue(t.getMessage().startsWith("noise: "), t.getMessage());
        }
        if (!s.channel().isOpen()) {
            assertEquals(1, s.recorder().exceptions.size(), "a closed channel names its failure");
        }
        assertTrue(s.recorder().sessions.isEmpty(), "random bytes never authenticate");
    }
}
