package io.crossdial.muxer.yamux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.crossdial.muxer.AbstractMuxedSession;
import io.crossdial.muxer.HoldWrites;
import io.crossdial.muxer.yamux.YamuxException.GoAwayCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One yamux session (initiator: the remote opens even stream IDs) fed the frames of a hostile remote, byte
 * for byte: each case fails at a frame's header with the spec's GoAway code, or drains, drops or refuses
 * within a fixed bound.
 */
class YamuxHostileWireTest {
    private static final String GO_AWAY_PROTOCOL_ERROR = "000300000000000000000001";
    private static final String GO_AWAY_INTERNAL_ERROR = "000300000000000000000002";

    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final List<Throwable> errors = new ArrayList<>();
    private final SessionPair.Collectors inbound = new SessionPair.Collectors(false);
    private final HoldWrites held = new HoldWrites();
    private YamuxSession session;
    private YamuxFrameDecoder decoder;

    private void install(int maxInbound, boolean holdWrites) {
        if (holdWrites) {
            ch.pipeline().addLast("socket", held);
        }
        ch.pipeline().addLast("app", new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
            }
        });
        session = (YamuxSession) new YamuxStreamMuxer(SessionPair.noKeepAlive())
                .install(ch.pipeline(), "app", new MuxerContext(Role.INITIATOR, inbound, maxInbound));
        decoder = (YamuxFrameDecoder) ch.pipeline().get("yamux-decoder");
    }

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
        held.releaseAll(); // after the close: the GoAway written while closing is held too
    }

    private void in(String hex) {
        ch.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex)));
    }

    private void inZeros(int n) {
        ch.writeInbound(Unpooled.buffer(n).writeZero(n));
    }

    private String out() {
        ByteBuf all = Unpooled.buffer();
        ByteBuf part;
        while ((part = ch.readOutbound()) != null) {
            all.writeBytes(part);
            part.release();
        }
        String hex = ByteBufUtil.hexDump(all);
        all.release();
        return hex;
    }

    private void assertProtocolError() {
        assertEquals(GO_AWAY_PROTOCOL_ERROR, out(), "GoAway code 1, nothing else");
        assertFalse(ch.isOpen(), "connection closed");
        YamuxException e = assertInstanceOf(YamuxException.class, errors.get(0));
        assertEquals(GoAwayCode.PROTOCOL_ERROR.wire(), e.errorCode());
        assertEquals(GoAwayCode.PROTOCOL_ERROR, e.code().orElseThrow());
        assertTrue(e.isConnectionError());
    }

    @Test
    void aOneMebibyteDataFrameOnA256KibWindowFailsAtItsHeader() {
        install(10, false);
        in("000100010000000200000000"); // WindowUpdate SYN: the remote opens stream 2
        in("000000000000000200100000"); // Data header, length 1 MiB; no payload byte sent
        assertProtocolError();
        assertTrue(errors.get(0).getMessage().contains("exceeds its receive window of 262144 bytes"), errors::toString);
    }

    @Test
    void lengthFfffffffFailsAtItsHeader() {
        install(10, false);
        in("0000000100000002ffffffff");
        assertProtocolError();
    }

    @Test
    void aSynDataFrameLongerThanTheInitialWindowFailsAtItsHeader() {
        install(10, false);
        in("000000010000000200040001"); // Data SYN, 256 KiB + 1
        assertProtocolError();
    }

    @Test
    void dataOnStreamZeroFailsAtItsHeader() {
        install(10, false);
        in("000000000000000000000010");
        assertProtocolError();
    }

    @Test
    void dataForAnUnknownStreamIsDrainedAsItArrivesAndFramingGoesOn() {
        install(10, false);
        in("000000000000000400030d40"); // Data on stream 4, never opened: 200,000 bytes
        for (int i = 0; i < 20; i++) {
            inZeros(10_000);
        }
        assertEquals(200_000, decoder.discardedBytes());
        assertEquals(0, decoder.bufferedBytes(), "nothing of the payload is held");
        in("000200010000000000000007"); // a Ping right after the drained payload
        assertEquals("000200020000000000000007", out(), "answered: the frame boundary was kept");
        assertTrue(errors.isEmpty());
        assertTrue(ch.isOpen());
        assertEquals(0, session.streamCount());
    }

    @Test
    void dataOnTheLocalSidesParityWithoutSynIsDrained() {
        install(10, false);
        in("000000000000000300000003" + "616263"); // stream 3: our parity, we never opened it
        assertEquals(3, decoder.discardedBytes());
        assertEquals("", out());
        assertTrue(ch.isOpen());
    }

    @Test
    void dataForAStreamResetLocallyIsDrained() {
        install(10, false);
        in("000100010000000200000000");
        inbound.all.get(0).stream.reset();
        assertEquals("000100080000000200000000", out(), "RST");
        in("000000000000000200000400");
        inZeros(1024);
        assertEquals(1024, decoder.discardedBytes());
        assertTrue(ch.isOpen());
    }

    @Test
    void aWindowUpdateTakingTheSendWindowBeyond2To32IsAProtocolError() {
        install(10, false);
        in("000100010000000200000000");
        in("0001000000000002ffffffff"); // 256 KiB + 2^32-1
        assertProtocolError();
    }

    @Test
    void anUnreadStreamNeverHoldsMoreThanItsWindow() {
        install(10, false);
        in("000100010000000200000000");
        for (int i = 0; i < 4; i++) {
            in("000000000000000200010000"); // 64 KiB each: the whole 256 KiB window
            inZeros(64 * 1024);
        }
        assertTrue(ch.isOpen(), "the window was respected");
        in("000000000000000200000001"); // one byte more, header only
        assertProtocolError();
    }

    @Test
    void pingAnswersStopAt32UnwrittenAndResumeOnceWritten() {
        install(10, true);
        ByteBuf pings = Unpooled.buffer();
        for (int i = 0; i < 1000; i++) {
            pings.writeBytes(ByteBufUtil.decodeHexDump("00020001" + "00000000")).writeInt(i);
        }
        ch.writeInbound(pings);
        assertEquals(YamuxSession.MAX_PENDING_PONGS, held.size(), "answers queued: the bound");
        assertEquals(YamuxSession.MAX_PENDING_PONGS, session.pendingPongs());
        assertEquals(1000 - YamuxSession.MAX_PENDING_PONGS, session.droppedPongs());
        assertTrue(ch.isOpen(), "a Ping flood is not an error");
        held.writeAll();
        assertEquals(0, session.pendingPongs());
        in("000200010000000000000009");
        held.writeAll();
        assertTrue(out().endsWith("000200020000000000000009"), "answered again once the answers were written");
    }

    @Test
    void refusalsStopAt1024UnwrittenThenTheConnectionFails() {
        install(1, true);
        ByteBuf syns = Unpooled.buffer();
        for (int i = 0; i <= AbstractMuxedSession.MAX_UNWRITTEN_REFUSALS + 1; i++) {
            syns.writeBytes(ByteBufUtil.decodeHexDump("00010001")).writeInt(2 + 2 * i).writeInt(0);
        }
        ch.freezeTime();
        ch.writeInbound(syns);
        assertTrue(ch.isOpen(), "the GoAway waits to be written");
        ch.advanceTimeBy(AbstractMuxedSession.GOODBYE_TIMEOUT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen(), "a remote that opens streams and never reads its refusals is disconnected");
        YamuxException e = assertInstanceOf(YamuxException.class, errors.get(0));
        assertEquals(GoAwayCode.INTERNAL_ERROR, e.code().orElseThrow());
        assertEquals(AbstractMuxedSession.MAX_UNWRITTEN_REFUSALS + 1, held.size(), "1024 refusals and the GoAway");
        assertEquals(GO_AWAY_INTERNAL_ERROR, ByteBufUtil.hexDump((ByteBuf) held.last()));
    }

    @Test
    void aSynAfterTheRemotesGoAwayIsRefusedAndTheLastStreamClosesTheConnection() {
        install(10, false);
        in("000100010000000200000000");
        in("000300000000000000000000"); // GoAway normal
        in("000100010000000400000000");
        assertEquals("000100080000000400000000", out(), "the new stream is refused with RST");
        assertTrue(ch.isOpen(), "stream 2 still goes on");
        in("000100080000000200000000"); // the remote resets stream 2
        ch.runPendingTasks();
        assertFalse(ch.isOpen(), "no stream left after the remote's GoAway: closed");
        assertTrue(errors.isEmpty(), errors::toString);
    }

    @Test
    void framesAfterAGoAwayWithAnErrorAreDropped() {
        install(10, false);
        in("000300000000000000000001" + "000200010000000000000001" + "000100010000000200000000");
        assertEquals("", out(), "no answer to the Ping, no stream, no GoAway back");
        assertFalse(ch.isOpen());
        YamuxException e = assertInstanceOf(YamuxException.class, errors.get(0));
        assertEquals(GoAwayCode.PROTOCOL_ERROR, e.code().orElseThrow());
        assertTrue(inbound.all.isEmpty());
    }

    @Test
    void aGoAwayWithACodeOutsideTheSpecKeepsItsWireValue() {
        install(10, false);
        in("0003000000000000deadbeef");
        YamuxException e = assertInstanceOf(YamuxException.class, errors.get(0));
        assertEquals(0xdeadbeefL, e.errorCode());
        assertTrue(e.code().isEmpty());
        assertFalse(ch.isOpen());
    }

    @Test
    void badVersionAndUnknownTypeFailWithGoAwayOne() {
        install(10, false);
        in("000400000000000000000000");
        assertProtocolError();
    }
}
