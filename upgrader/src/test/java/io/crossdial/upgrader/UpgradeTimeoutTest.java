package io.crossdial.upgrader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.Role;
import io.crossdial.multistream.MultistreamException;
import io.crossdial.security.noise.NoiseException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every upgrade timeout on the channel's own clock ({@code EmbeddedChannel.freezeTime}/{@code advanceTimeBy}):
 * nothing fires one millisecond early, the failure names the stage and the limit, and the channel closes.
 */
class UpgradeTimeoutTest {
    private static final PrivateKey KEY = Keys.generateEd25519();
    /** multistream header and the /noise proposal, as the dialer pipelines them. */
    private static final String HEADER_AND_NOISE = "132f6d756c746973747265616d2f312e302e300a" + "072f6e6f6973650a";

    private EmbeddedChannel ch;

    @AfterEach
    void finish() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    private Future<UpgradedConnection> upgrade(UpgraderConfig config, Role role) {
        ch = new EmbeddedChannel();
        ch.freezeTime();
        return new Upgrader(config).upgrade(ch, role, null, new ChannelInboundHandlerAdapter());
    }

    private String outboundHex() {
        StringBuilder sb = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            sb.append(ByteBufUtil.hexDump((ByteBuf) o));
            ReferenceCountUtil.release(o);
        }
        return sb.toString();
    }

    private UpgradeException expireAfter(Future<UpgradedConnection> f, long millis) {
        ch.advanceTimeBy(millis - 1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(f.isDone(), "not one millisecond early");
        assertTrue(ch.isOpen());
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(f.isDone());
        assertFalse(ch.isOpen(), "the channel is closed");
        return assertInstanceOf(UpgradeException.class, f.cause());
    }

    @Test
    void aSilentListenerFailsTheDialerWithTheNegotiationTimeout() {
        Future<UpgradedConnection> f = upgrade(UpgraderLoopbackTest.config(KEY).negotiationTimeoutMillis(300).build(),
                Role.INITIATOR);
        assertEquals(HEADER_AND_NOISE, outboundHex(), "the dialer sends the header and /noise pipelined");
        UpgradeException e = expireAfter(f, 300);
        assertEquals(UpgradeStage.SECURITY_NEGOTIATION, e.stage());
        assertTrue(e.getMessage().startsWith("failed to negotiate security protocol: multistream-select: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("timed out after 300 ms"), e.getMessage());
        assertEquals(MultistreamException.Reason.TIMEOUT,
                assertInstanceOf(MultistreamException.class, e.getCause()).reason());
    }

    @Test
    void aSilentDialerFailsTheListenerWithTheNegotiationTimeout() {
        Future<UpgradedConnection> f = upgrade(UpgraderLoopbackTest.config(KEY).negotiationTimeoutMillis(300).build(),
                Role.RESPONDER);
        assertEquals("", outboundHex(), "the listener speaks only after the dialer's header");
        UpgradeException e = expireAfter(f, 300);
        assertEquals(UpgradeStage.SECURITY_NEGOTIATION, e.stage());
        assertTrue(e.getMessage().startsWith("failed to negotiate security protocol: multistream-select: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("timed out after 300 ms"), e.getMessage());
    }

    @Test
    void theSecurityHandshakeTimeoutNamesTheHandshakeStage() {
        Future<UpgradedConnection> f = upgrade(UpgraderLoopbackTest.config(KEY).handshakeTimeoutMillis(300).build(),
                Role.INITIATOR);
        assertEquals(HEADER_AND_NOISE, outboundHex());
        ch.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(HEADER_AND_NOISE)));
        String m1 = outboundHex();
        assertEquals("0020", m1.substring(0, 4), "Noise message 1 (32-byte ephemeral key) went out: " + m1);
        UpgradeException e = expireAfter(f, 300);
        assertEquals(UpgradeStage.SECURITY_HANDSHAKE, e.stage());
        assertTrue(e.getMessage().startsWith(
                "failed to complete security handshake: noise: handshake timed out after 300"), e.getMessage());
        assertEquals(NoiseException.Reason.TIMEOUT, assertInstanceOf(NoiseException.class, e.getCause()).reason());
    }

    @Test
    void theWholeUpgradeTimeoutFiresBeforeTheStageTimeouts() {
        Future<UpgradedConnection> f = upgrade(UpgraderLoopbackTest.config(KEY).upgradeTimeoutMillis(300).build(),
                Role.INITIATOR);
        outboundHex();
        UpgradeException e = expireAfter(f, 300);
        assertEquals(UpgradeStage.SECURITY_NEGOTIATION, e.stage());
        assertEquals("failed to negotiate security protocol: upgrade timed out after 300 ms", e.getMessage());
        assertNull(e.getCause());
    }
}
