package io.crossdial.host.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.host.protocol.StreamProtocolException.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.CompletableFuture;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PerfTest {
    private static final long MIB = 1 << 20;

    private static Reason failure(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        return assertInstanceOf(PerfException.class, e.getCause()).reason();
    }

    private static PerfResult run(long up, long down) throws Exception {
        try (Loopback net = new Loopback(ch -> new PerfResponder())) {
            SocketChannel stream = net.dial();
            PerfResult r = new PerfClient(stream, Duration.ofSeconds(10)).run(up, down).get(60, TimeUnit.SECONDS);
            assertTrue(net.accepted().closeFuture().await(5, TimeUnit.SECONDS), "the server closes its side");
            assertTrue(stream.closeFuture().await(5, TimeUnit.SECONDS), "the client closes its side");
            return r;
        }
    }

    @Test
    void pinsProtocolIdAndHeaderSize() {
        assertEquals("/perf/1.0.0", ProtocolIds.PERF);
        assertEquals(8, PerfResponder.HEADER_BYTES);
    }

    @Test
    void uploadsAndDownloadsTenMebibytesWithExactCountsOverLoopbackTcp() throws Exception {
        PerfResult r = run(10 * MIB, 10 * MIB);
        assertEquals(10 * MIB, r.uploadBytes());
        assertEquals(10 * MIB, r.downloadBytes());
        assertTrue(r.uploadNanos() > 0 && r.downloadNanos() > 0);
    }

    @Test
    void uploadOnlyAndDownloadOnlyAndEmptyRunsComplete() throws Exception {
        PerfResult up = run(3 * MIB + 17, 0);
        assertEquals(3 * MIB + 17, up.uploadBytes());
        assertEquals(0, up.downloadBytes());
        PerfResult down = run(0, 5 * MIB + 3);
        assertEquals(0, down.uploadBytes());
        assertEquals(5 * MIB + 3, down.downloadBytes());
        PerfResult none = run(0, 0);
        assertEquals(0, none.uploadBytes());
        assertEquals(0, none.downloadBytes());
    }

    @Test
    void clientWritesTheCountAsEightBytesBigEndianThenTheUpload() {
        EmbeddedChannel ch = new EmbeddedChannel();
        CompletableFuture<PerfResult> run = new PerfClient(ch, Duration.ofSeconds(5)).run(3, 0x0102030405060708L);
        ByteBuf header = ch.readOutbound();
        assertEquals("0102030405060708", ByteBufUtil.hexDump(header));
        header.release();
        ByteBuf upload = ch.readOutbound();
        assertArrayEquals(new byte[3], ByteBufUtil.getBytes(upload));
        upload.release();
        // EmbeddedChannel cannot half-close: its close() ends the run before any download.
        assertEquals(Reason.CLOSED, ((PerfException) Settled.cause(run)).reason());
        ch.finishAndReleaseAll();
    }

    @Test
    void serverReadsASplitCountDiscardsTheUploadAndSendsTheCountAfterEof() {
        EmbeddedChannel ch = new EmbeddedChannel(new PerfResponder());
        ByteBuf a = Unpooled.wrappedBuffer(HexFormat.of().parseHex("000000"));
        ByteBuf b = Unpooled.wrappedBuffer(HexFormat.of().parseHex("00000186a0ffffff")); // 100000, 3 upload bytes
        ByteBuf c = Unpooled.wrappedBuffer(new byte[5000]);
        ch.writeInbound(a, b, c);
        assertNull(ch.readOutbound(), "nothing is sent while the upload runs");
        assertEquals(0, a.refCnt() + b.refCnt() + c.refCnt());
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        long total = 0;
        for (ByteBuf out; (out = ch.readOutbound()) != null; ) {
            assertTrue(out.readableBytes() <= 64 * 1024, "written in chunks of at most 64 KiB");
            total += out.readableBytes();
            out.release();
        }
        assertEquals(100_000, total);
        assertFalse(ch.isOpen(), "the server ends the stream after sending");
        ch.finishAndReleaseAll();
    }

    @Test
    void serverClosesTheStreamOnEofBeforeTheEightByteCount() {
        EmbeddedChannel ch = new EmbeddedChannel(new PerfResponder());
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[5]));
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertFalse(ch.isOpen());
        assertNull(ch.readOutbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void serverSendingTheMaximumCountStopsWhenTheClientCloses() throws Exception {
        try (Loopback net = new Loopback(ch -> new PerfResponder())) {
            SocketChannel stream = net.dial();
            AtomicLong received = new AtomicLong();
            stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    received.addAndGet(((ByteBuf) msg).readableBytes());
                    ReferenceCountUtil.release(msg);
                }
            });
            stream.config().setAutoRead(true);
            stream.writeAndFlush(Unpooled.wrappedBuffer(HexFormat.of().parseHex("ffffffffffffffff"))).sync();
            stream.shutdownOutput().sync();
            for (int i = 0; i < 200 && received.get() < 8 * MIB; i++) {
                Thread.sleep(10);
            }
            assertTrue(received.get() >= 8 * MIB, "the server streams 2^64 - 1 bytes without allocating them");
            stream.close().sync();
            assertTrue(net.accepted().closeFuture().await(5, TimeUnit.SECONDS), "the server stops on the closed stream");
        }
    }

    @Test
    void clientFailsWhenTheServerSendsMoreThanAsked() throws Exception {
        try (Loopback net = new Loopback(ch -> new Scripted((ctx, in) -> { }, false) {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof ChannelInputShutdownEvent) {
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[11]));
                }
            }
        })) {
            assertEquals(Reason.TOO_LARGE, failure(new PerfClient(net.dial(), Duration.ofSeconds(5)).run(100, 10)));
        }
    }

    @Test
    void clientFailsWhenTheServerSendsBeforeTheUploadEnded() {
        EmbeddedChannel ch = new EmbeddedChannel();
        PerfClient client = new PerfClient(ch, Duration.ofSeconds(5));
        ByteBuf early = Unpooled.wrappedBuffer(new byte[1]);
        ch.writeInbound(early);
        assertEquals(0, early.refCnt());
        assertFalse(ch.isOpen(), "the stream is closed at once");
        assertEquals(Reason.MALFORMED, ((PerfException) Settled.cause(client.run(100, 10))).reason(),
                "the run reports the earlier failure");
        ch.finishAndReleaseAll();
    }

    @Test
    void clientFailsWhenTheServerEndsEarly() throws Exception {
        try (Loopback net = new Loopback(ch -> new Scripted((ctx, in) -> { }, true))) {
            assertEquals(Reason.CLOSED, failure(new PerfClient(net.dial(), Duration.ofSeconds(5)).run(100, 10)));
        }
    }

    @Test
    void clientTimesOutWhenTheServerNeverAnswers() throws Exception {
        try (Loopback net = new Loopback(ch -> new Scripted((ctx, in) -> { }, false))) {
            assertEquals(Reason.TIMEOUT, failure(new PerfClient(net.dial(), Duration.ofMillis(100)).run(100, 10)));
        }
    }

    @Test
    void clientRejectsNegativeCounts() {
        EmbeddedChannel ch = new EmbeddedChannel();
        PerfClient client = new PerfClient(ch, Duration.ofSeconds(1));
        assertThrows(IllegalArgumentException.class, () -> client.run(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> client.run(0, -1));
        ch.finishAndReleaseAll();
    }
}
