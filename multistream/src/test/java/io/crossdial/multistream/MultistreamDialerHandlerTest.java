package io.crossdial.multistream;

import static io.crossdial.multistream.TestSupport.HEADER_HEX;
import static io.crossdial.multistream.TestSupport.NA_HEX;
import static io.crossdial.multistream.TestSupport.NOISE_HEX;
import static io.crossdial.multistream.TestSupport.TLS_HEX;
import static io.crossdial.multistream.TestSupport.hex;
import static io.crossdial.multistream.TestSupport.readOutboundHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.multistream.TestSupport.Outcome;
import io.crossdial.multistream.TestSupport.Recorder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MultistreamDialerHandlerTest {
    private static final long TIMEOUT_MILLIS = 10_000;

    private final Recorder next = new Recorder();
    private final Recorder tail = new Recorder();
    private final Outcome outcome = new Outcome(next);
    private EmbeddedChannel ch;

    private MultistreamDialerHandler dialer(String... protocols) {
        MultistreamDialerHandler handler = new MultistreamDialerHandler(List.of(protocols), TIMEOUT_MILLIS, outcome);
        ch = new EmbeddedChannel(handler, tail);
        return handler;
    }

    @AfterEach
    void finish() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void writesHeaderAndFirstProposalInOneWriteWhenActive() {
        dialer("/noise", "/tls/1.0.0");
        assertEquals(HEADER_HEX + NOISE_HEX, readOutboundHex(ch));
        assertEquals("132f6d756c746973747265616d2f312e302e300a" + "072f6e6f6973650a", HEADER_HEX + NOISE_HEX);
        assertNull(readOutboundHex(ch));
    }

    @Test
    void startsWhenAddedToAnAlreadyActiveChannel() {
        ch = new EmbeddedChannel(tail);
        ch.pipeline().addFirst(new MultistreamDialerHandler(List.of("/noise"), TIMEOUT_MILLIS, outcome));
        assertEquals(HEADER_HEX + NOISE_HEX, readOutboundHex(ch));
        assertNull(readOutboundHex(ch));
    }

    @Test
    void negotiatesOnEchoByteForByte() {
        MultistreamDialerHandler handler = dialer("/noise");
        assertEquals(HEADER_HEX + NOISE_HEX, readOutboundHex(ch));
        ch.writeInbound(hex(HEADER_HEX + NOISE_HEX));
        assertEquals("/noise", outcome.protocol);
        assertEquals(1, outcome.negotiatedCalls);
        assertTrue(outcome.handlerStillInPipeline, "listener must run before the handler removes itself");
        assertEquals(MultistreamDialerHandler.State.DONE, handler.state());
        assertNull(ch.pipeline().get(MultistreamDialerHandler.class));
        assertSame(next, ch.pipeline().get("next"));
        assertNull(readOutboundHex(ch));
        assertTrue(ch.isOpen());
        assertTrue(tail.exceptions.isEmpty());
    }

    @Test
    void handlesListenerHeaderAndEchoArrivingInSeparateReads() {
        dialer("/noise");
        readOutboundHex(ch);
        ch.writeInbound(hex(HEADER_HEX.substring(0, 10)));
        ch.writeInbound(hex(HEADER_HEX.substring(10)));
        assertNull(outcome.protocol);
        ch.writeInbound(hex(NOISE_HEX));
        assertEquals("/noise", outcome.protocol);
    }

    @Test
    void proposesNextProtocolAfterNa() {
        dialer("/tls/1.0.0", "/noise");
        assertEquals(HEADER_HEX + TLS_HEX, readOutboundHex(ch));
        ch.writeInbound(hex(HEADER_HEX + NA_HEX));
        assertEquals(NOISE_HEX, readOutboundHex(ch));
        assertNull(outcome.protocol);
        ch.writeInbound(hex(NOISE_HEX));
        assertEquals("/noise", outcome.protocol);
        assertNull(readOutboundHex(ch));
    }

    @Test
    void failsWhenListenerRejectsEveryProposal() {
        dialer("/tls/1.0.0", "/noise");
        readOutboundHex(ch);
        ch.writeInbound(hex(HEADER_HEX + NA_HEX));
        assertEquals(NOISE_HEX, readOutboundHex(ch));
        ch.writeInbound(hex(NA_HEX));
        MultistreamException e = tail.onlyFailure();
        assertEquals(MultistreamException.Reason.NO_PROTOCOL_IN_COMMON, e.reason());
        assertEquals("multistream-select: no protocol in common: proposed [/tls/1.0.0, /noise]", e.getMessage());
        assertSame(e, outcome.failure);
        assertEquals(0, outcome.negotiatedCalls);
        assertFalse(ch.isOpen());
    }

    @Test
    void failsOnEchoOfAnotherProtocol() {
        dialer("/noise");
        readOutboundHex(ch);
        ch.writeInbound(hex(HEADER_HEX + TLS_HEX));
        assertEquals(MultistreamException.Reason.UNEXPECTED_MESSAGE, tail.onlyFailure().reason());
        assertFalse(ch.isOpen());
    }

    @Test
    void failsWhenFirstMessageIsNotTheHeader() {
        MultistreamDialerHandler handler = dialer("/noise");
        readOutboundHex(ch);
        ch.writeInbound(hex(NOISE_HEX + HEADER_HEX));
        MultistreamException e = tail.onlyFailure();
        assertEquals(MultistreamException.Reason.UNEXPECTED_MESSAGE, e.reason());
        assertTrue(e.getMessage().startsWith("multistream-select: expected the header"), e.getMessage());
        assertEquals(MultistreamDialerHandler.State.FAILED, handler.state());
        assertEquals(0, outcome.negotiatedCalls);
        assertFalse(ch.isOpen());
    }

    @Test
    void failsOnMissingNewline() {
        dialer("/noise");
        readOutboundHex(ch);
        ch.writeInbound(hex(HEADER_HEX + "07 2f6e6f69736520"));
        assertEquals(MultistreamException.Reason.MALFORMED_MESSAGE, tail.onlyFailure().reason());
        assertFalse(ch.isOpen());
    }

    @Test
    void rejects2000ByteMessageBeforeItsPayloadArrives() {
        dialer("/noise");
        readOutboundHex(ch);
        ByteBuf prefix = hex(HEADER_HEX + "d00f");
        ch.writeInbound(prefix);
        MultistreamException e = tail.onlyFailure();
        assertEquals(MultistreamException.Reason.MESSAGE_TOO_LONG, e.reason());
        assertEquals("multistream-select: message length 2000 exceeds the limit of 1024 bytes", e.getMessage());
        assertEquals(0, prefix.refCnt());
        assertFalse(ch.isOpen());
    }

    @Test
    void failsOnEofDuringNegotiation() {
        dialer("/noise");
        readOutboundHex(ch);
        ch.writeInbound(hex(HEADER_HEX + "07 2f6e"));
        ch.close();
        MultistreamException e = tail.onlyFailure();
        assertEquals(MultistreamException.Reason.CONNECTION_CLOSED, e.reason());
        assertTrue(e.getMessage().startsWith("multistream-select: connection closed during dialer negotiation"));
        assertEquals("", next.receivedText());
        assertEquals(0, tail.received.size(), "partial message must not be forwarded");
    }

    @Test
    void failsOnInputShutdownDuringNegotiation() {
        dialer("/noise");
        readOutboundHex(ch);
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals(MultistreamException.Reason.CONNECTION_CLOSED, tail.onlyFailure().reason());
        assertFalse(ch.isOpen());
    }

    @Test
    void failsOnTimeout() {
        dialer("/noise");
        readOutboundHex(ch);
        ch.writeInbound(hex(HEADER_HEX));
        ch.advanceTimeBy(TIMEOUT_MILLIS / 2, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(tail.exceptions.isEmpty());
        ch.advanceTimeBy(TIMEOUT_MILLIS / 2, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        MultistreamException e = tail.onlyFailure();
        assertEquals(MultistreamException.Reason.TIMEOUT, e.reason());
        assertEquals("multistream-select: dialer negotiation timed out after 10000 ms (AWAIT_RESPONSE)", e.getMessage());
        assertFalse(ch.isOpen());
    }

    @Test
    void cancelsTimeoutOnSuccess() {
        dialer("/noise");
        readOutboundHex(ch);
        ch.writeInbound(hex(HEADER_HEX + NOISE_HEX));
        ch.advanceTimeBy(2 * TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(tail.exceptions.isEmpty());
        assertTrue(ch.isOpen());
    }

    @Test
    void forwardsBytesReadPastTheEchoToTheNextHandler() {
        dialer("/noise");
        readOutboundHex(ch);
        ch.writeInbound(hex(HEADER_HEX + NOISE_HEX + TestSupport.hexOf("hello")));
        assertEquals("hello", next.receivedText());
        ch.writeInbound(hex(TestSupport.hexOf(" world")));
        assertEquals("hello world", next.receivedText());
        assertEquals(0, tail.received.size());
    }

    @Test
    void failsWhenNegotiationListenerThrows() {
        ch = new EmbeddedChannel(new MultistreamDialerHandler(List.of("/noise"), TIMEOUT_MILLIS, (ctx, id) -> {
            throw new IllegalStateException("boom");
        }), tail);
        readOutboundHex(ch);
        ch.writeInbound(hex(HEADER_HEX + NOISE_HEX + TestSupport.hexOf("hello")));
        MultistreamException e = tail.onlyFailure();
        assertEquals(MultistreamException.Reason.LOCAL_FAILURE, e.reason());
        assertEquals(0, tail.received.size());
        assertFalse(ch.isOpen());
    }

    @Test
    void rejectsInvalidConfiguration() {
        assertThrows(IllegalArgumentException.class,
                () -> new MultistreamDialerHandler(List.of(), TIMEOUT_MILLIS, outcome));
        assertThrows(IllegalArgumentException.class,
                () -> new MultistreamDialerHandler(List.of("/noise"), 0, outcome));
        assertThrows(IllegalArgumentException.class,
                () -> new MultistreamDialerHandler(List.of("noise"), TIMEOUT_MILLIS, outcome));
        assertThrows(NullPointerException.class,
                () -> new MultistreamDialerHandler(List.of("/noise"), TIMEOUT_MILLIS, null));
    }
}
