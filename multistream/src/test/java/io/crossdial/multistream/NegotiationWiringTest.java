package io.crossdial.multistream;

import static io.crossdial.multistream.TestSupport.shuttle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.multistream.TestSupport.Outcome;
import io.crossdial.multistream.TestSupport.Recorder;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A dialer and a listener talking through two EmbeddedChannels. */
class NegotiationWiringTest {

    @Test
    void dialerAndListenerAgreeOnFirstCommonProtocolAndHandOverTheChannel() {
        Recorder dialerNext = new Recorder();
        Recorder listenerNext = new Recorder();
        Recorder dialerTail = new Recorder();
        Recorder listenerTail = new Recorder();
        Outcome dialerOutcome = new Outcome(dialerNext);
        Outcome listenerOutcome = new Outcome(listenerNext);
        EmbeddedChannel dialer = new EmbeddedChannel(
                new MultistreamDialerHandler(List.of("/tls/1.0.0", "/noise"), 10_000, dialerOutcome), dialerTail);
        EmbeddedChannel listener = new EmbeddedChannel(
                new MultistreamListenerHandler(List.of("/noise", "/yamux/1.0.0"), 10_000, listenerOutcome),
                listenerTail);
        try {
            int rounds = 0;
            while (shuttle(dialer, listener) | shuttle(listener, dialer)) {
                rounds++;
            }
            assertEquals("/noise", dialerOutcome.protocol);
            assertEquals("/noise", listenerOutcome.protocol);
            assertEquals(1, dialerOutcome.negotiatedCalls);
            assertEquals(1, listenerOutcome.negotiatedCalls);
            assertEquals(2, rounds, "header+/tls -> header+na, /noise -> echo");
            assertTrue(dialerTail.exceptions.isEmpty() && listenerTail.exceptions.isEmpty());

            // The channel now belongs to the next stage on both sides.
            dialer.writeOutbound(Unpooled.copiedBuffer("ping", StandardCharsets.UTF_8));
            listener.writeOutbound(Unpooled.copiedBuffer("pong", StandardCharsets.UTF_8));
            shuttle(dialer, listener);
            shuttle(listener, dialer);
            assertEquals("ping", listenerNext.receivedText());
            assertEquals("pong", dialerNext.receivedText());
        } finally {
            dialer.finishAndReleaseAll();
            listener.finishAndReleaseAll();
        }
    }

    @Test
    void dialerDataPipelinedAfterItsProposalReachesTheListenerNextStage() {
        Recorder listenerNext = new Recorder();
        Outcome dialerOutcome = new Outcome();
        Outcome listenerOutcome = new Outcome(listenerNext);
        EmbeddedChannel dialer = new EmbeddedChannel(
                new MultistreamDialerHandler(List.of("/noise"), 10_000, dialerOutcome));
        EmbeddedChannel listener = new EmbeddedChannel(
                new MultistreamListenerHandler(List.of("/noise"), 10_000, listenerOutcome));
        try {
            // optimistic: the dialer's next stage writes before the echo came back
            dialer.writeOutbound(Unpooled.copiedBuffer("early", StandardCharsets.UTF_8));
            shuttle(dialer, listener);
            shuttle(listener, dialer);
            assertEquals("/noise", listenerOutcome.protocol);
            assertEquals("/noise", dialerOutcome.protocol);
            assertEquals("early", listenerNext.receivedText());
        } finally {
            dialer.finishAndReleaseAll();
            listener.finishAndReleaseAll();
        }
    }
}
