package io.crossdial.simopen;

import static io.crossdial.simopen.SimopenTestSupport.HEADER_HEX;
import static io.crossdial.simopen.SimopenTestSupport.INITIATOR_HEX;
import static io.crossdial.simopen.SimopenTestSupport.NOISE_HEX;
import static io.crossdial.simopen.SimopenTestSupport.POISON_HEX;
import static io.crossdial.simopen.SimopenTestSupport.TIMEOUT_MILLIS;
import static io.crossdial.simopen.SimopenTestSupport.hex;
import static io.crossdial.simopen.SimopenTestSupport.nonces;
import static io.crossdial.simopen.SimopenTestSupport.readAllOutboundHex;
import static io.crossdial.simopen.SimopenTestSupport.selectHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.simopen.SimopenTestSupport.Negotiations;
import io.crossdial.simopen.SimopenTestSupport.Tail;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A {@link RoleResolutionListener} that throws (say, a connection manager refusing the connection) is a
 * local failure: it must fail the resolution like any other (SimopenException via exceptionCaught, channel
 * closed), not leave the handler in DONE on an open channel, its timeout cancelled, buffering every further
 * inbound byte.
 */
class SimopenResolutionListenerFailureTest {
    private final Tail tail = new Tail();
    private final Negotiations negotiations = new Negotiations();
    private final List<ByteBuf> handedOut = new ArrayList<>();
    private EmbeddedChannel ch;

    private void dial(LongSupplier nonces) {
        ch = new EmbeddedChannel();
        ch.pipeline().addLast("simopen", new SimopenDialerHandler(SimopenMode.POISON_BYTE, List.of("/noise"),
                TIMEOUT_MILLIS, nonces, (ctx, result) -> {
                    throw new IllegalStateException("connection manager refused " + result);
                }, negotiations)).addLast("tail", tail);
        readAllOutboundHex(ch);
    }

    private void read(String hex) {
        ByteBuf buf = hex(hex);
        handedOut.add(buf);
        ch.writeInbound(buf);
    }

    @AfterEach
    void finish() {
        ch.finishAndReleaseAll();
        for (ByteBuf buf : handedOut) {
            assertEquals(0, buf.refCnt(), "inbound buffer not released");
        }
    }

    private void assertFailedAndClosed() {
        SimopenException e = tail.onlyFailure(SimopenException.class);
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertFalse(ch.isOpen(), "a local failure must not leave the connection hanging");
        assertNull(ch.pipeline().get(SimopenDialerHandler.class));
        assertTrue(negotiations.protocols.isEmpty(), "no next stage ran");
        assertEquals("", tail.receivedHex(), "nothing is forwarded");
        assertEquals(List.of(), readAllOutboundHex(ch));
    }

    @Test
    void failsAndClosesWhenTheListenerThrowsOnAnOrdinaryDial() {
        dial(nonces());
        read(HEADER_HEX + NOISE_HEX + "6578747261");
        assertFailedAndClosed();
    }

    @Test
    void failsAndClosesWhenTheListenerThrowsOnASimultaneousOpen() {
        dial(nonces(3));
        read(POISON_HEX + HEADER_HEX + selectHex(9));
        readAllOutboundHex(ch);
        read(INITIATOR_HEX + NOISE_HEX);
        assertFailedAndClosed();
    }
}
