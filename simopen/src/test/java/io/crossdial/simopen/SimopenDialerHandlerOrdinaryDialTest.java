package io.crossdial.simopen;

import static io.crossdial.simopen.SimopenTestSupport.HEADER_HEX;
import static io.crossdial.simopen.SimopenTestSupport.NA_HEX;
import static io.crossdial.simopen.SimopenTestSupport.NOISE_HEX;
import static io.crossdial.simopen.SimopenTestSupport.SC_HEX;
import static io.crossdial.simopen.SimopenTestSupport.TIMEOUT_MILLIS;
import static io.crossdial.simopen.SimopenTestSupport.TLS_HEX;
import static io.crossdial.simopen.SimopenTestSupport.hex;
import static io.crossdial.simopen.SimopenTestSupport.nonces;
import static io.crossdial.simopen.SimopenTestSupport.readAllOutboundHex;
import static io.crossdial.simopen.SimopenTestSupport.readOutboundHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.spi.Role;
import io.crossdial.multistream.MultistreamDialerHandler;
import io.crossdial.multistream.MultistreamException;
import io.crossdial.simopen.SimopenTestSupport.Negotiations;
import io.crossdial.simopen.SimopenTestSupport.Resolutions;
import io.crossdial.simopen.SimopenTestSupport.Tail;
import io.crossdial.simopen.SimopenTestSupport.UrgentEmbeddedChannel;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Ordinary dials (the remote is a listener) in both detection modes, and the handler's start. */
class SimopenDialerHandlerOrdinaryDialTest {
    private final Tail tail = new Tail();
    private final Resolutions resolutions = new Resolutions();
    private final Negotiations negotiations = new Negotiations();
    private final List<ByteBuf> handedOut = new ArrayList<>();
    private EmbeddedChannel ch;

    private SimopenDialerHandler handler(SimopenMode mode, String... protocols) {
        return new SimopenDialerHandler(mode, List.of(protocols), TIMEOUT_MILLIS,
                nonces(), resolutions, negotiations);
    }

    private void dial(SimopenMode mode, String... protocols) {
        ch = new EmbeddedChannel();
        ch.pipeline().addLast("simopen", handler(mode, protocols)).addLast("tail", tail);
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

    private void assertOrdinaryDialResolved() {
        SimopenResult r = resolutions.only();
        assertEquals(Role.INITIATOR, r.role());
        assertEquals(Detection.NONE, r.detection());
        assertFalse(r.simultaneousOpen());
        assertEquals(0, r.localNonce());
        assertEquals(0, r.remoteNonce());
        assertEquals(0, r.selectRounds());
        assertTrue(r.elapsedNanos() >= 0);
        assertEquals("simopen", resolutions.contextNames.get(0));
        assertTrue(resolutions.simopenHandlerStillInPipeline, "told before the next stage is installed");
        assertNull(ch.pipeline().get(SimopenDialerHandler.class));
    }

    // ---- start ----

    @Test
    void writesNothingBeforeTheChannelIsActiveThenHeaderAndFirstProposalInOneWrite() throws Exception {
        ch = new EmbeddedChannel(false, false, handler(SimopenMode.POISON_BYTE, "/noise", "/tls/1.0.0"), tail);
        assertNull(readOutboundHex(ch));
        ch.register();
        assertEquals(List.of(HEADER_HEX + NOISE_HEX), readAllOutboundHex(ch));
    }

    @Test
    void poisonModeFirstWriteIsHeaderAndFirstProposal() {
        dial(SimopenMode.POISON_BYTE, "/noise", "/tls/1.0.0");
        assertEquals(List.of("132f6d756c746973747265616d2f312e302e300a" + "072f6e6f6973650a"),
                readAllOutboundHex(ch));
        assertTrue(resolutions.results.isEmpty());
    }

    @Test
    void poisonModeOnAPlainChannelSendsNoUrgentByte() {
        dial(SimopenMode.POISON_BYTE, "/noise");
        assertEquals(List.of(HEADER_HEX + NOISE_HEX), readAllOutboundHex(ch),
                "the poison byte is never written in-band");
    }

    @Test
    void poisonModeSendsTheUrgentByteBeforeTheHeader() {
        UrgentEmbeddedChannel urgent = new UrgentEmbeddedChannel();
        ch = urgent;
        urgent.pipeline().addLast("simopen", handler(SimopenMode.POISON_BYTE, "/noise")).addLast("tail", tail);
        assertEquals(List.of(0x00), urgent.urgentBytes);
        assertEquals(List.of(0), urgent.outboundCountAtUrgent, "urgent byte must precede every write");
        assertEquals(List.of(HEADER_HEX + NOISE_HEX), readAllOutboundHex(ch));
    }

    @Test
    void poisonModeStillWritesTheHeaderWhenTheUrgentByteCannotBeSent() {
        UrgentEmbeddedChannel urgent = new UrgentEmbeddedChannel();
        urgent.failWith = new IOException("send buffer full");
        ch = urgent;
        urgent.pipeline().addLast("simopen", handler(SimopenMode.POISON_BYTE, "/noise")).addLast("tail", tail);
        assertTrue(urgent.urgentBytes.isEmpty());
        assertEquals(List.of(HEADER_HEX + NOISE_HEX), readAllOutboundHex(ch));
        assertTrue(ch.isOpen());
        assertTrue(tail.exceptions.isEmpty());
    }

    @Test
    void specModeSendsNoUrgentByteEvenOnAnUrgentDataChannel() {
        UrgentEmbeddedChannel urgent = new UrgentEmbeddedChannel();
        ch = urgent;
        urgent.pipeline().addLast("simopen", handler(SimopenMode.SPEC, "/noise")).addLast("tail", tail);
        assertTrue(urgent.urgentBytes.isEmpty());
        assertEquals(List.of(HEADER_HEX + SC_HEX + NOISE_HEX), readAllOutboundHex(ch));
    }

    @Test
    void specModeFirstWriteIsHeaderSimultaneousConnectAndFirstProposal() {
        dial(SimopenMode.SPEC, "/noise", "/tls/1.0.0");
        assertEquals(List.of("132f6d756c746973747265616d2f312e302e300a"
                        + "1d2f6c69627032702f73696d756c74616e656f75732d636f6e6e6563740a"
                        + "072f6e6f6973650a"),
                readAllOutboundHex(ch));
    }

    // ---- constructor ----

    @Test
    void rejectsModeOff() {
        assertThrows(IllegalArgumentException.class, () -> handler(SimopenMode.OFF, "/noise"));
    }

    @Test
    void rejectsAnEmptyProtocolList() {
        assertThrows(IllegalArgumentException.class, () -> handler(SimopenMode.POISON_BYTE));
    }

    @Test
    void rejectsANonPositiveTimeout() {
        assertThrows(IllegalArgumentException.class, () -> new SimopenDialerHandler(SimopenMode.POISON_BYTE,
                List.of("/noise"), 0, nonces(), resolutions, negotiations));
    }

    @Test
    void rejectsAnInvalidProtocolIdAsBadConfiguration() {
        assertThrows(IllegalArgumentException.class, () -> handler(SimopenMode.POISON_BYTE, "noise"));
    }

    // ---- POISON_BYTE ordinary dial ----

    @Test
    void poisonModeOrdinaryDialHandsOverToTheDialerAndForwardsExtraBytes() {
        dial(SimopenMode.POISON_BYTE, "/noise");
        readAllOutboundHex(ch);
        String extra = "6578747261"; // "extra"
        read(HEADER_HEX + NOISE_HEX + extra);

        assertOrdinaryDialResolved();
        assertEquals(List.of("/noise"), negotiations.protocols);
        assertEquals(List.of(MultistreamDialerHandler.class), negotiations.stages,
                "the dialer stage negotiated");
        assertEquals(List.of("simopen"), negotiations.contextNames, "replaced under the same name");
        assertEquals(extra, tail.receivedHex());
        assertNull(ch.pipeline().get(MultistreamDialerHandler.class), "the dialer removed itself too");
        assertEquals(List.of(), readAllOutboundHex(ch), "nothing more is written");
        assertTrue(ch.isOpen());
        assertTrue(tail.exceptions.isEmpty());
    }

    @Test
    void theResultCarriesTheConnectTimeAndHowSoonTheFirstAnswerByteArrived() throws Exception {
        ch = new EmbeddedChannel(false, false, handler(SimopenMode.POISON_BYTE, "/noise"), tail);
        ch.attr(io.crossdial.core.spi.ConnectionAttributes.CONNECT_NANOS).set(1_000_000_000L);
        ch.register();
        readAllOutboundHex(ch);
        Thread.sleep(20);
        read(HEADER_HEX.substring(0, 2));
        Thread.sleep(20);
        read(HEADER_HEX.substring(2) + NOISE_HEX);
        SimopenResult r = resolutions.results.get(0);
        assertEquals(1_000_000_000L, r.connectNanos());
        assertTrue(r.answerNanos() >= 20_000_000L, "at least the first sleep: " + r.answerNanos());
        assertTrue(r.elapsedNanos() - r.answerNanos() >= 20_000_000L,
                "the answer time stops at the first byte, before the second sleep: elapsed " + r.elapsedNanos()
                        + " ns, answer " + r.answerNanos() + " ns");
    }

    @Test
    void theConnectTimeIsUnknownWhereTheTransportDidNotRecordIt() {
        dial(SimopenMode.POISON_BYTE, "/noise");
        readAllOutboundHex(ch);
        read(HEADER_HEX + NOISE_HEX);
        assertEquals(-1, resolutions.results.get(0).connectNanos());
        assertTrue(resolutions.results.get(0).answerNanos() >= 0);
    }

    @Test
    void poisonModeOrdinaryDialResolvesWhenTheAnswerArrivesByteByByte() {
        dial(SimopenMode.POISON_BYTE, "/noise");
        readAllOutboundHex(ch);
        String answer = HEADER_HEX + NOISE_HEX + "6578747261";
        for (int i = 0; i < answer.length(); i += 2) {
            if (i == HEADER_HEX.length() + NOISE_HEX.length() - 2) {
                assertTrue(resolutions.results.isEmpty(), "no resolution before the first answer is whole");
            }
            read(answer.substring(i, i + 2));
        }
        assertOrdinaryDialResolved();
        assertEquals(List.of("/noise"), negotiations.protocols);
        assertEquals("6578747261", tail.receivedHex());
        assertEquals(List.of(), readAllOutboundHex(ch));
    }

    @Test
    void poisonModeOrdinaryDialWaitsForTheAnswerAfterTheHeader() {
        dial(SimopenMode.POISON_BYTE, "/noise");
        readAllOutboundHex(ch);
        read(HEADER_HEX);
        assertTrue(resolutions.results.isEmpty());
        assertTrue(ch.pipeline().get("simopen") instanceof SimopenDialerHandler);
        read(NOISE_HEX);
        assertOrdinaryDialResolved();
        assertEquals(List.of("/noise"), negotiations.protocols);
    }

    @Test
    void poisonModeOrdinaryDialFollowsNaToTheSecondProtocol() {
        dial(SimopenMode.POISON_BYTE, "/noise", "/tls/1.0.0");
        assertEquals(List.of(HEADER_HEX + NOISE_HEX), readAllOutboundHex(ch));
        read(HEADER_HEX + NA_HEX);

        assertOrdinaryDialResolved();
        assertInstanceOf(MultistreamDialerHandler.class, ch.pipeline().get("simopen"),
                "the dialer stage took the simopen handler's place");
        assertEquals(List.of(TLS_HEX), readAllOutboundHex(ch), "the dialer proposes the second protocol");
        assertTrue(negotiations.protocols.isEmpty());

        read(TLS_HEX + "ff");
        assertEquals(List.of("/tls/1.0.0"), negotiations.protocols);
        assertEquals("ff", tail.receivedHex());
        assertEquals(List.of(), readAllOutboundHex(ch));
        assertEquals(1, resolutions.results.size());
    }

    @Test
    void poisonModeOrdinaryDialFailsInTheDialerStageWhenNoProtocolIsInCommon() {
        dial(SimopenMode.POISON_BYTE, "/noise");
        readAllOutboundHex(ch);
        read(HEADER_HEX + NA_HEX);
        assertOrdinaryDialResolved();
        MultistreamException e = tail.onlyFailure(MultistreamException.class);
        assertEquals(MultistreamException.Reason.NO_PROTOCOL_IN_COMMON, e.reason());
        assertFalse(ch.isOpen());
    }

    @Test
    void cancelsTheResolutionTimeoutOnAnOrdinaryDial() {
        dial(SimopenMode.POISON_BYTE, "/noise");
        readAllOutboundHex(ch);
        read(HEADER_HEX + NOISE_HEX);
        ch.advanceTimeBy(3 * TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(tail.exceptions.isEmpty());
        assertTrue(ch.isOpen());
    }

    // ---- SPEC ordinary dial ----

    @Test
    void specModeOrdinaryDialConsumesNaAndHandsTheEchoToTheDialer() {
        dial(SimopenMode.SPEC, "/noise");
        readAllOutboundHex(ch);
        read(HEADER_HEX + NA_HEX + NOISE_HEX + "6578747261");

        assertOrdinaryDialResolved();
        assertEquals(List.of("/noise"), negotiations.protocols);
        assertEquals(List.of(MultistreamDialerHandler.class), negotiations.stages);
        assertEquals("6578747261", tail.receivedHex());
        assertEquals(List.of(), readAllOutboundHex(ch));
        assertTrue(tail.exceptions.isEmpty());
    }

    @Test
    void specModeOrdinaryDialFollowsASecondNaToTheNextProtocol() {
        dial(SimopenMode.SPEC, "/noise", "/tls/1.0.0");
        readAllOutboundHex(ch);
        read(HEADER_HEX + NA_HEX + NA_HEX);
        assertOrdinaryDialResolved();
        assertEquals(List.of(TLS_HEX), readAllOutboundHex(ch));
        read(TLS_HEX);
        assertEquals(List.of("/tls/1.0.0"), negotiations.protocols);
    }

    @Test
    void specModeOrdinaryDialResolvesOnNaBeforeTheEchoArrives() {
        dial(SimopenMode.SPEC, "/noise");
        readAllOutboundHex(ch);
        read(HEADER_HEX + NA_HEX);
        assertOrdinaryDialResolved();
        assertInstanceOf(MultistreamDialerHandler.class, ch.pipeline().get("simopen"));
        read(NOISE_HEX);
        assertEquals(List.of("/noise"), negotiations.protocols);
    }
}
