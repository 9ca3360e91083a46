package io.crossdial.host.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.host.protocol.StreamProtocolException.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EchoTest {
    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private static Reason failure(java.util.concurrent.CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        return assertInstanceOf(EchoException.class, e.getCause()).reason();
    }

    @Test
    void pinsProtocolId() {
        assertEquals("/echo/1.0.0", ProtocolIds.ECHO);
    }

    @Test
    void responderWritesBackTheBuffersItReads() {
        EmbeddedChannel ch = new EmbeddedChannel(new EchoResponder());
        assertFalse(ch.config().isAutoRead(), "reads are requested on demand");
        ByteBuf in = Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII);
        ch.writeInbound(in);
        ByteBuf out = ch.readOutbound();
        assertSame(in, out, "the read buffer itself is handed to the outbound side");
        assertEquals("hello", out.toString(StandardCharsets.US_ASCII));
        out.release();
        assertEquals(0, in.refCnt());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void responderEndsTheStreamAfterTheRemoteHalfClosesAndTheEchoIsWritten() {
        EmbeddedChannel ch = new EmbeddedChannel(new EchoResponder());
        ch.writeInbound(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII));
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        ByteBuf out = ch.readOutbound();
        assertEquals("abc", out.toString(StandardCharsets.US_ASCII));
        out.release();
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void echoesOneMebibyteByteForByteOverLoopbackTcp() throws Exception {
        try (Loopback net = new Loopback(ch -> new EchoResponder())) {
            SocketChannel stream = net.dial();
            byte[] data = random(1 << 20);
            byte[] echoed = new EchoClient(stream, Duration.ofSeconds(10)).echo(data).get(30, TimeUnit.SECONDS);
            assertArrayEquals(data, echoed);
            assertTrue(net.accepted().closeFuture().await(5, TimeUnit.SECONDS), "the responder closes its side");
            assertTrue(stream.closeFuture().await(5, TimeUnit.SECONDS), "the client closes its side");
        }
    }

    @Test
    void echoesAnEmptyPayload() throws Exception {
        try (Loopback net = new Loopback(ch -> new EchoResponder())) {
            byte[] echoed = new EchoClient(net.dial(), Duration.ofSeconds(5)).echo(new byte[0]).get(10, TimeUnit.SECONDS);
            assertEquals(0, echoed.length);
        }
    }

    @Test
    void responderStopsReadingWhileTheRemoteDoesNotReadItsEcho() throws Exception {
        try (Loopback net = new Loopback(ch -> new EchoResponder())) {
            SocketChannel stream = net.dial();
            stream.config().setAutoRead(false); // the dialer does not read its echo
            SocketChannel listenerSide = net.accepted();
            ByteBuf chunk = Unpooled.directBuffer(64 * 1024).writeZero(64 * 1024);
            long total = 64L << 20;
            AtomicLong accepted = new AtomicLong();
            stream.eventLoop().submit(() -> {
                for (long sent = 0; sent < total; sent += chunk.capacity()) {
                    stream.write(chunk.retainedDuplicate())
                            .addListener(f -> accepted.addAndGet(f.isSuccess() ? chunk.capacity() : 0));
                }
                stream.flush();
            }).sync();
            chunk.release();
            // Let both sides run until the pipes are full.
            Thread.sleep(500);
            long pendingAtResponder = listenerSide.eventLoop()
                    .submit(() -> listenerSide.unsafe().outboundBuffer().totalPendingWriteBytes()).get();
            assertTrue(pendingAtResponder < (4 << 20),
                    "the responder queued " + pendingAtResponder + " bytes instead of pausing its reads");
            assertTrue(accepted.get() < total, "the stalled responder cannot have taken all " + total + " bytes");
            // Now read everything: the echo completes.
            AtomicLong echoed = new AtomicLong();
            stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    echoed.addAndGet(((ByteBuf) msg).readableBytes());
                    ReferenceCountUtil.release(msg);
                }
            });
            stream.config().setAutoRead(true);
            for (int i = 0; i < 200 && echoed.get() < total; i++) {
                Thread.sleep(50);
            }
            assertEquals(total, echoed.get());
            stream.close().sync();
        }
    }

    @Test
    void clientFailsWithMismatchWhenAByteComesBackChanged() throws Exception {
        try (Loopback net = new Loopback(ch -> new Scripted((ctx, in) -> {
            ByteBuf copy = in.copy();
            copy.setByte(0, copy.getByte(0) ^ 0x01);
            ctx.writeAndFlush(copy);
        }, true))) {
            assertEquals(Reason.MISMATCH, failure(new EchoClient(net.dial(), Duration.ofSeconds(5)).echo(random(5000))));
        }
    }

    @Test
    void clientFailsWhenMoreBytesComeBackThanWereSent() throws Exception {
        try (Loopback net = new Loopback(ch -> new Scripted((ctx, in) -> {
            ctx.write(in.retainedDuplicate());
            ctx.writeAndFlush(in.retainedDuplicate());
        }, true))) {
            assertEquals(Reason.TOO_LARGE, failure(new EchoClient(net.dial(), Duration.ofSeconds(5)).echo(random(100))));
        }
    }

    @Test
    void clientFailsWhenTheResponderEndsEarly() throws Exception {
        try (Loopback net = new Loopback(ch -> new Scripted((ctx, in) -> { }, true))) {
            assertEquals(Reason.CLOSED, failure(new EchoClient(net.dial(), Duration.ofSeconds(5)).echo(random(100))));
        }
    }

    @Test
    void clientTimesOutWhenTheResponderNeverAnswers() throws Exception {
        try (Loopback net = new Loopback(ch -> new Scripted((ctx, in) -> { }, false))) {
            SocketChannel stream = net.dial();
            assertEquals(Reason.TIMEOUT, failure(new EchoClient(stream, Duration.ofMillis(100)).echo(random(100))));
            assertTrue(stream.closeFuture().await(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void clientRunsOneExchangeOnly() throws Exception {
        try (Loopback net = new Loopback(ch -> new EchoResponder())) {
            EchoClient client = new EchoClient(net.dial(), Duration.ofSeconds(5));
            client.echo(random(10));
            assertEquals(Reason.ILLEGAL_STATE, failure(client.echo(random(10))));
        }
    }

    @Test
    void responderClosesAnIdleStream() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new EchoResponder(Duration.ofMillis(30)));
        ch.advanceTimeBy(29, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "not before the idle timeout");
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
        assertNull(ch.readOutbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void progressPushesTheIdleTimeoutBack() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new EchoResponder(Duration.ofMillis(30)));
        ch.advanceTimeBy(20, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
        ByteBuf echoed = ch.readOutbound();
        assertEquals(3, echoed.readableBytes());
        echoed.release();
        ch.advanceTimeBy(10, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "the first check, 30 ms after the start, finds the bytes of 10 ms ago");
        ch.advanceTimeBy(19, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "29 ms after the last bytes: not idle yet");
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen(), "30 ms after the last bytes");
        ch.finishAndReleaseAll();
    }

    @Test
    void clientCopiesThePayloadSoTheCallerMayReuseItsArray() throws Exception {
        try (Loopback net = new Loopback(ch -> new EchoResponder())) {
            byte[] data = random(1000);
            byte[] expected = data.clone();
            var future = new EchoClient(net.dial(), Duration.ofSeconds(5)).echo(data);
            java.util.Arrays.fill(data, (byte) 0); // the caller may reuse its array at once
            assertArrayEquals(expected, future.get(10, TimeUnit.SECONDS));
        }
    }
}
