package io.crossdial.security.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.Role;
import io.crossdial.security.tls.TlsTestSupport.Side;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Random input never raises anything but a {@link TlsSecurityException}, and never leaks a buffer. */
class TlsHandshakePropertiesTest {
    private static final PrivateKey KEY = Keys.generateEd25519();

    @Provide
    Arbitrary<List<byte[]>> chunks() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(300).list().ofMaxSize(5);
    }

    /** {@code recordHeader}: prefix each chunk with a plausible TLS handshake record header. */
    @Property(tries = 100)
    void randomBytesOnlyEverRaiseTlsSecurityException(
            @ForAll("chunks") List<byte[]> chunks, @ForAll boolean initiator, @ForAll boolean recordHeader) {
        Side s = TlsTestSupport.side(initiator ? Role.INITIATOR : Role.RESPONDER, KEY, null, List.of());
        List<ByteBuf> fed = new ArrayList<>();
        try {
            s.channel().releaseOutbound();
            for (byte[] chunk : chunks) {
                if (!s.channel().isOpen()) {
                    break;
                }
                ByteBuf in = Unpooled.buffer();
                if (recordHeader) {
                    in.writeByte(22).writeShort(0x0303).writeShort(chunk.length);
                }
                in.writeBytes(chunk);
                fed.add(in);
                s.channel().writeInbound(in);
                s.channel().releaseOutbound();
            }
            check(s);
        } finally {
            s.channel().finishAndReleaseAll();
        }
        check(s);
        for (ByteBuf b : fed) {
            assertEquals(0, b.refCnt());
        }
    }

    private static void check(Side s) {
        assertTrue(s.recorder().exceptions.size() <= 1, () -> "at most one failure: " + s.recorder().exceptions);
        for (Throwable t : s.recorder().exceptions) {
            assertInstanceOf(TlsSecurityException.class, t);
            assertTrue(t.getMessage().startsWith("tls: "), t.getMessage());
        }
        if (!s.channel().isOpen()) {
            assertEquals(1, s.recorder().exceptions.size(), "a closed channel names its failure");
        }
        assertTrue(s.recorder().sessions.isEmpty(), "random bytes never authenticate");
        assertEquals(0, s.recorder().data.size());
    }
}
