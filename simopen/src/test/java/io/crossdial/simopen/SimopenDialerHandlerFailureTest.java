package io.crossdial.simopen;

import io.crossdial.simopen.SimopenException.Reason;
import static io.crossdial.simopen.SimopenTestSupport.HEADER_HEX;
import static io.crossdial.simopen.SimopenTestSupport.INITIATOR_HEX;
import static io.crossdial.simopen.SimopenTestSupport.NA_HEX;
import static io.crossdial.simopen.SimopenTestSupport.NOISE_HEX;
import static io.crossdial.simopen.SimopenTestSupport.POISON_HEX;
import static io.crossdial.simopen.SimopenTestSupport.RESPONDER_HEX;
import static io.crossdial.simopen.SimopenTestSupport.SC_HEX;
import static io.crossdial.simopen.SimopenTestSupport.TIMEOUT_MILLIS;
import static io.crossdial.simopen.SimopenTestSupport.TLS_HEX;
import static io.crossdial.simopen.SimopenTestSupport.frameHex;
import static io.crossdial.simopen.SimopenTestSupport.hex;
import static io.crossdial.simopen.SimopenTestSupport.nonces;
import static io.crossdial.simopen.SimopenTestSupport.readAllOutboundHex;
import static io.crossdial.simopen.SimopenTestSupport.selectHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.multistream.MultistreamException;
import io.crossdial.simopen.SimopenTestSupport.Negotiations;
import io.crossdial.simopen.SimopenTestSupport.Resolutions;
import io.crossdial.simopen.SimopenTestSupport.Tail;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every failure: a {@link SimopenException} (or the {@link MultistreamException} of a malformed frame) fired
 * as exceptionCaught, the channel closed, nothing forwarded, nothing more written, nothing leaked.
 */
class SimopenDialerHandlerFailureTest {
    private final Tail tail = new Tail();
    private final Resolutions resolutions = new Resolutions();
    private final Negotiations negotiations = new Negotiations();
    private final List<ByteBuf> handedOut = new ArrayList<>();
    private EmbeddedChannel ch;

    private void dial(SimopenMode mode, LongSupplier nonces) {
        ch = new EmbeddedChannel();
        ch.pipeline().addLast("simopen", new SimopenDialerHandler(mode, List.of("/noise"), TIMEOUT_MILLIS,
                nonces, resolutions, negotiations)).addLast("tail", tail);
        readAllOutboundHex(ch);
    }

    private void read(String hex) {
        ByteBuf buf = hex(hex);
        handedOut.add(buf);
        ch.writeInbound(buf);
    }

    @AfterEach
    void finish() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
        for (ByteBuf buf : handedOut) {
            assertEquals(0, buf.refCnt(), "inbound buffer not released");
        }
    }

    /** The one failure, after which the channel is closed and nothing was forwarded, resolved or written. */
    private <T extends Throwable> T assertFailed(Class<T> type) {
        T e = tail.onlyFailure(type);
        assertFalse(ch.isOpen(), "the channel is closed");
        assertEquals("", tail.receivedHex(), "nothing is forwarded after a failure");
        assertTrue(resolutions.results.isEmpty(), "no role was resolved");
        assertTrue(negotiations.protocols.isEmpty());
        assertNull(ch.pipeline().get(SimopenDialerHandler.class));
        assertEquals(List.of(), readAllOutboundHex(ch), "nothing is written on failure");
        return e;
    }

    private SimopenException assertSimopenFailure(SimopenException.Reason reason, String message) {
        SimopenException e = assertFailed(SimopenException.class);
        assertEquals("simultaneous open: " + message, e.getMessage());
        assertEquals(reason, e.reason(), message);
        return e;
    }

    // ---- unexpected messages ----

    @Test
    void failsWhenTheFirstMessageIsNotTheHeader() {
        dial(SimopenMode.POISON_BYTE, nonces());
        read(NOISE_HEX + NOISE_HEX);
        assertSimopenFailure(Reason.UNEXPECTED_MESSAGE, "expected the header /multistream/1.0.0, got protocol /noise");
    }

    @Test
    void failsWhenTheMessageAfterThePoisonByteIsNotTheHeader() {
        dial(SimopenMode.POISON_BYTE, nonces());
        read(POISON_HEX + NA_HEX);
        assertSimopenFailure(Reason.UNEXPECTED_MESSAGE, "expected the header /multistream/1.0.0, got na");
    }

    @Test
    void failsOnASecondPoisonByte() {
        dial(SimopenMode.POISON_BYTE, nonces());
        read(POISON_HEX + POISON_HEX + HEADER_HEX);
        MultistreamException e = assertFailed(MultistreamException.class);
        assertEquals(MultistreamException.Reason.MALFORMED_MESSAGE, e.reason());
    }

    @Test
    void failsWhenBothClaimInitiator() {
        dial(SimopenMode.POISON_BYTE, nonces(9));
        read(POISON_HEX + HEADER_HEX + NOISE_HEX + selectHex(3));
        assertEquals(List.of(SC_HEX + selectHex(9), INITIATOR_HEX + NOISE_HEX), readAllOutboundHex(ch));
        read(INITIATOR_HEX + NOISE_HEX);
        assertSimopenFailure(Reason.ROLE_CONFLICT,
                "we are initiator (select:9 vs select:3), expected 'responder', got other \"initiator\"");
    }

    @Test
    void failsWhenBothClaimResponder() {
        dial(SimopenMode.POISON_BYTE, nonces(3));
        read(POISON_HEX + HEADER_HEX + NOISE_HEX + selectHex(9));
        assertEquals(List.of(SC_HEX + selectHex(3), RESPONDER_HEX), readAllOutboundHex(ch));
        read(RESPONDER_HEX);
        assertSimopenFailure(Reason.ROLE_CONFLICT,
                "we are responder (select:3 vs select:9), expected 'initiator', got other \"responder\"");
    }

    @Test
    void failsWhenTheRemoteSendsAProposalInsteadOfItsRole() {
        dial(SimopenMode.POISON_BYTE, nonces(3));
        read(POISON_HEX + HEADER_HEX + NOISE_HEX + selectHex(9));
        readAllOutboundHex(ch);
        read(NOISE_HEX);
        assertSimopenFailure(Reason.ROLE_CONFLICT,
                "we are responder (select:3 vs select:9), expected 'initiator', got protocol /noise");
    }

    @Test
    void failsWhenTheRemoteSendsAnotherSelectInsteadOfItsRole() {
        dial(SimopenMode.POISON_BYTE, nonces(3));
        read(POISON_HEX + HEADER_HEX + selectHex(9));
        readAllOutboundHex(ch);
        read(selectHex(9));
        assertSimopenFailure(Reason.ROLE_CONFLICT,
                "we are responder (select:3 vs select:9), expected 'initiator', got other \"select:9\"");
    }

    @Test
    void failsOnMoreThanFourDiscardedProposals() {
        dial(SimopenMode.POISON_BYTE, nonces(9));
        read(POISON_HEX + HEADER_HEX + NOISE_HEX + SC_HEX + TLS_HEX + NOISE_HEX);
        assertEquals(List.of(SC_HEX + selectHex(9)), readAllOutboundHex(ch));
        assertTrue(tail.exceptions.isEmpty(), "four proposals are dropped");
        read(TLS_HEX + selectHex(3));
        assertSimopenFailure(Reason.UNEXPECTED_MESSAGE, "expected select:<n>, got protocol /tls/1.0.0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"na", "/multistream/1.0.0", "ls", "responder", "SELECT:1", "select 1"})
    void failsOnAnythingButAProposalOrSelectWhileAwaitingSelect(String text) {
        dial(SimopenMode.POISON_BYTE, nonces(9));
        read(POISON_HEX + HEADER_HEX);
        assertEquals(List.of(SC_HEX + selectHex(9)), readAllOutboundHex(ch));
        read(frameHex(text));
        SimopenException e = assertFailed(SimopenException.class);
        assertTrue(e.getMessage().startsWith("simultaneous open: expected select:<n>, got "), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"select:", "select:abc", "select:-1", "select:+1", "select: 1", "select:1 ",
            "select:0x10", "select:1.0", "select:\u0661", "select:000000000000000000001"})
    void failsOnAMalformedSelect(String text) {
        dial(SimopenMode.POISON_BYTE, nonces(9));
        read(POISON_HEX + HEADER_HEX + frameHex(text));
        assertEquals(List.of(SC_HEX + selectHex(9)), readAllOutboundHex(ch).subList(0, 1));
        assertSimopenFailure(Reason.MALFORMED_SELECT,
                "malformed '" + text + "': expected select:<unsigned 64-bit decimal>");
    }

    @Test
    void failsOnASelectNumberAboveTwoToThe64MinusOne() {
        dial(SimopenMode.POISON_BYTE, nonces(9));
        read(POISON_HEX + HEADER_HEX + frameHex("select:18446744073709551616"));
        readAllOutboundHex(ch);
        SimopenException e = assertSimopenFailure(Reason.MALFORMED_SELECT,
                "malformed 'select:18446744073709551616': number out of range");
        assertInstanceOf(NumberFormatException.class, e.getCause());
    }

    @Test
    void failsOnTwentyNinesAsSelectNumber() {
        dial(SimopenMode.POISON_BYTE, nonces(9));
        read(POISON_HEX + HEADER_HEX + frameHex("select:99999999999999999999"));
        readAllOutboundHex(ch);
        assertSimopenFailure(Reason.MALFORMED_SELECT, "malformed 'select:99999999999999999999': number out of range");
    }

    @Test
    void failsAfterEightRoundsOfEqualNumbers() {
        long[] draws = new long[SimultaneousConnect.MAX_SELECT_ROUNDS];
        java.util.Arrays.fill(draws, 7);
        dial(SimopenMode.POISON_BYTE, nonces(draws));
        read(POISON_HEX + HEADER_HEX + NOISE_HEX + SC_HEX);
        assertEquals(List.of(SC_HEX + selectHex(7)), readAllOutboundHex(ch));
        for (int round = 2; round <= SimultaneousConnect.MAX_SELECT_ROUNDS; round++) {
            read(selectHex(7));
            assertEquals(List.of(selectHex(7)), readAllOutboundHex(ch), "round " + round);
            assertTrue(tail.exceptions.isEmpty());
        }
        read(selectHex(7));
        assertSimopenFailure(Reason.TOO_MANY_TIES, "equal select: numbers 8 times");
    }

    // ---- malformed and oversized frames ----

    @Test
    void failsOnAnOversizedFirstFrameBeforeItsPayloadArrives() {
        dial(SimopenMode.POISON_BYTE, nonces());
        read("8108"); // length 1025 > 1024
        MultistreamException e = assertFailed(MultistreamException.class);
        assertEquals(MultistreamException.Reason.MESSAGE_TOO_LONG, e.reason());
    }

    @Test
    void failsOnALengthPrefixTooLongForAnyAllowedFrame() {
        dial(SimopenMode.POISON_BYTE, nonces());
        read("ffff");
        MultistreamException e = assertFailed(MultistreamException.class);
        assertEquals(MultistreamException.Reason.MESSAGE_TOO_LONG, e.reason());
    }

    @Test
    void failsOnAnOversizedFrameWhileAwaitingSelect() {
        dial(SimopenMode.POISON_BYTE, nonces(9));
        read(POISON_HEX + HEADER_HEX);
        readAllOutboundHex(ch);
        read("8108" + "73".repeat(64));
        MultistreamException e = assertFailed(MultistreamException.class);
        assertEquals(MultistreamException.Reason.MESSAGE_TOO_LONG, e.reason());
    }

    @Test
    void failsOnAFrameWithoutNewlineAsTheFirstAnswer() {
        dial(SimopenMode.POISON_BYTE, nonces());
        read(HEADER_HEX + "036e6161");
        MultistreamException e = assertFailed(MultistreamException.class);
        assertEquals(MultistreamException.Reason.MALFORMED_MESSAGE, e.reason());
    }

    @Test
    void failsOnInvalidUtf8InARoleMessage() {
        dial(SimopenMode.POISON_BYTE, nonces(3));
        read(POISON_HEX + HEADER_HEX + selectHex(9));
        readAllOutboundHex(ch);
        read("03c3280a");
        MultistreamException e = assertFailed(MultistreamException.class);
        assertEquals(MultistreamException.Reason.MALFORMED_MESSAGE, e.reason());
    }

    @Test
    void dropsBytesThatArriveAfterAFailure() {
        dial(SimopenMode.POISON_BYTE, nonces());
        read(NOISE_HEX + "6578747261");
        assertFailed(SimopenException.class);
    }

    // ---- end of input, input shutdown and timeout, in every waiting state ----

    /** Input that leaves the handler waiting in the named state (our number is 3 where one is drawn). */
    static Stream<Arguments> waitingStates() {
        return Stream.of(
                Arguments.of("AWAIT_FIRST_BYTE", ""),
                Arguments.of("AWAIT_HEADER", POISON_HEX),
                Arguments.of("AWAIT_HEADER", "132f6d"),
                Arguments.of("AWAIT_FIRST_ANSWER", HEADER_HEX),
                Arguments.of("AWAIT_FIRST_ANSWER", HEADER_HEX + "072f6e"),
                Arguments.of("AWAIT_SELECT", POISON_HEX + HEADER_HEX + NOISE_HEX),
                Arguments.of("AWAIT_SELECT", POISON_HEX + HEADER_HEX + "0973656c"),
                Arguments.of("AWAIT_ROLE", POISON_HEX + HEADER_HEX + selectHex(9)),
                Arguments.of("AWAIT_ROLE", POISON_HEX + HEADER_HEX + selectHex(1) + "0a696e"));
    }

    private void enter(String input) {
        dial(SimopenMode.POISON_BYTE, nonces(3));
        if (!input.isEmpty()) {
            read(input);
        }
        readAllOutboundHex(ch);
        assertTrue(tail.exceptions.isEmpty());
        assertTrue(ch.isOpen());
    }

    @ParameterizedTest(name = "{0} after {1}")
    @MethodSource("waitingStates")
    void failsOnEndOfInput(String state, String input) {
        enter(input);
        ch.close();
        assertSimopenFailure(Reason.CONNECTION_CLOSED, "connection closed during role resolution (" + state + ")");
    }

    @ParameterizedTest(name = "{0} after {1}")
    @MethodSource("waitingStates")
    void failsOnInputShutdown(String state, String input) {
        enter(input);
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertSimopenFailure(Reason.CONNECTION_CLOSED, "input closed during role resolution (" + state + ")");
    }

    @ParameterizedTest(name = "{0} after {1}")
    @MethodSource("waitingStates")
    void failsOnTimeout(String state, String input) {
        enter(input);
        ch.advanceTimeBy(TIMEOUT_MILLIS / 2, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(tail.exceptions.isEmpty(), "not before the timeout");
        assertTrue(ch.isOpen());
        ch.advanceTimeBy(TIMEOUT_MILLIS / 2, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertSimopenFailure(Reason.TIMEOUT, "role resolution timed out after 10000 ms (" + state + ")");
    }

    @Test
    void reportsOnlyTheFirstFailure() {
        dial(SimopenMode.POISON_BYTE, nonces());
        read(NOISE_HEX);
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        ch.advanceTimeBy(2 * TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFailed(SimopenException.class);
    }

    // ---- local failures ----

    @Test
    void failsWhenTheFirstWriteFails() {
        ch = new EmbeddedChannel();
        ch.pipeline().addLast("failWrites", new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ReferenceCountUtil.release(msg);
                promise.setFailure(new IOException("broken pipe"));
            }
        }).addLast("tail", tail);
        // Added to an active channel, the handler writes in handlerAdded: the tail must already be there.
        ch.pipeline().addBefore("tail", "simopen", new SimopenDialerHandler(SimopenMode.POISON_BYTE,
                List.of("/noise"), TIMEOUT_MILLIS, nonces(), resolutions, negotiations));
        ch.runPendingTasks();
        SimopenException e = assertSimopenFailure(Reason.LOCAL_FAILURE, "write failed during role resolution");
        assertInstanceOf(IOException.class, e.getCause());
    }
}
