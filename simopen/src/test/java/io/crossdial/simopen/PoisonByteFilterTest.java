package io.crossdial.simopen;

import static io.crossdial.simopen.SimopenTestSupport.HEADER_HEX;
import static io.crossdial.simopen.SimopenTestSupport.NOISE_HEX;
import static io.crossdial.simopen.SimopenTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.simopen.SimopenTestSupport.Tail;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PoisonByteFilterTest {
    private final Tail tail = new Tail();
    private final List<ByteBuf> handedOut = new ArrayList<>();
    private EmbeddedChannel ch;

    @BeforeEach
    void setUp() {
        ch = new EmbeddedChannel();
        ch.pipeline().addLast("poison", new PoisonByteFilter()).addLast("tail", tail);
    }

    @AfterEach
    void finish() {
        assertFalse(ch.finishAndReleaseAll(), "nothing may reach the end of the pipeline");
        for (ByteBuf buf : handedOut) {
            assertEquals(0, buf.refCnt(), "inbound buffer not released");
        }
    }

    private void read(String hex) {
        ByteBuf buf = hex(hex);
        handedOut.add(buf);
        ch.writeInbound(buf);
    }

    private boolean filterInstalled() {
        return ch.pipeline().get(PoisonByteFilter.class) != null;
    }

    @Test
    void dropsALeadingPoisonByteAndMarksTheChannel() {
        read("00" + HEADER_HEX + NOISE_HEX);
        assertEquals(HEADER_HEX + NOISE_HEX, tail.receivedHex());
        assertEquals(Boolean.TRUE, ch.attr(PoisonByteFilter.POISON_SEEN).get());
        assertFalse(filterInstalled(), "the filter removes itself after the first byte");
    }

    @Test
    void forwardsAStreamStartingWithAMultistreamLengthUntouched() {
        read(HEADER_HEX + NOISE_HEX);
        assertEquals(HEADER_HEX + NOISE_HEX, tail.receivedHex());
        assertNull(ch.attr(PoisonByteFilter.POISON_SEEN).get());
        assertFalse(filterInstalled());
    }

    @Test
    void forwardsAZeroByteThatIsNotTheFirstByteInTheSameRead() {
        read(HEADER_HEX + "00" + NOISE_HEX);
        assertEquals(HEADER_HEX + "00" + NOISE_HEX, tail.receivedHex());
        assertNull(ch.attr(PoisonByteFilter.POISON_SEEN).get());
    }

    @Test
    void dropsOnlyTheFirstOfTwoLeadingZeroBytes() {
        read("0000" + HEADER_HEX);
        assertEquals("00" + HEADER_HEX, tail.receivedHex());
        assertEquals(Boolean.TRUE, ch.attr(PoisonByteFilter.POISON_SEEN).get());
    }

    @Test
    void forwardsAZeroByteArrivingInALaterRead() {
        read("00");
        assertEquals("", tail.receivedHex(), "a lone poison byte forwards nothing");
        assertFalse(filterInstalled());
        read("00" + HEADER_HEX);
        assertEquals("00" + HEADER_HEX, tail.receivedHex());
    }

    @Test
    void forwardsAZeroByteAfterAnOrdinaryFirstRead() {
        read("13");
        read("00");
        assertEquals("1300", tail.receivedHex());
        assertNull(ch.attr(PoisonByteFilter.POISON_SEEN).get());
    }

    @Test
    void staysInstalledAcrossEmptyReads() {
        ByteBuf empty = Unpooled.buffer(0);
        handedOut.add(empty);
        ch.writeInbound(empty);
        ch.writeInbound(Unpooled.EMPTY_BUFFER);
        assertTrue(filterInstalled(), "an empty read says nothing about the first byte");
        assertEquals("", tail.receivedHex());
        read("00" + HEADER_HEX);
        assertEquals(HEADER_HEX, tail.receivedHex());
        assertEquals(Boolean.TRUE, ch.attr(PoisonByteFilter.POISON_SEEN).get());
        assertFalse(filterInstalled());
    }

    @Test
    void passesLaterBytesDirectlyToTheNextHandler() {
        read("00" + HEADER_HEX);
        read(NOISE_HEX);
        read("00");
        assertEquals(HEADER_HEX + NOISE_HEX + "00", tail.receivedHex());
    }

    @Test
    void releasesTheInboundBufferWhenOnlyThePoisonByteArrived() {
        ByteBuf buf = hex("00");
        ch.writeInbound(buf);
        assertEquals(0, buf.refCnt());
    }
}
