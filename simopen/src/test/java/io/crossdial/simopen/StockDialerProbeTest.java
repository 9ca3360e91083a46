package io.crossdial.simopen;

import static io.crossdial.simopen.SimopenTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.spi.Role;
import io.crossdial.simopen.SimopenTestSupport.Tail;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The probe that tells a listener (silent until our first handshake message) from a stock dialer (whose first
 * handshake message arrives unasked). The "security" handler the decision installs is the tail here.
 */
class StockDialerProbeTest {
    /** Noise XX message 1 of a stock initiator: length 0x0020, a 32-byte ephemeral key (made-up bytes). */
    private static final String NOISE_MESSAGE_1_HEX = "0020" + "11".repeat(32);

    private final Tail tail = new Tail();
    private final List<Role> decisions = new ArrayList<>();
    private final List<ByteBuf> handedOut = new ArrayList<>();
    private EmbeddedChannel ch;

    private void probe(long holdMillis) {
        ch = new EmbeddedChannel();
        ch.freezeTime(); // the hold runs on the channel's clock only: real time under load must not move it
        ch.pipeline().addLast("probe", new StockDialerProbe(holdMillis, this::decided));
    }

    private void decided(ChannelHandlerContext ctx, Role role, long waitedNanos) {
        assertTrue(waitedNanos >= 0);
        decisions.add(role);
        ctx.pipeline().addAfter(ctx.name(), "security", tail);
    }

    private void read(String hexBytes) {
        ByteBuf buf = hex(hexBytes);
        handedOut.add(buf);
        ch.writeInbound(buf);
    }

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
        for (ByteBuf b : handedOut) {
            assertEquals(0, b.refCnt(), "every inbound buffer released");
        }
    }

    @Test
    void aHandshakeMessageBeforeOursMakesThisSideTheResponderAndReachesTheSecurityHandler() {
        probe(200);
        read(NOISE_MESSAGE_1_HEX);
        assertEquals(List.of(Role.RESPONDER), decisions);
        assertNull(ch.pipeline().get(StockDialerProbe.class), "the probe removed itself");
        assertEquals(NOISE_MESSAGE_1_HEX, tail.receivedHex());
        assertNull(ch.readOutbound(), "the probe writes nothing");
    }

    @Test
    void silenceForTheHoldMakesThisSideTheInitiator() {
        probe(30);
        ch.advanceTimeBy(29, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(List.of(), decisions, "not before the hold has passed");
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(List.of(Role.INITIATOR), decisions);
        assertNull(ch.pipeline().get(StockDialerProbe.class));
        // a message 1 that comes later goes to the (initiator's) security handler, which fails on it
        read(NOISE_MESSAGE_1_HEX);
        assertEquals(List.of(Role.INITIATOR), decisions);
        assertEquals(NOISE_MESSAGE_1_HEX, tail.receivedHex());
    }

    @Test
    void withoutAHoldItDecidesInitiatorAtTheNextTurnOfTheEventLoop() {
        probe(0);
        assertEquals(List.of(), decisions);
        ch.runPendingTasks();
        assertEquals(List.of(Role.INITIATOR), decisions);
    }

    @Test
    void withoutAHoldBytesReadPastTheEchoStillMakeItTheResponder() {
        // A lazy dialer's message 1 came in the segment of its proposal: the multistream dialer forwards it to
        // the probe when it removes itself, in the same turn of the event loop that installed the probe.
        ch = new EmbeddedChannel();
        ch.pipeline().addLast("multistream", new ByteToMessageDecoder() {
            @Override
            protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
                in.skipBytes(3); // "the echo"
                ctx.pipeline().addAfter(ctx.name(), "probe", new StockDialerProbe(0, StockDialerProbeTest.this::decided));
                ctx.pipeline().remove(this);
            }
        });
        read("aabbcc" + NOISE_MESSAGE_1_HEX);
        assertEquals(List.of(Role.RESPONDER), decisions);
        assertEquals(NOISE_MESSAGE_1_HEX, tail.receivedHex());
        ch.runPendingTasks();
        assertEquals(List.of(Role.RESPONDER), decisions, "decided once");
    }

    @Test
    void aClosedChannelDecidesNothing() {
        probe(20);
        ch.close();
        ch.advanceTimeBy(30, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(List.of(), decisions);
    }

    @Test
    void aNegativeHoldIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new StockDialerProbe(-1, (c, r, n) -> { }));
        ch = new EmbeddedChannel();
    }

    @Test
    void theHoldTimerIsCancelledByTheDecision() {
        probe(TimeUnit.SECONDS.toMillis(30));
        read(NOISE_MESSAGE_1_HEX);
        assertEquals(List.of(Role.RESPONDER), decisions);
        ch.runPendingTasks();
        assertEquals(-1, ch.runScheduledPendingTasks(), "no scheduled task left");
    }
}
