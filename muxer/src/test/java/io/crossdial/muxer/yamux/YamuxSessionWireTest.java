package io.crossdial.muxer.yamux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One session against hand-written frames: exact bytes on the wire. */
class YamuxSessionWireTest {
    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final List<Throwable> errors = new ArrayList<>();
    private final SessionPair.Collectors inbound = new SessionPair.Collectors(true);

    private MuxedSession install(YamuxConfig config, int maxInbound) {
        ch.pipeline().addLast("app", new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
            }
        });
        return new YamuxStreamMuxer(config).install(ch.pipeline(), "app", new MuxerContext(Role.INITIATOR, inbound, maxInbound));
    }

    private void in(String hex) {
        ch.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex)));
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

    @Test
    void answersPingWithAckAndTheSameOpaqueValue() {
        install(SessionPair.noKeepAlive(), 10);
        in("000200010000000012345678");
        assertEquals("000200020000000012345678", out());
        ch.finishAndReleaseAll();
    }

    @Test
    void announcesAnOutboundStreamWithWindowUpdateSyn() {
        MuxedSession session = install(SessionPair.noKeepAlive(), 10);
        Future<MuxedStream> f = session.openStream(new ChannelInboundHandlerAdapter());
        assertEquals("000100010000000100000000", out());
        f.getNow().writeAndFlush(SessionPair.text("hi"));
        assertEquals("000000000000000100000002" + "6869", out());
        ch.finishAndReleaseAll();
    }

    @Test
    void announcesALargerConfiguredWindowInTheSyn() {
        MuxedSession session = install(YamuxConfig.builder().keepAliveIntervalMillis(0).initialWindowBytes(1024 * 1024).build(), 10);
        session.openStream(new ChannelInboundHandlerAdapter());
        assertEquals("0001000100000001000c0000", out());
        ch.finishAndReleaseAll();
    }

    @Test
    void acknowledgesAnInboundStreamWithItsFirstFrameAndDeliversData() {
        install(SessionPair.noKeepAlive(), 10);
        in("000100010000000200000000" + "000000000000000200000003616263");
        assertEquals("", out(), "no implicit ACK");
        SessionPair.Collector c = inbound.all.get(0);
        assertEquals("abc", c.text());
        assertEquals(2, c.stream.streamId());
        assertFalse(c.stream.isOutbound());
        c.stream.writeAndFlush(SessionPair.text("hi"));
        assertEquals("000000020000000200000002" + "6869", out());
        in("000100040000000200000000");
        assertTrue(c.sawEof());
        c.stream.close();
        assertEquals("000100040000000200000000", out());
        ch.runPendingTasks();
        assertTrue(c.inactive);
        ch.finishAndReleaseAll();
    }

    @Test
    void resetsInboundStreamsBeyondTheLimit() {
        MuxedSession session = install(SessionPair.noKeepAlive(), 2);
        in("000100010000000200000000" + "000100010000000400000000" + "000000010000000600000001ff");
        assertEquals("000100080000000600000000", out());
        assertEquals(2, session.streamCount());
        assertTrue(errors.isEmpty());
        ch.finishAndReleaseAll();
    }

    @Test
    void protocolErrorSendsGoAwayCodeOneClosesAndFiresYamuxException() {
        install(SessionPair.noKeepAlive(), 10);
        SessionPair.Collector c = new SessionPair.Collector();
        in("000100010000000200000000");
        in("010000000000000200000000");
        assertEquals("000300000000000000000001", out());
        assertFalse(ch.isOpen());
        YamuxException e = assertInstanceOf(YamuxException.class, errors.get(0));
        assertEquals(YamuxException.GoAwayCode.PROTOCOL_ERROR.wire(), e.errorCode());
        assertTrue(inbound.all.get(0).inactive, "streams close with the connection");
        assertNull(c.stream);
        ch.finishAndReleaseAll();
    }

    @Test
    void dataBeyondTheReceiveWindowIsAProtocolError() {
        install(SessionPair.noKeepAlive(), 10);
        ByteBuf frame = Unpooled.buffer();
        frame.writeBytes(ByteBufUtil.decodeHexDump("00000001000000020004" + "0001"));
        frame.writeZero(256 * 1024 + 1);
        ch.writeInbound(frame);
        assertEquals("000300000000000000000001", out());
        assertFalse(ch.isOpen());
        assertInstanceOf(YamuxException.class, errors.get(0));
        assertEquals(0, frame.refCnt());
        ch.finishAndReleaseAll();
    }

    @Test
    void synWithTheLocalParityIsAProtocolError() {
        install(SessionPair.noKeepAlive(), 10);
        in("000100010000000300000000");
        assertEquals("000300000000000000000001", out());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void closingTheConnectionSendsGoAwayNormal() {
        MuxedSession session = install(SessionPair.noKeepAlive(), 10);
        session.close();
        assertEquals("000300000000000000000000", out());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void remoteGoAwayWithErrorCodeClosesAndFiresIt() {
        MuxedSession session = install(SessionPair.noKeepAlive(), 10);
        in("000300000000000000000002");
        assertFalse(ch.isOpen());
        assertEquals(2, ((YamuxException) errors.get(0)).errorCode());
        assertInstanceOf(YamuxException.class, session.openStream(new ChannelInboundHandlerAdapter()).cause());
        ch.finishAndReleaseAll();
    }

    @Test
    void keepAlivePingsAndKeepsAnAnsweringConnection() {
        ch.freezeTime();
        install(YamuxConfig.builder().keepAliveIntervalMillis(1000).keepAliveTimeoutMillis(500).build(), 10);
        ch.advanceTimeBy(1000, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals("000200010000000000000001", out());
        in("000200020000000000000001");
        ch.advanceTimeBy(600, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen());
        assertTrue(errors.isEmpty());
        ch.finishAndReleaseAll();
    }

    @Test
    void unansweredKeepAliveClosesTheConnection() {
        ch.freezeTime();
        install(YamuxConfig.builder().keepAliveIntervalMillis(1000).keepAliveTimeoutMillis(500).build(), 10);
        ch.advanceTimeBy(1000, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals("000200010000000000000001", out());
        ch.advanceTimeBy(500, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
        assertEquals(YamuxException.GoAwayCode.INTERNAL_ERROR.wire(), ((YamuxException) errors.get(0)).errorCode());
        ch.finishAndReleaseAll();
    }

    @Test
    void openStreamWaitsWhileTheAckBacklogIsFull() {
        MuxedSession session = install(YamuxConfig.builder().keepAliveIntervalMillis(0).maxAckBacklog(1).build(), 10);
        ChannelHandler h = new ChannelInboundHandlerAdapter();
        Future<MuxedStream> first = session.openStream(h);
        Future<MuxedStream> second = session.openStream(new ChannelInboundHandlerAdapter());
        assertTrue(first.isSuccess());
        assertFalse(second.isDone());
        assertEquals("000100010000000100000000", out());
        in("000100020000000100000000");
        assertTrue(second.isSuccess());
        assertEquals(3, second.getNow().streamId());
        assertEquals("000100010000000300000000", out());
        ch.finishAndReleaseAll();
    }
}
