package io.crossdial.muxer.yamux;

import static io.crossdial.muxer.yamux.SessionPair.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.spi.MuxedStream;
import io.crossdial.muxer.MuxerException;
import io.crossdial.muxer.StreamResetException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class YamuxPairTest {

    @Test
    void opensAcceptsAndEchoesBothWaysThenClosesOnBothHalfCloses() {
        SessionPair pair = new SessionPair(SessionPair.noKeepAlive(), new SessionPair.Echo(), new SessionPair.Echo(), 1000);
        SessionPair.Collector client = new SessionPair.Collector();
        MuxedStream stream = pair.open(client);
        assertTrue(stream.isOutbound());
        assertEquals(1, stream.streamId());
        assertEquals(1, pair.sessionA.streamCount());
        assertEquals(1, pair.sessionB.streamCount());

        stream.writeAndFlush(text("hello"));
        pair.pump();
        assertEquals("hello", client.text());
        stream.writeAndFlush(text(" world"));
        pair.pump();
        assertEquals("hello world", client.text());

        stream.shutdownOutput();
        pair.pump();
        assertTrue(client.sawEof());
        assertTrue(client.inactive, "both sides half-closed: the stream closes");
        assertEquals(0, pair.sessionA.streamCount());
        assertEquals(0, pair.sessionB.streamCount());
        pair.finish();
    }

    @Test
    void responderOpensEvenStreamsTowardsInitiator() {
        SessionPair.Collectors atA = new SessionPair.Collectors(true);
        SessionPair pair = new SessionPair(SessionPair.noKeepAlive(), atA, new SessionPair.Echo(), 1000);
        SessionPair.Collector fromB = new SessionPair.Collector();
        Future<MuxedStream> f = pair.sessionB.openStream(fromB);
        pair.pump();
        assertEquals(2, f.getNow().streamId());
        f.getNow().writeAndFlush(text("from responder"));
        pair.pump();
        assertEquals("from responder", atA.all.get(0).text());
        pair.finish();
    }

    @Test
    void halfCloseDeliversEofWhileTheOtherDirectionStillWorks() {
        SessionPair.Collectors atB = new SessionPair.Collectors(true);
        SessionPair pair = new SessionPair(SessionPair.noKeepAlive(), new SessionPair.Echo(), atB, 1000);
        SessionPair.Collector client = new SessionPair.Collector();
        MuxedStream stream = pair.open(client);
        stream.write(text("request"));
        ChannelFuture fin = stream.shutdownOutput();
        pair.pump();
        assertTrue(fin.isSuccess());
        assertTrue(stream.isOutputShutdown());
        SessionPair.Collector server = atB.all.get(0);
        assertEquals("request", server.text());
        assertTrue(server.sawEof());
        assertTrue(server.stream.isInputShutdown());
        assertTrue(server.stream.isOpen());

        server.stream.writeAndFlush(text("response"));
        pair.pump();
        assertEquals("response", client.text());
        assertFalse(client.sawEof());
        assertTrue(stream.write(text("late")).cause() != null, "writes after shutdownOutput fail");

        server.stream.close();
        pair.pump();
        assertTrue(client.sawEof());
        assertTrue(server.inactive);
        assertTrue(client.inactive);
        pair.finish();
    }

    @Test
    void localResetReachesTheRemoteAsStreamResetException() {
        SessionPair.Collectors atB = new SessionPair.Collectors(true);
        SessionPair pair = new SessionPair(SessionPair.noKeepAlive(), new SessionPair.Echo(), atB, 1000);
        SessionPair.Collector client = new SessionPair.Collector();
        MuxedStream stream = pair.open(client);
        stream.writeAndFlush(text("x"));
        pair.pump();
        ChannelFuture reset = stream.reset();
        pair.pump();
        assertTrue(reset.isSuccess());
        assertFalse(stream.isOpen());
        SessionPair.Collector server = atB.all.get(0);
        assertTrue(server.inactive);
        StreamResetException e = assertInstanceOf(StreamResetException.class, server.errors.get(0));
        assertTrue(e.byRemote());
        assertEquals(1, e.streamId());
        assertEquals(0, pair.sessionA.streamCount());
        assertEquals(0, pair.sessionB.streamCount());
        pair.finish();
    }

    @Test
    void remoteResetFailsPendingWritesWithStreamResetException() {
        SessionPair.Collectors atB = new SessionPair.Collectors(false);
        SessionPair pair = new SessionPair(SessionPair.noKeepAlive(), new SessionPair.Echo(), atB, 1000);
        SessionPair.Collector client = new SessionPair.Collector();
        MuxedStream stream = pair.open(client);
        ByteBuf big = Unpooled.wrappedBuffer(new byte[512 * 1024]);
        ChannelFuture write = stream.writeAndFlush(big);
        pair.pump();
        assertFalse(write.isDone(), "half the write waits for window");
        atB.all.get(0).stream.reset();
        pair.pump();
        assertInstanceOf(StreamResetException.class, write.cause());
        assertInstanceOf(StreamResetException.class, client.errors.get(0));
        assertTrue(client.inactive);
        assertEquals(0, big.refCnt());
        pair.finish();
    }

    @Test
    void transfersOneMebibyteThroughTheDefaultWindowWithWindowUpdates() {
        SessionPair.Collectors atB = new SessionPair.Collectors(true);
        SessionPair pair = new SessionPair(SessionPair.noKeepAlive(), new SessionPair.Echo(), atB, 1000);
        int[] windowUpdates = {0};
        pair.b.pipeline().addAfter("yamux-encoder", "sniffer", new io.netty.channel.ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise promise) {
                if (msg instanceof YamuxFrame.WindowUpdate u && u.delta() > 0) {
                    windowUpdates[0]++;
                }
                ctx.write(msg, promise);
            }
        });
        MuxedStream stream = pair.open(new SessionPair.Collector());
        byte[] payload = new byte[1024 * 1024];
        new Random(7).nextBytes(payload);
        ChannelFuture write = stream.writeAndFlush(Unpooled.wrappedBuffer(payload));
        stream.shutdownOutput();
        int rounds = 0;
        while (!write.isDone() && rounds++ < 100) {
            SessionPair.move(pair.a, pair.b);
            SessionPair.move(pair.b, pair.a);
        }
        pair.pump();
        assertTrue(write.isSuccess());
        assertTrue(windowUpdates[0] >= 6, "1 MiB through a 256 KiB window needs updates: " + windowUpdates[0]);
        SessionPair.Collector server = atB.all.get(0);
        assertArrayEquals(payload, server.received.toByteArray());
        assertTrue(server.sawEof());
        pair.finish();
    }

    @Test
    void slowReaderMakesWriterUnwritableAndBuffersAtMostOneWindow() {
        SessionPair.Collectors atB = new SessionPair.Collectors(false);
        SessionPair pair = new SessionPair(SessionPair.noKeepAlive(), new SessionPair.Echo(), atB, 1000);
        SessionPair.Collector client = new SessionPair.Collector();
        MuxedStream stream = pair.open(client);
        int chunk = 16 * 1024;
        long written = 0;
        for (int i = 0; i < 1000 && stream.isWritable(); i++) {
            stream.writeAndFlush(Unpooled.wrappedBuffer(new byte[chunk]));
            written += chunk;
            pair.pump();
        }
        assertFalse(stream.isWritable(), "window exhausted: unwritable");
        assertTrue(client.writabilityChanges > 0);
        assertEquals(256 * 1024, written, "writer stopped after exactly one window");

        SessionPair.Collector server = atB.all.get(0);
        assertEquals(0, server.received.size(), "auto-read off: nothing delivered without read()");
        for (int i = 0; i < 1000; i++) {
            server.stream.read();
        }
        assertEquals(256 * 1024, server.received.size(), "at most one window was buffered");

        pair.pump();
        assertTrue(stream.isWritable(), "credit returned after the reads");
        pair.finish();
    }

    @Test
    void writeBeyondTheStreamWriteBufferFails() {
        YamuxConfig config = YamuxConfig.builder().keepAliveIntervalMillis(0).maxStreamWriteBufferBytes(1024 * 1024).build();
        SessionPair pair = new SessionPair(config, new SessionPair.Echo(), new SessionPair.Collectors(false), 1000);
        MuxedStream stream = pair.open(new SessionPair.Collector());
        ByteBuf tooBig = Unpooled.wrappedBuffer(new byte[1024 * 1024 + 1]);
        ChannelFuture f = stream.writeAndFlush(tooBig);
        assertInstanceOf(MuxerException.class, f.cause());
        assertEquals(0, tooBig.refCnt());
        pair.finish();
    }

    @Test
    void carriesOneThousandConcurrentStreams() {
        SessionPair pair = new SessionPair(SessionPair.noKeepAlive(), new SessionPair.Echo(), new SessionPair.Echo(), 1000);
        List<SessionPair.Collector> clients = new ArrayList<>();
        List<Future<MuxedStream>> opens = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            String message = "stream-" + i;
            SessionPair.Collector c = new SessionPair.Collector() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    super.channelActive(ctx);
                    ctx.writeAndFlush(SessionPair.text(message));
                    stream.shutdownOutput();
                }
            };
            clients.add(c);
            opens.add(pair.sessionA.openStream(c));
        }
        pair.pump();
        for (int i = 0; i < 1000; i++) {
            assertTrue(opens.get(i).isSuccess(), "open " + i);
            assertEquals("stream-" + i, clients.get(i).text());
            assertTrue(clients.get(i).sawEof());
        }
        assertEquals(0, pair.sessionA.streamCount());
        assertEquals(0, pair.sessionB.streamCount());
        pair.finish();
    }

    @Test
    void remoteGoAwayStopsNewStreamsButExistingOnesGoOn() {
        SessionPair pair = new SessionPair(SessionPair.noKeepAlive(), new SessionPair.Echo(), new SessionPair.Echo(), 1000);
        SessionPair.Collector client = new SessionPair.Collector();
        MuxedStream stream = pair.open(client);
        pair.b.writeOutbound(new YamuxFrame.GoAway(YamuxException.GoAwayCode.NORMAL.wire()));
        pair.pump();
        Future<MuxedStream> refused = pair.sessionA.openStream(new SessionPair.Collector());
        assertInstanceOf(YamuxException.class, refused.cause());
        stream.writeAndFlush(text("still here"));
        pair.pump();
        assertEquals("still here", client.text());
        assertTrue(pair.errorsA.isEmpty());
        pair.finish();
    }

    @Test
    void closingTheSessionSendsGoAwayAndClosesEveryStream() {
        SessionPair.Collectors atB = new SessionPair.Collectors(true);
        SessionPair pair = new SessionPair(SessionPair.noKeepAlive(), new SessionPair.Echo(), atB, 1000);
        SessionPair.Collector client = new SessionPair.Collector();
        pair.open(client);
        pair.sessionA.close();
        pair.pump();
        assertTrue(client.inactive);
        assertFalse(pair.a.isOpen());
        Future<MuxedStream> refused = pair.sessionB.openStream(new SessionPair.Collector());
        assertInstanceOf(YamuxException.class, refused.cause(), "B received GoAway");
        pair.b.close();
        assertTrue(atB.all.get(0).inactive);
        pair.finish();
    }

    @Test
    void closeWaitsForPendingWritesThenSendsFin() {
        SessionPair.Collectors atB = new SessionPair.Collectors(true);
        SessionPair pair = new SessionPair(SessionPair.noKeepAlive(), new SessionPair.Echo(), atB, 1000);
        MuxedStream stream = pair.open(new ChannelInboundHandlerAdapter());
        byte[] payload = new byte[600 * 1024];
        new Random(3).nextBytes(payload);
        stream.write(Unpooled.wrappedBuffer(payload));
        ChannelFuture closed = stream.close();
        pair.pump();
        assertTrue(closed.isSuccess());
        SessionPair.Collector server = atB.all.get(0);
        assertArrayEquals(payload, server.received.toByteArray());
        assertTrue(server.sawEof());
        pair.finish();
    }
}
