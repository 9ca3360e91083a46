package io.crossdial.multistream;

import static io.crossdial.multistream.TestSupport.HEADER_HEX;
import static io.crossdial.multistream.TestSupport.LS_HEX;
import static io.crossdial.multistream.TestSupport.NA_HEX;
import static io.crossdial.multistream.TestSupport.NOISE_HEX;
import static io.crossdial.multistream.TestSupport.TLS_HEX;
import static io.crossdial.multistream.TestSupport.hex;
import static io.crossdial.multistream.TestSupport.hexOf;
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
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MultistreamListenerHandlerTest {
    private static final long TIMEOUT_MILLIS = 10_000;
    private static final String YAMUX = "/yamux/1.0.0";

    private final Recorder next = new Recorder();
    private final Recorder tail = new Recorder();
    private final Outcome outcome = new Outcome(next);
    private EmbeddedChannel ch;

    private MultistreamListenerHandler listener(String... supported) {
        MultistreamListenerHandler handler =
                new MultistreamListenerHandler(List.of(supported), TIMEOUT_MILLIS, outcome);
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
    void rejectsAnInvalidLocalProtocolIdAsBadConfiguration() {
        assertThrows(IllegalArgumentException.class,
                () -> new MultistreamListenerHandler(List.of("/noise", "noise"), 10_000, outcome));
        assertThrows(IllegalArgumentException.class,
                () -> new MultistreamListenerHandler(List.of("/a\nb"), 10_000, outcome));
        assertThrows(IllegalArgumentException.class,
                () -> MultistreamSelect.checkProtocolIds(List.of("/" + "x".repeat(MultistreamSelect.MAX_MESSAGE_BYTES))));
    }

    @Test
    void writesNothingBeforeTheDialerHeader() {
        listener("/noise");
        assertNull(readOutboundHex(ch));
    }

    @Test
    void answersPipelinedHeaderAndProposalInOneWriteByteForByte() {
        MultistreamListenerHandler handler = listener("/noise");
        ch.writeInbound(hex(HEADER_HEX + NOISE_HEX));
        assertEquals("132f6d756c746973747265616d2f312e302e300a" + "072f6e6f6973650a", readOutboundHex(ch));
        assertNull(readOutboundHex(ch));
        assertEquals("/noise", outcome.protocol);
        assertEquals(1, outcome.negotiatedCalls);
        assertTrue(outcome.handlerStillInPipeline);
        assertEquals(MultistreamListenerHandler.State.DONE, handler.state());
        assertNull(ch.pipeline().get(MultistreamListenerHandler.class));
        assertSame(next, ch.pipeline().get("next"));
        assertTrue(ch.isOpen());
        assertTrue(tail.exceptions.isEmpty());
    }

    @Test
    void answersHeaderThenProposalInSeparateReads() {
        listener("/noise");
        ch.writeInbound(hex(HEADER_HEX));
        assertEquals(HEADER_HEX, readOutboundHex(ch));
        ch.writeInbound(hex(NOISE_HEX));
        assertEquals(NOISE_HEX, readOutboundHex(ch));
        assertEquals("/noise", outcome.protocol);
    }

    @Test
    void answersNaThenEchoesSecondProposal() {
        listener("/noise");
        ch.writeInbound(hex(HEADER_HEX + TLS_HEX));
        assertEquals(HEADER_HEX + NA_HEX, readOutboundHex(ch));
        assertNull(outcome.protocol);
        ch.writeInbound(hex(NOISE_HEX));
        assertEquals(NOISE_HEX, readOutboundHex(ch));
        assertEquals("/noise", outcome.protocol);
    }

    @Test
    void answersLsWithNestedListThenNegotiates() {
        listener("/noise", YAMUX);
        ch.writeInbound(hex(HEADER_HEX + LS_HEX));
        assertEquals(HEADER_HEX + "17" + "072f6e6f6973650a" + "0d2f79616d75782f312e302e300a" + "0a",
                readOutboundHex(ch));
        ch.writeInbound(hex("0d2f79616d75782f312e302e300a"));
        assertEquals("0d2f79616d75782f312e302e300a", readOutboundHex(ch));
        assertEquals(YAMUX, outcome.protocol);
    }

    @Test
    void forwardsBytesReadPastTheProposalToTheNextHandler() {
        listener("/noise");
        ByteBuf in = hex(HEADER_HEX + NOISE_HEX + hexOf("hello"));
        ch.writeInbound(in);
        assertEquals(HEADER_HEX + NOISE_HEX, readOutboundHex(ch));
        assertEquals("hello", next.receivedText());
        assertEquals(0, tail.received.size());
        assertEquals(0, in.refCnt());
    }

    @Test
    void usesPredicateAndSupplierOfARegistry() {
        ch = new EmbeddedChannel(new MultistreamListenerHandler(id -> id.startsWith("/ipfs/"),
                () -> List.of("/ipfs/ping/1.0.0"), TIMEOUT_MILLIS, outcome), tail);
        ch.writeInbound(hex(HEADER_HEX + LS_HEX + NOISE_HEX));
        assertEquals(HEADER_HEX + "13" + "112f697066732f70696e672f312e302e300a" + "0a" + NA_HEX, readOutboundHex(ch));
        ch.writeInbound(hex("112f697066732f70696e672f312e302e300a"));
        assertEquals("/ipfs/ping/1.0.0", outcome.protocol);
    }

    @Test
    void answersRepeatedHeaderWithNa() {
        listener("/noise");
        ch.writeInbound(hex(HEADER_HEX + HEADER_HEX));
        assertEquals(HEADER_HEX + NA_HEX, readOutboundHex(ch));
        assertTrue(ch.isOpen());
    }

    @Test
    void failsWithoutWritingWhenFirstMessageIsNotTheHeader() {
        MultistreamListenerHandler handler = listener("/noise");
        ch.writeInbound(hex(NOISE_HEX));
        MultistreamException e = tail.onlyFailure();
        assertEquals(MultistreamException.Reason.UNEXPECTED_MESSAGE, e.reason());
        assertEquals("multistream-select: expected the header /multistream/1.0.0, got protocol /noise", e.getMessage());
        assertSame(e, outcome.failure);
        assertEquals(MultistreamListenerHandler.State.FAILED, handler.state());
        assertNull(readOutboundHex(ch));
        assertFalse(ch.isOpen());
    }

    @Test
    void failsOnMissingNewline() {
        listener("/noise");
        ch.writeInbound(hex(HEADER_HEX + "07 2f6e6f69736520"));
        assertEquals(MultistreamException.Reason.MALFORMED_MESSAGE, tail.onlyFailure().reason());
        assertNull(readOutboundHex(ch), "the queued header is dropped, not sent, on failure");
        assertFalse(ch.isOpen());
    }

    @Test
    void failsOnNaInPlaceOfAProposal() {
        listener("/noise");
        ch.writeInbound(hex(HEADER_HEX + NA_HEX));
        assertEquals(MultistreamException.Reason.UNEXPECTED_MESSAGE, tail.onlyFailure().reason());
    }

    @Test
    void failsOnProposalWithoutLeadingSlash() {
        listener("/noise");
        ch.writeInbound(hex(HEADER_HEX + "0a" + hexOf("select:42\n")));
        assertEquals(MultistreamException.Reason.UNEXPECTED_MESSAGE, tail.onlyFailure().reason());
    }

    @Test
    void rejects2000ByteMessageBeforeAllocatingIt() {
        listener("/noise");
        ByteBuf in = hex(HEADER_HEX + "d00f"); // length 2000, payload never sent
        ch.writeInbound(in);
        MultistreamException e = tail.onlyFailure();
        assertEquals(MultistreamException.Reason.MESSAGE_TOO_LONG, e.reason());
        assertEquals("multistream-select: message length 2000 exceeds the limit of 1024 bytes", e.getMessage());
        assertEquals(0, in.refCnt());
        assertFalse(ch.isOpen());
    }

    @Test
    void rejectsTenByteVarint() {
        listener("/noise");
        ch.writeInbound(hex("ff ff ff ff ff ff ff ff ff 01"));
        assertEquals(MultistreamException.Reason.MESSAGE_TOO_LONG, tail.onlyFailure().reason());
        assertFalse(ch.isOpen());
    }

    @Test
    void rejectsMoreThanThousandProposals() {
        listener("/noise");
        ByteBuf in = Unpooled.buffer();
        in.writeBytes(hex(HEADER_HEX));
        for (int i = 0; i <= MultistreamSelect.MAX_PROPOSALS; i++) {
            in.writeBytes(hex(TLS_HEX));
        }
        ch.writeInbound(in);
        MultistreamException e = tail.onlyFailure();
        assertEquals(MultistreamException.Reason.TOO_MANY_PROPOSALS, e.reason());
        assertEquals(0, in.refCnt());
        assertFalse(ch.isOpen());
    }

    @Test
    void failsOnEofDuringNegotiation() {
        listener("/noise");
        ch.writeInbound(hex(HEADER_HEX + "07 2f6e"));
        assertEquals(HEADER_HEX, readOutboundHex(ch));
        ch.close();
        MultistreamException e = tail.onlyFailure();
        assertEquals(MultistreamException.Reason.CONNECTION_CLOSED, e.reason());
        assertEquals("multistream-select: connection closed during listener negotiation (AWAIT_PROPOSAL)",
                e.getMessage());
        assertEquals(0, tail.received.size(), "partial message must not be forwarded");
    }

    @Test
    void failsOnInputShutdownDuringNegotiation() {
        listener("/noise");
        ch.writeInbound(hex(HEADER_HEX));
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals(MultistreamException.Reason.CONNECTION_CLOSED, tail.onlyFailure().reason());
        assertFalse(ch.isOpen());
    }

    /** A reset connection (fault injection, specs/reliability.md) is the stage's own typed failure. */
    @Test
    void failsWithIoErrorWhenTheConnectionIsReset() {
        listener("/noise");
        ch.writeInbound(hex(HEADER_HEX));
        assertEquals(HEADER_HEX, readOutboundHex(ch));
        java.io.IOException reset = new java.net.SocketException("Connection reset");
        ch.pipeline().fireExceptionCaught(reset);
        MultistreamException e = tail.onlyFailure();
        assertEquals(MultistreamException.Reason.IO_ERROR, e.reason());
        assertEquals("multistream-select: listener negotiation failed (AWAIT_PROPOSAL): "
                + "java.net.SocketException: Connection reset", e.getMessage());
        assertSame(reset, e.getCause());
        assertEquals(1, outcome.failedCalls);
        assertFalse(ch.isOpen());
    }

    @Test
    void failsWithIoErrorWhenWritingTheAnswerFailsWithAnIoException() {
        ch = new EmbeddedChannel(new io.netty.channel.ChannelOutboundHandlerAdapter() {
            @Override
            public void write(io.netty.channel.ChannelHandlerContext ctx, Object msg,
                    io.netty.channel.ChannelPromise promise) {
                io.netty.util.ReferenceCountUtil.release(msg);
                promise.setFailure(new java.io.IOException("Connection reset by peer"));
            }
        }, new MultistreamListenerHandler(List.of("/noise"), TIMEOUT_MILLIS, outcome), tail);
        ch.writeInbound(hex(HEADER_HEX));
        MultistreamException e = tail.onlyFailure();
        assertEquals(MultistreamException.Reason.IO_ERROR, e.reason());
        assertEquals("multistream-select: listener failed to write a negotiation message: "
                + "java.io.IOException: Connection reset by peer", e.getMessage());
        assertFalse(ch.isOpen());
    }

    @Test
    void failsOnTimeoutWhenDialerSendsNothing() {
        listener("/noise");
        ch.advanceTimeBy(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        MultistreamException e = tail.onlyFailure();
        assertEquals(MultistreamException.Reason.TIMEOUT, e.reason());
        assertEquals("multistream-select: listener negotiation timed out after 10000 ms (AWAIT_HEADER)",
                e.getMessage());
        assertEquals(1, outcome.failedCalls);
        assertFalse(ch.isOpen());
    }

    @Test
    void cancelsTimeoutWhenRemovedFromThePipeline() {
        MultistreamListenerHandler handler = listener("/noise");
        ch.pipeline().remove(handler);
        ch.advanceTimeBy(2 * TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(tail.exceptions.isEmpty());
        assertTrue(ch.isOpen());
    }

    @Test
    void failsWhenPredicateThrows() {
        ch = new EmbeddedChannel(new MultistreamListenerHandler(id -> {
            throw new IllegalStateException("registry down");
        }, List::of, TIMEOUT_MILLIS, outcome), tail);
        ch.writeInbound(hex(HEADER_HEX + NOISE_HEX));
        assertEquals(MultistreamException.Reason.LOCAL_FAILURE, tail.onlyFailure().reason());
        assertNull(readOutboundHex(ch));
        assertFalse(ch.isOpen());
    }
}
