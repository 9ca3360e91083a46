package io.crossdial.simopen;

import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.StageTimer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stands where the security handshake starts on a dial from a listen port whose multistream round looked
 * ordinary (the remote's {@code header, /noise} arrived where the echo was expected), and tells a listener
 * from a stock dialer in a TCP simultaneous open ({@code specs/simopen.md}, case 6).
 *
 * <p>A Noise XX responder never speaks first, and a TLS server never sends before the ClientHello. So any
 * byte that arrives here, before we sent our first handshake message, is the remote's first message as an
 * initiator: the remote is a dialer too, and this side must be the responder. Bytes that came with the
 * answer (a lazy dialer, rust-libp2p's V1Lazy, sends message 1 without waiting for the echo) arrive at once;
 * a dialer that waits for the echo (go, js) sends message 1 about one round trip after our proposal, so the
 * probe waits {@code holdMillis} for it when the answer came suspiciously soon ({@link StockDialerHold}).
 *
 * <pre>
 *  bytes arrive before the decision   -> RESPONDER: the listener installs the security responder after this
 *                                        handler; this handler removes itself and forwards the bytes to it
 *  holdMillis pass with no byte       -> INITIATOR: the security initiator is installed and sends message 1
 *  holdMillis == 0                    -> decides at the next turn of the event loop, after the bytes the
 *                                        multistream dialer read past the echo were forwarded here
 * </pre>
 *
 * <p>States: {@code WAITING -> DECIDED}. The channel closing while waiting cancels the wait; the upgrader
 * reports the closed connection. Reference counting: bytes stay in the {@link ByteToMessageDecoder}
 * cumulation, which is forwarded on removal. Not sharable; event-loop confined.
 */
public final class StockDialerProbe extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(StockDialerProbe.class);

    /** Told the decision, on the event loop, before the probe removes itself. */
    @FunctionalInterface
    public interface Decision {
        /**
         * Install the security handshake in {@code role} right after the probe (bytes the probe holds are
         * forwarded to it next).
         *
         * @param ctx the probe's context
         * @param role {@link Role#RESPONDER} when the remote's first handshake message arrived, else
         *     {@link Role#INITIATOR}
         * @param waitedNanos from the probe's start to the decision, ns
         */
        void decided(ChannelHandlerContext ctx, Role role, long waitedNanos);
    }

    private final long holdMillis;
    private final StageTimer hold;
    private final Decision decision;
    private long startNanos;
    private boolean decided;

    /**
     * @param holdMillis how long to wait for the remote's first handshake message, ms, >= 0
     * @param decision told the outcome
     * @throws IllegalArgumentException for a negative hold
     */
    public StockDialerProbe(long holdMillis, Decision decision) {
        if (holdMillis < 0) {
            throw new IllegalArgumentException("holdMillis must be >= 0: " + holdMillis);
        }
        this.holdMillis = holdMillis;
        this.hold = holdMillis == 0 ? null : new StageTimer(holdMillis, "holdMillis");
        this.decision = Objects.requireNonNull(decision);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        startNanos = System.nanoTime();
        if (holdMillis == 0) {
            ctx.executor().execute(() -> decide(ctx, Role.INITIATOR));
        } else {
            LOG.debug("{} holding the security handshake up to {} ms for a stock dialer's first message",
                    ctx.channel(), holdMillis);
            hold.start(ctx, () -> decide(ctx, Role.INITIATOR));
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.isReadable() && !decided) {
            if (LOG.isDebugEnabled()) {
                LOG.debug("{} << {} byte(s) before our first handshake message ({}...): a stock dialer; going on"
                        + " as responder", ctx.channel(), in.readableBytes(),
                        io.netty.buffer.ByteBufUtil.hexDump(in, in.readerIndex(), Math.min(8, in.readableBytes())));
            }
            decide(ctx, Role.RESPONDER);
        }
    }

    private void decide(ChannelHandlerContext ctx, Role role) {
        if (decided || ctx.isRemoved() || !ctx.channel().isActive()) {
            return;
        }
        decided = true;
        cancelTimer();
        decision.decided(ctx, role, System.nanoTime() - startNanos);
        if (!ctx.isRemoved()) {
            ctx.pipeline().remove(this);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelTimer();
        super.channelInactive(ctx);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        cancelTimer();
    }

    private void cancelTimer() {
        if (hold != null) {
            hold.cancel();
        }
    }
}
