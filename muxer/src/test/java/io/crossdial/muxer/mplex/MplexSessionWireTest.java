package io.crossdial.muxer.mplex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.crossdial.muxer.StreamResetException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.Future;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One mplex session on an EmbeddedChannel, checked byte for byte against hand-written frames. */
class MplexSessionWireTest {
    private static final HexFormat HEX = HexFormat.of();

    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final List<Throwable> errors = new ArrayList<>();
    private final Recorders inbound = new Recorders(true);
    private MuxedSession session;

    private void install(MplexConfig config, int maxInbound) {
        ch.pipeline().addLast("app", new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
            }
        });
        session = new MplexStreamMuxer(config).install(ch.pipeline(), "app",
                new MuxerContext(Role.INITIATOR, inbound, maxInbound));
    }

    @AfterEach
    void finish() {
        ch.finishAndReleaseAll();
    }

    @Test
    void openWriteAndHalfCloseSendTheSpecFrames() {
        install(MplexConfig.defaults(), 10);
        Recorder local = new Recorder();
        Future<MuxedStream> f = session.openStream(local);
        ch.runPendingTasks();
        assertTrue(f.isSuccess());
        MuxedStream stream = f.getNow();
        assertEquals(0, stream.streamId());
        assertEquals("000130", outbound());
        stream.writeAndFlush(Unpooled.copiedBuffer("hi", StandardCharsets.UTF_8));
        assertEquals("02026869", outbound());
        stream.shutdownOutput();
        assertEquals("0400", outbound());
        Future<MuxedStream> second = session.openStream(new Recorder());
        ch.runPendingTasks();
        assertEquals(1, second.getNow().streamId());
        assertEquals("080131", outbound());
        second.getNow().reset();
        assertEquals("0e00", outbound());
    }

    @Test
    void theSameIdOpenedByEachSideNamesTwoStreams() {
        install(MplexConfig.defaults(), 10);
        Recorder local = new Recorder();
        session.openStream(local);
        ch.runPendingTasks();
        outbound();
        // remote opens its stream 0, writes "in" on it and "out" on our stream 0
        ch.writeInbound(bytes("000130" + "0202696e" + "01036f7574"));
        assertEquals(1, inbound.all.size());
        assertEquals("in", inbound.all.get(0).text());
        assertEquals("out", local.text());
        assertEquals(2, session.streamCount());
        // remote closes its own stream (CloseInitiator) only
        ch.writeInbound(bytes("0400"));
        assertTrue(inbound.all.get(0).eof);
        assertFalse(local.eof);
        // our answer on the remote's stream carries the receiver flags
        inbound.all.get(0).stream.writeAndFlush(Unpooled.copiedBuffer("ok", StandardCharsets.UTF_8));
        assertEquals("01026f6b", outbound());
        inbound.all.get(0).stream.close();
        assertEquals("0300", outbound());
    }

    @Test
    void resetsInboundStreamsBeyondTheLimitWithResetReceiver() {
        install(MplexConfig.defaults(), 1);
        ch.writeInbound(bytes("000130" + "080131"));
        assertEquals(1, inbound.all.size());
        assertEquals("0d00", outbound());
        // later data for the refused stream is dropped
        ch.writeInbound(bytes("0a026869"));
        assertTrue(errors.isEmpty());
        assertTrue(ch.isOpen());
    }

    @Test
    void remoteResetClosesTheStreamWithStreamResetException() {
        install(MplexConfig.defaults(), 10);
        ch.writeInbound(bytes("000130" + "0600"));
        Recorder r = inbound.all.get(0);
        assertInstanceOf(StreamResetException.class, r.errors.get(0));
        assertFalse(r.stream.isOpen());
        assertEquals(0, session.streamCount());
    }

    @Test
    void anOversizedMessageFailsTheConnectionWithMplexException() {
        install(MplexConfig.defaults(), 10);
        ch.writeInbound(bytes("000130" + "0281804000"));
        ch.runPendingTasks();
        assertInstanceOf(MplexException.class, errors.get(0));
        assertFalse(ch.isOpen());
        assertFalse(inbound.all.get(0).stream.isOpen());
    }

    @Test
    void aSecondNewStreamForAnOpenStreamFailsTheConnection() {
        install(MplexConfig.defaults(), 10);
        ch.writeInbound(bytes("000130" + "000130"));
        ch.runPendingTasks();
        assertInstanceOf(MplexException.class, errors.get(0));
        assertTrue(errors.get(0).getMessage().contains("NewStream for stream 0"));
        assertFalse(ch.isOpen());
    }

    @Test
    void aSlowReaderStopsTheConnectionUntilItDrainsItsStream() {
        install(MplexConfig.builder().maxUnreadStreamBytes(1000).build(), 10);
        inbound.autoRead = false;
        String message = "02" + "d804" + "00".repeat(600);
        ch.writeInbound(bytes("000130" + message + message + message));
        Recorder r = inbound.all.get(0);
        assertEquals(0, r.received.size());
        assertFalse(ch.config().isAutoRead(), "1200 unread bytes > 1000: the connection stops reading");
        r.stream.read();
        assertEquals(1200, r.received.size());
        ch.runPendingTasks();
        r.stream.read();
        assertEquals(1800, r.received.size(), "drained: the waiting third message is decoded and delivered");
        assertTrue(ch.config().isAutoRead());
    }

    @Test
    void aReaderStalledTooLongIsResetAndTheConnectionResumes() {
        install(MplexConfig.builder().maxUnreadStreamBytes(100).stalledReaderResetMillis(5_000).build(), 10);
        inbound.autoRead = false;
        ch.writeInbound(bytes("000130" + "02" + "c801" + "00".repeat(200) + "080131" + "0a026869"));
        assertEquals(1, inbound.all.size(), "the second stream waits behind the stalled one");
        assertFalse(ch.config().isAutoRead());
        ch.advanceTimeBy(5, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
        Recorder stalled = inbound.all.get(0);
        assertInstanceOf(MplexException.class, stalled.errors.get(0));
        assertFalse(stalled.stream.isOpen());
        assertEquals("0500", outbound(), "ResetReceiver for stream 0");
        assertEquals(2, inbound.all.size(), "decoding resumed");
        assertTrue(ch.config().isAutoRead());
    }

    @Test
    void closingTheSessionClosesItsStreamsAndRefusesNewOnes() throws Exception {
        install(MplexConfig.defaults(), 10);
        ch.writeInbound(bytes("000130"));
        session.close();
        ch.runPendingTasks();
        assertFalse(inbound.all.get(0).stream.isOpen());
        Future<MuxedStream> f = session.openStream(new Recorder());
        ch.runPendingTasks();
        assertInstanceOf(MplexException.class, f.cause());
    }

    private String outbound() {
        StringBuilder b = new StringBuilder();
        Object msg;
        while ((msg = ch.readOutbound()) != null) {
            ByteBuf buf = (ByteBuf) msg;
            b.append(ByteBufUtil.hexDump(buf));
            buf.release();
        }
        return b.toString();
    }

    private static ByteBuf bytes(String hex) {
        return Unpooled.wrappedBuffer(HEX.parseHex(hex));
    }

    static class Recorder extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final List<Throwable> errors = new ArrayList<>();
        MuxedStream stream;
        boolean eof;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            stream = (MuxedStream) ctx.channel();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            received.writeBytes(ByteBufUtil.getBytes(buf));
            buf.release();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                eof = true;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }

        String text() {
            return received.toString(StandardCharsets.UTF_8);
        }
    }

    @ChannelHandler.Sharable
    static final class Recorders extends ChannelInboundHandlerAdapter {
        final List<Recorder> all = new ArrayList<>();
        boolean autoRead;

        Recorders(boolean autoRead) {
            this.autoRead = autoRead;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            Recorder r = new Recorder();
            all.add(r);
            ctx.channel().config().setAutoRead(autoRead);
            ctx.pipeline().replace(this, null, r);
        }
    }
}
