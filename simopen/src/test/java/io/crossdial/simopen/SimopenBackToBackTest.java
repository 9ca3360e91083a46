package io.crossdial.simopen;

import static io.crossdial.simopen.SimopenTestSupport.TIMEOUT_MILLIS;
import static io.crossdial.simopen.SimopenTestSupport.hex;
import static io.crossdial.simopen.SimopenTestSupport.shuttle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.spi.Role;
import io.crossdial.multistream.MultistreamListenerHandler;
import io.crossdial.simopen.SimopenTestSupport.Negotiations;
import io.crossdial.simopen.SimopenTestSupport.Resolutions;
import io.crossdial.simopen.SimopenTestSupport.Tail;
import io.netty.channel.embedded.EmbeddedChannel;
import java.security.SecureRandom;
import java.util.List;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Two real handlers talking to each other through two EmbeddedChannels. In POISON_BYTE mode the kernel's
 * inline urgent byte is simulated by writing 0x00 into each side's inbound before the peer's first bytes.
 */
class SimopenBackToBackTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One side of the connection. */
    private static final class Side {
        final Tail tail = new Tail();
        final Resolutions resolutions = new Resolutions();
        final Negotiations negotiations = new Negotiations();
        final EmbeddedChannel ch = new EmbeddedChannel();

        Side dialer(SimopenMode mode, LongSupplier nonces, String... protocols) {
            ch.pipeline().addLast("simopen", new SimopenDialerHandler(mode, List.of(protocols), TIMEOUT_MILLIS,
                    nonces, resolutions, negotiations)).addLast("tail", tail);
            return this;
        }

        Side listener(boolean poisonFilter, String... protocols) {
            if (poisonFilter) {
                ch.pipeline().addLast("poison", new PoisonByteFilter());
            }
            ch.pipeline().addLast("multistream",
                    new MultistreamListenerHandler(List.of(protocols), TIMEOUT_MILLIS, negotiations))
                    .addLast("tail", tail);
            return this;
        }

        void finish() {
            ch.finishAndReleaseAll();
        }
    }

    private static void pump(Side a, Side b) {
        for (int i = 0; i < 100; i++) {
            boolean moved = shuttle(a.ch, b.ch);
            moved |= shuttle(b.ch, a.ch);
            if (!moved) {
                return;
            }
        }
        throw new AssertionError("the exchange did not settle");
    }

    private static void assertHealthy(Side s) {
        assertTrue(s.tail.exceptions.isEmpty(), s.tail.exceptions.toString());
        assertTrue(s.ch.isOpen());
        assertNull(s.ch.pipeline().get(SimopenDialerHandler.class));
        assertEquals("", s.tail.receivedHex());
    }

    private static void assertOppositeRoles(Side a, Side b, Detection detectionA, Detection detectionB) {
        assertHealthy(a);
        assertHealthy(b);
        SimopenResult ra = a.resolutions.only();
        SimopenResult rb = b.resolutions.only();
        assertNotEquals(ra.role(), rb.role(), ra + " / " + rb);
        assertEquals(detectionA, ra.detection());
        assertEquals(detectionB, rb.detection());
        assertEquals(ra.localNonce(), rb.remoteNonce());
        assertEquals(rb.localNonce(), ra.remoteNonce());
        assertEquals(ra.selectRounds(), rb.selectRounds());
        Side initiator = ra.role() == Role.INITIATOR ? a : b;
        assertEquals(Long.compareUnsigned(initiator.resolutions.only().localNonce(),
                initiator.resolutions.only().remoteNonce()) > 0, true, "the higher number initiates");
        assertEquals(List.of("/noise"), a.negotiations.protocols);
        assertEquals(List.of("/noise"), b.negotiations.protocols);
    }

    @RepeatedTest(200)
    void twoPoisonByteDialersAlwaysTakeOppositeRolesAndAgreeOnNoise() {
        Side a = new Side().dialer(SimopenMode.POISON_BYTE, RANDOM::nextLong, "/noise");
        Side b = new Side().dialer(SimopenMode.POISON_BYTE, RANDOM::nextLong, "/noise");
        try {
            a.ch.writeInbound(hex("00"));
            b.ch.writeInbound(hex("00"));
            pump(a, b);
            assertOppositeRoles(a, b, Detection.POISON_BYTE, Detection.POISON_BYTE);
        } finally {
            a.finish();
            b.finish();
        }
    }

    @RepeatedTest(50)
    void twoSpecDialersAlwaysTakeOppositeRolesAndAgreeOnNoise() {
        Side a = new Side().dialer(SimopenMode.SPEC, RANDOM::nextLong, "/noise");
        Side b = new Side().dialer(SimopenMode.SPEC, RANDOM::nextLong, "/noise");
        try {
            pump(a, b);
            assertOppositeRoles(a, b, Detection.SPEC_PROPOSAL, Detection.SPEC_PROPOSAL);
        } finally {
            a.finish();
            b.finish();
        }
    }

    @RepeatedTest(50)
    void aPoisonByteDialerAndASpecDialerTakeOppositeRoles() {
        Side a = new Side().dialer(SimopenMode.POISON_BYTE, RANDOM::nextLong, "/noise");
        Side b = new Side().dialer(SimopenMode.SPEC, RANDOM::nextLong, "/noise");
        try {
            b.ch.writeInbound(hex("00")); // a's urgent byte; a spec dialer sends none
            pump(a, b);
            assertOppositeRoles(a, b, Detection.SPEC_PROPOSAL, Detection.POISON_BYTE);
        } finally {
            a.finish();
            b.finish();
        }
    }

    @Test
    void equalFirstNumbersResolveInASecondRound() {
        long[] seqA = {42, 1};
        long[] seqB = {42, 2};
        Side a = new Side().dialer(SimopenMode.POISON_BYTE, SimopenTestSupport.nonces(seqA), "/noise");
        Side b = new Side().dialer(SimopenMode.POISON_BYTE, SimopenTestSupport.nonces(seqB), "/noise");
        try {
            a.ch.writeInbound(hex("00"));
            b.ch.writeInbound(hex("00"));
            pump(a, b);
            assertOppositeRoles(a, b, Detection.POISON_BYTE, Detection.POISON_BYTE);
            assertEquals(Role.RESPONDER, a.resolutions.only().role());
            assertEquals(2, a.resolutions.only().selectRounds());
        } finally {
            a.finish();
            b.finish();
        }
    }

    @Test
    void poisonByteDialerAndCrossdialListenerNegotiateAsAnOrdinaryDial() {
        Side dialer = new Side().dialer(SimopenMode.POISON_BYTE, SimopenTestSupport.nonces(), "/tls/1.0.0",
                "/noise");
        Side listener = new Side().listener(true, "/noise");
        try {
            listener.ch.writeInbound(hex("00")); // the dialer's urgent byte, inline
            pump(dialer, listener);
            assertHealthy(dialer);
            assertEquals(Role.INITIATOR, dialer.resolutions.only().role());
            assertEquals(Detection.NONE, dialer.resolutions.only().detection());
            assertEquals(List.of("/noise"), dialer.negotiations.protocols);
            assertEquals(List.of("/noise"), listener.negotiations.protocols);
            assertEquals(Boolean.TRUE, listener.ch.attr(PoisonByteFilter.POISON_SEEN).get());
            assertTrue(listener.tail.exceptions.isEmpty());
        } finally {
            dialer.finish();
            listener.finish();
        }
    }

    @Test
    void specDialerAndStockListenerNegotiateAsAnOrdinaryDial() {
        Side dialer = new Side().dialer(SimopenMode.SPEC, SimopenTestSupport.nonces(), "/noise");
        Side listener = new Side().listener(false, "/noise");
        try {
            pump(dialer, listener);
            assertHealthy(dialer);
            assertEquals(Role.INITIATOR, dialer.resolutions.only().role());
            assertEquals(Detection.NONE, dialer.resolutions.only().detection());
            assertEquals(List.of("/noise"), dialer.negotiations.protocols);
            assertEquals(List.of("/noise"), listener.negotiations.protocols);
            assertTrue(listener.tail.exceptions.isEmpty());
        } finally {
            dialer.finish();
            listener.finish();
        }
    }
}
