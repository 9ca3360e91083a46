package io.crossdial.muxer.mplex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.muxer.AbstractMuxedSession;
import io.crossdial.muxer.HoldWrites;
import io.crossdial.muxer.mplex.MplexException.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One mplex session fed the frames of a hostile remote, byte for byte: each case closes the connection
 * with the {@link MplexException.Reason} it names, or drains, pauses or refuses within a fixed bound.
 */
class MplexHostileWireTest {
    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final List<Throwable> errors = new ArrayList<>();
    private final List<MuxedStream> accepted = new ArrayList<>();
    private final HoldWrites held = new HoldWrites();
    private MplexSession session;

    private void install(MplexConfig config, int maxInbound, boolean holdWrites) {
        if (holdWrites) {
            ch.pipeline().addLast("socket", held);
        }
        ch.pipeline().addLast("app", new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
            }
        });
        session = (MplexSession) new MplexStreamMuxer(config).install(ch.pipeline(), "app",
                new MuxerContext(Role.RESPONDER, new NotReading(accepted), maxInbound));
    }

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
        held.releaseAll(); // after the close: the GoAway written while closing is held too
    }

    /** @return header varint, length varint, then {@code length} zero bytes only if {@code withBody} */
    private static ByteBuf frame(long streamId, int flag, long length, boolean withBody) {
        ByteBuf b = Unpooled.buffer();
        UnsignedVarint.write(streamId << 3 | flag, b);
        UnsignedVarint.write(length, b);
        if (withBody) {
            b.writeZero((int) length);
        }
        return b;
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

    private void assertConnectionError(Reason reason) {
        assertFalse(ch.isOpen(), "connection closed");
        MplexException e = assertInstanceOf(MplexException.class, errors.get(0));
        assertEquals(reason, e.reason());
        assertTrue(e.isConnectionError());
    }

    @Test
    void aMessageLongerThanOneMebibyteFailsAtItsLengthVarint() {
        install(MplexConfig.defaults(), 10, false);
        ch.writeInbound(frame(0, MplexFrame.FLAG_NEW_STREAM, 0, false));
        ch.writeInbound(frame(0, MplexFrame.FLAG_MESSAGE_INITIATOR, MplexFrame.MAX_MESSAGE_BYTES + 1, false));
        assertConnectionError(Reason.FRAME_TOO_LONG);
    }

    @Test
    void lengthFfffffffFailsAtItsLengthVarint() {
        install(MplexConfig.defaults(), 10, false);
        ch.writeInbound(frame(0, MplexFrame.FLAG_MESSAGE_INITIATOR, 0xFFFF_FFFFL, false));
        assertConnectionError(Reason.FRAME_TOO_LONG);
    }

    @Test
    void theUnusedFlagSevenFailsTheConnection() {
        install(MplexConfig.defaults(), 10, false);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x07, 0x00}));
        assertConnectionError(Reason.UNKNOWN_FLAG);
    }

    @Test
    void aTenByteVarintFailsTheConnection() {
        install(MplexConfig.defaults(), 10, false);
        byte[] b = new byte[11];
        java.util.Arrays.fill(b, 0, 10, (byte) 0x80);
        ch.writeInbound(Unpooled.wrappedBuffer(b));
        assertConnectionError(Reason.MALFORMED_VARINT);
    }

    @Test
    void aSecondNewStreamForAnOpenStreamFailsTheConnection() {
        install(MplexConfig.defaults(), 10, false);
        ch.writeInbound(frame(3, MplexFrame.FLAG_NEW_STREAM, 0, false));
        ch.writeInbound(frame(3, MplexFrame.FLAG_NEW_STREAM, 0, false));
        assertConnectionError(Reason.DUPLICATE_STREAM);
    }

    @Test
    void aMessageForAnUnknownStreamIsDrainedAsItArrives() {
        install(MplexConfig.defaults(), 10, false);
        ch.writeInbound(frame(9, MplexFrame.FLAG_MESSAGE_INITIATOR, MplexFrame.MAX_MESSAGE_BYTES, false));
        for (int i = 0; i < 16; i++) {
            ch.writeInbound(Unpooled.buffer(65536).writeZero(65536));
            assertEquals(0, session.bufferedBytes(), "nothing of the payload is held");
        }
        assertEquals(MplexFrame.MAX_MESSAGE_BYTES, session.discardedBytes());
        ch.writeInbound(frame(1, MplexFrame.FLAG_NEW_STREAM, 0, false));
        assertEquals(1, accepted.size(), "the frame after the drained payload is read: the boundary was kept");
        assertTrue(ch.isOpen());
        assertTrue(errors.isEmpty());
    }

    @Test
    void aMessageForAStreamTheRemoteResetIsDrained() {
        install(MplexConfig.defaults(), 10, false);
        ch.writeInbound(frame(1, MplexFrame.FLAG_NEW_STREAM, 0, false));
        ch.writeInbound(frame(1, MplexFrame.FLAG_RESET_INITIATOR, 0, false));
        ch.runPendingTasks();
        ch.writeInbound(frame(1, MplexFrame.FLAG_MESSAGE_INITIATOR, 1000, true));
        assertEquals(1000, session.discardedBytes());
        assertTrue(ch.isOpen());
    }

    @Test
    void anUnreadStreamPausesTheConnectionAtItsLimitInsteadOfBuffering() {
        MplexConfig config = MplexConfig.builder().maxUnreadStreamBytes(256 * 1024).stalledReaderResetMillis(1000).build();
        ch.freezeTime();
        install(config, 10, false);
        ch.writeInbound(frame(0, MplexFrame.FLAG_NEW_STREAM, 0, false));
        for (int i = 0; i < 8; i++) {
            ch.writeInbound(frame(0, MplexFrame.FLAG_MESSAGE_INITIATOR, 64 * 1024, true));
        }
        assertTrue(session.isReadPaused(), "reading stopped once the stream held more than its limit");
        assertFalse(ch.config().isAutoRead(), "the connection's reads are off: TCP pushes back on the remote");
        ch.advanceTimeBy(1000, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(accepted.get(0).isOpen() == false, "the stalled reader's stream was reset after 1 s");
        assertTrue(ch.config().isAutoRead(), "and the connection reads again");
        assertTrue(ch.isOpen());
    }

    @Test
    void refusalsStopAt1024UnwrittenThenTheConnectionFails() {
        install(MplexConfig.defaults(), 1, true);
        ByteBuf opens = Unpooled.buffer();
        for (int i = 0; i <= AbstractMuxedSession.MAX_UNWRITTEN_REFUSALS + 1; i++) {
            ByteBuf open = frame(i, MplexFrame.FLAG_NEW_STREAM, 0, false);
            opens.writeBytes(open);
            open.release();
        }
        ch.writeInbound(opens);
        assertEquals(AbstractMuxedSession.MAX_UNWRITTEN_REFUSALS, held.size(), "1024 resets, then no more");
        assertConnectionError(Reason.PEER_NOT_READING);
    }

    @Test
    void pinsTheReasons() {
        assertEquals(9, Reason.values().length);
        for (Reason r : List.of(Reason.MALFORMED_VARINT, Reason.UNKNOWN_FLAG, Reason.FRAME_TOO_LONG,
                Reason.DUPLICATE_STREAM, Reason.PEER_NOT_READING, Reason.DECODER_FAILED)) {
            assertTrue(r.connectionError(), r.name());
        }
        for (Reason r : List.of(Reason.STALLED_READER, Reason.SESSION_CLOSED, Reason.STREAM_IDS_EXHAUSTED)) {
            assertFalse(r.connectionError(), r.name());
        }
        assertEquals(1024 * 1024, MplexFrame.MAX_MESSAGE_BYTES);
        assertEquals(7, MplexFrame.FLAG_RESET_INITIATOR + 1, "flag 7 is the unused one");
    }

    /** Every inbound stream: auto-read off, never read. */
    @ChannelHandler.Sharable
    static final class NotReading extends ChannelInboundHandlerAdapter {
        private final List<MuxedStream> streams;

        NotReading(List<MuxedStream> streams) {
            this.streams = streams;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(false);
            streams.add((MuxedStream) ctx.channel());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // the stalled reader's reset
        }
    }
}
