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
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.CompletableFuture;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PingTest {
    private static byte[] payload(int first) {
        byte[] b = new byte[32];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (first + i);
        }
        return b;
    }

    private static byte[] drain(ByteBuf buf) {
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void pinsPayloadSizeAndProtocolId() {
        assertEquals(32, PingResponder.PAYLOAD_BYTES);
        assertEquals("/ipfs/ping/1.0.0", ProtocolIds.PING);
    }

    @Test
    void responderEchoesExactly32BytesReassembledFromPartialReads() {
        EmbeddedChannel ch = new EmbeddedChannel(new PingResponder());
        byte[] p = payload(1);
        ByteBuf first = Unpooled.wrappedBuffer(p, 0, 10);
        ch.writeInbound(first);
        assertNull(ch.readOutbound(), "nothing is echoed before 32 bytes arrived");
        ByteBuf rest = Unpooled.buffer().writeBytes(p, 10, 22).writeBytes(payload(100), 0, 5);
        ch.writeInbound(rest);
        assertArrayEquals(p, drain(ch.readOutbound()));
        assertNull(ch.readOutbound(), "the 5 bytes of the next ping are held back");
        assertEquals(0, first.refCnt());
        assertEquals(0, rest.refCnt());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void responderEchoesSeveralPingsFromOneRead() {
        EmbeddedChannel ch = new EmbeddedChannel(new PingResponder());
        ch.writeInbound(Unpooled.buffer().writeBytes(payload(0)).writeBytes(payload(50)).writeBytes(payload(99)));
        assertArrayEquals(payload(0), drain(ch.readOutbound()));
        assertArrayEquals(payload(50), drain(ch.readOutbound()));
        assertArrayEquals(payload(99), drain(ch.readOutbound()));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void responderClosesTheStreamAfterTheRemoteHalfCloses() {
        EmbeddedChannel ch = new EmbeddedChannel(new PingResponder());
        ch.writeInbound(Unpooled.wrappedBuffer(payload(3)));
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertArrayEquals(payload(3), drain(ch.readOutbound()));
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void responderClosesAnIdleStream() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new PingResponder(Duration.ofMillis(30)));
        ch.advanceTimeBy(29, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "not before the idle timeout");
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void responderTurnsAutoReadOff() {
        EmbeddedChannel ch = new EmbeddedChannel(new PingResponder());
        assertFalse(ch.config().isAutoRead());
        ch.finishAndReleaseAll();
    }

    @Test
    void clientCompletesWhenTheSame32BytesComeBack() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        PingClient client = new PingClient(ch, Duration.ofSeconds(5));
        CompletableFuture<Long> rtt = client.ping(payload(7));
        assertArrayEquals(payload(7), drain(ch.readOutbound()));
        assertFalse(rtt.isDone());
        ch.writeInbound(Unpooled.wrappedBuffer(payload(7), 0, 20));
        assertFalse(rtt.isDone());
        ch.writeInbound(Unpooled.wrappedBuffer(payload(7), 20, 12));
        assertTrue(Settled.succeeded(rtt));
        assertTrue(Settled.value(rtt) >= 0);
        assertTrue(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void clientFailsWithMismatchWhenOtherBytesComeBack() {
        EmbeddedChannel ch = new EmbeddedChannel();
        PingClient client = new PingClient(ch, Duration.ofSeconds(5));
        CompletableFuture<Long> rtt = client.ping(payload(7));
        ReferenceCountUtil.release(ch.readOutbound());
        byte[] wrong = payload(7);
        wrong[31] ^= 1;
        ch.writeInbound(Unpooled.wrappedBuffer(wrong));
        PingException e = assertInstanceOf(PingException.class, Settled.cause(rtt));
        assertEquals(Reason.MISMATCH, e.reason());
        assertFalse(ch.isOpen(), "a failed ping closes the stream");
        CompletableFuture<Long> next = client.ping();
        assertEquals(Reason.CLOSED, ((PingException) Settled.cause(next)).reason());
        ch.finishAndReleaseAll();
    }

    @Test
    void clientFailsWhenMoreThan32BytesComeBack() {
        EmbeddedChannel ch = new EmbeddedChannel();
        PingClient client = new PingClient(ch, Duration.ofSeconds(5));
        CompletableFuture<Long> rtt = client.ping(payload(7));
        ReferenceCountUtil.release(ch.readOutbound());
        ch.writeInbound(Unpooled.buffer().writeBytes(payload(7)).writeByte(0));
        assertEquals(Reason.TOO_LARGE, ((PingException) Settled.cause(rtt)).reason());
        ch.finishAndReleaseAll();
    }

    @Test
    void clientRejectsASecondPingWhileOneIsInFlight() {
        EmbeddedChannel ch = new EmbeddedChannel();
        PingClient client = new PingClient(ch, Duration.ofSeconds(5));
        CompletableFuture<Long> first = client.ping(payload(1));
        CompletableFuture<Long> second = client.ping(payload(2));
        assertEquals(Reason.ILLEGAL_STATE, ((PingException) Settled.cause(second)).reason());
        ch.writeInbound(Unpooled.wrappedBuffer(drain(ch.readOutbound())));
        assertTrue(Settled.succeeded(first));
        assertNull(ch.readOutbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void clientFailsWithClosedWhenTheResponderHalfCloses() {
        EmbeddedChannel ch = new EmbeddedChannel();
        PingClient client = new PingClient(ch, Duration.ofSeconds(5));
        CompletableFuture<Long> rtt = client.ping(payload(1));
        ReferenceCountUtil.release(ch.readOutbound());
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals(Reason.CLOSED, ((PingException) Settled.cause(rtt)).reason());
        ch.finishAndReleaseAll();
    }

    @Test
    void clientTimesOutWhenNoAnswerComes() throws Exception {
        try (Loopback net = new Loopback(ch -> new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg); // a responder that never answers
            }
        })) {
            SocketChannel stream = net.dial();
            PingClient client = new PingClient(stream, Duration.ofMillis(100));
            ExecutionException e = assertThrows(ExecutionException.class, () -> client.ping().get(5, TimeUnit.SECONDS));
            assertEquals(Reason.TIMEOUT, assertInstanceOf(PingException.class, e.getCause()).reason());
            assertTrue(stream.closeFuture().await(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void severalPingsRunOneAfterAnotherOverLoopbackTcp() throws Exception {
        try (Loopback net = new Loopback(ch -> new PingResponder())) {
            SocketChannel stream = net.dial();
            PingClient client = new PingClient(stream, Duration.ofSeconds(5));
            for (int i : IntStream.range(0, 5).toArray()) {
                long rtt = client.ping().get(5, TimeUnit.SECONDS);
                assertTrue(rtt > 0, "ping " + i);
            }
            SocketChannel listenerSide = net.accepted();
            client.close().await(5, TimeUnit.SECONDS);
            assertFalse(stream.isOpen());
            assertTrue(listenerSide.closeFuture().await(5, TimeUnit.SECONDS), "the responder ends its side");
        }
    }
}
