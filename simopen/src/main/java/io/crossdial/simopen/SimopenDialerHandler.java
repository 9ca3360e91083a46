package io.crossdial.simopen;

import io.crossdial.core.spi.ConnectionAttributes;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.StageTimer;
import io.crossdial.core.spi.UrgentDataChannel;
import io.crossdial.multistream.Message;
import io.crossdial.multistream.MultistreamDialerHandler;
import io.crossdial.multistream.MultistreamException;
import io.crossdial.multistream.MultistreamFrames;
import io.crossdial.multistream.MultistreamListenerHandler;
import io.crossdial.multistream.MultistreamSelect;
import io.crossdial.multistream.NegotiationListener;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first stage of a connection dialed from a listen port: it starts multistream-select as a dialer,
 * recognises a TCP simultaneous open from the first bytes that arrive, resolves the roles in-band, and hands
 * the connection to a multistream dialer or listener in the resolved role ({@code specs/simopen.md}).
 *
 * <pre>
 *  ordinary dial (POISON_BYTE mode)         simultaneous open, both crossdial (POISON_BYTE mode)
 *  A (dialer)           B (listener)         A                                   B
 *  URG 00, hdr, /noise -->                   URG 00, hdr, /noise  --&gt;  &lt;--  URG 00, hdr, /noise
 *              &lt;-- hdr, /noise (echo)     first byte 00: detected               first byte 00: detected
 *  (hand over: dialer awaiting the echo)     /libp2p/simultaneous-connect,       /libp2p/simultaneous-connect,
 *                                            select:N                  --&gt;  &lt;--  select:M
 *                                            N &gt; M: initiator, /noise  --&gt;  &lt;--  responder
 *                                            (dialer awaiting the echo)          (listener, headers exchanged)
 * </pre>
 *
 * In {@link SimopenMode#SPEC} mode the first write is {@code hdr, /libp2p/simultaneous-connect, /noise}; a
 * listener answers {@code hdr, na, <echo>}; a spec dialer answers with the same proposal, which is the
 * detection; then both send {@code select:<n>}. In both modes the handler reads and drops the remote's
 * pipelined proposals (at most {@value SimultaneousConnect#MAX_DISCARDED_MESSAGES}) before its
 * {@code select:}; equal numbers are drawn again (at most {@value SimultaneousConnect#MAX_SELECT_ROUNDS}
 * rounds); the higher number sends {@code initiator} (pipelined with its first proposal), the lower
 * {@code responder}; each checks the other's claim.
 *
 * <p>States: {@code IDLE -> AWAIT_FIRST_BYTE -> AWAIT_HEADER -> AWAIT_FIRST_ANSWER -> DONE} for an ordinary
 * dial; {@code ... -> AWAIT_SELECT -> AWAIT_ROLE -> DONE} for a simultaneous open; {@code FAILED} is
 * terminal. On DONE it calls the {@link RoleResolutionListener}, replaces itself with the next stage and
 * forwards the bytes it read ahead. On failure it fires {@code exceptionCaught} with a
 * {@link SimopenException} (or the {@link MultistreamException} of a malformed message) and closes.
 *
 * <p>Reference counting: inbound bytes stay in the {@link ByteToMessageDecoder} cumulation; outbound buffers
 * go to {@code ctx.writeAndFlush}. Not sharable; event-loop confined.
 */
public final class SimopenDialerHandler extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(SimopenDialerHandler.class);

    enum State { IDLE, AWAIT_FIRST_BYTE, AWAIT_HEADER, AWAIT_FIRST_ANSWER, AWAIT_SELECT, AWAIT_ROLE, DONE, FAILED }

    private final SimopenMode mode;
    private final List<String> protocols;
    private final long timeoutMillis;
    private final LongSupplier nonces;
    private final RoleResolutionListener resolution;
    private final NegotiationListener negotiation;

    private State state = State.IDLE;
    private Detection detection = Detection.NONE;
    private Role role;
    private long localNonce;
    private long remoteNonce;
    private int rounds;
    private int discarded;
    private long startNanos;
    private long answerNanos = -1;
    private final StageTimer timeout;

    /**
     * @param mode {@link SimopenMode#POISON_BYTE} or {@link SimopenMode#SPEC}
     * @param protocols the security protocol IDs to propose, preferred first
     * @param timeoutMillis the time allowed from channel activation to the resolution, > 0; the next stage
     *     has its own timeout
     * @param nonces draws the {@code select:} numbers (a {@code SecureRandom}'s {@code nextLong} in
     *     production; fixed values in tests)
     * @param resolution told the resolved role before the next stage is installed; an exception it throws
     *     fails the resolution (a {@link SimopenException} with that cause, and the channel is closed)
     * @param negotiation handed to the next multistream stage, told the agreed security protocol
     * @throws IllegalArgumentException for mode OFF, no or an invalid protocol ID, or a non-positive timeout
     */
    public SimopenDialerHandler(SimopenMode mode, List<String> protocols, long timeoutMillis, LongSupplier nonces,
            RoleResolutionListener resolution, NegotiationListener negotiation) {
        if (mode == SimopenMode.OFF) {
            throw new IllegalArgumentException("SimopenDialerHandler needs mode POISON_BYTE or SPEC");
        }
        if (protocols.isEmpty()) {
            throw new IllegalArgumentException("at least one protocol is required");
        }
        this.timeout = new StageTimer(timeoutMillis, "timeoutMillis");
        this.mode = Objects.requireNonNull(mode);
        this.protocols = List.copyOf(protocols);
        this.timeoutMillis = timeoutMillis;
        this.nonces = Objects.requireNonNull(nonces);
        this.resolution = Objects.requireNonNull(resolution);
        this.negotiation = Objects.requireNonNull(negotiation);
        MultistreamSelect.checkProtocolIds(this.protocols);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        if (ctx.channel().isActive()) {
            begin(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        begin(ctx);
        super.channelActive(ctx);
    }

    private void begin(ChannelHandlerContext ctx) {
        if (state != State.IDLE) {
            return;
        }
        startNanos = System.nanoTime();
        state = State.AWAIT_FIRST_BYTE;
        timeout.start(ctx, () -> fail(ctx, new SimopenException(SimopenException.Reason.TIMEOUT,
                "role resolution timed out after " + timeoutMillis + " ms (" + state + ")")));
        if (mode == SimopenMode.POISON_BYTE && ctx.channel() instanceof UrgentDataChannel urgent) {
            try {
                urgent.sendUrgentByte(SimultaneousConnect.POISON_BYTE);
                LOG.debug("{} >> URG 0x00 (poison byte)", ctx.channel());
            } catch (IOException e) {
                LOG.debug("{} cannot send the poison byte: {}", ctx.channel(), e.getMessage());
            }
        }
        ByteBuf out = ctx.alloc().buffer();
        Message.HEADER.encode(out);
        if (mode == SimopenMode.SPEC) {
            new Message.Protocol(SimultaneousConnect.PROTOCOL_ID).encode(out);
        }
        new Message.Protocol(protocols.get(0)).encode(out);
        LOG.debug("{} >> header{}, protocol {} (one write)", ctx.channel(),
                mode == SimopenMode.SPEC ? ", protocol " + SimultaneousConnect.PROTOCOL_ID : "", protocols.get(0));
        send(ctx, out);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            step(ctx, in);
        } catch (SimopenException | MultistreamException e) {
            fail(ctx, e);
        }
        if (state == State.FAILED) {
            in.skipBytes(in.readableBytes());
        }
    }

    private void step(ChannelHandlerContext ctx, ByteBuf in) {
        while (state != State.DONE && state != State.FAILED && !ctx.isRemoved()) {
            switch (state) {
                case AWAIT_FIRST_BYTE -> {
                    if (!in.isReadable()) {
                        return;
                    }
                    answerNanos = System.nanoTime() - startNanos;
                    if (in.getUnsignedByte(in.readerIndex()) == SimultaneousConnect.POISON_BYTE) {
                        in.skipBytes(1);
                        detection = Detection.POISON_BYTE;
                        LOG.debug("{} << 0x00 (poison byte): simultaneous open", ctx.channel());
                    }
                    state = State.AWAIT_HEADER;
                }
                case AWAIT_HEADER -> {
                    Message m = next(in);
                    if (m == null) {
                        return;
                    }
                    LOG.debug("{} << {}", ctx.channel(), m);
                    if (!(m instanceof Message.Header)) {
                        throw new SimopenException(SimopenException.Reason.UNEXPECTED_MESSAGE,
                                "expected the header " + MultistreamSelect.PROTOCOL_ID
                                + ", got " + m);
                    }
                    if (detection == Detection.POISON_BYTE) {
                        startResolution(ctx, true);
                    } else {
                        state = State.AWAIT_FIRST_ANSWER;
                    }
                }
                case AWAIT_FIRST_ANSWER -> {
                    int mark = in.readerIndex();
                    Message m = next(in);
                    if (m == null) {
                        return;
                    }
                    if (m instanceof Message.Protocol p && p.id().equals(SimultaneousConnect.PROTOCOL_ID)) {
                        detection = Detection.SPEC_PROPOSAL;
                        LOG.debug("{} << {}: simultaneous open", ctx.channel(), m);
                        startResolution(ctx, false);
                    } else if (mode == SimopenMode.SPEC && m instanceof Message.Na) {
                        // The listener's answer to /libp2p/simultaneous-connect: an ordinary dial.
                        resolved(ctx, Role.INITIATOR);
                    } else {
                        // The answer to our first proposal: an ordinary dial; the dialer reads it again.
                        in.readerIndex(mark);
                        resolved(ctx, Role.INITIATOR);
                    }
                }
                case AWAIT_SELECT -> {
                    Message m = next(in);
                    if (m == null) {
                        return;
                    }
                    if (m instanceof Message.Other o && o.text().startsWith(SimultaneousConnect.SELECT_PREFIX)) {
                        onSelect(ctx, o.text());
                    } else if (m instanceof Message.Protocol && ++discarded <= SimultaneousConnect.MAX_DISCARDED_MESSAGES) {
                        LOG.debug("{} << {} (pipelined proposal, dropped)", ctx.channel(), m);
                    } else {
                        throw new SimopenException(SimopenException.Reason.UNEXPECTED_MESSAGE,
                                "expected select:<n>, got " + m);
                    }
                }
                case AWAIT_ROLE -> {
                    Message m = next(in);
                    if (m == null) {
                        return;
                    }
                    String expected = role == Role.INITIATOR ? SimultaneousConnect.RESPONDER
                            : SimultaneousConnect.INITIATOR;
                    if (!(m instanceof Message.Other o) || !o.text().equals(expected)) {
                        throw new SimopenException(SimopenException.Reason.ROLE_CONFLICT,
                                "we are " + role.name().toLowerCase() + " (select:"
                                + Long.toUnsignedString(localNonce) + " vs select:"
                                + Long.toUnsignedString(remoteNonce) + "), expected '" + expected + "', got " + m);
                    }
                    resolved(ctx, role);
                }
                default -> throw new IllegalStateException("state " + state);
            }
        }
    }

    private Message next(ByteBuf in) {
        ByteBuf frame = MultistreamFrames.readFrame(in, MultistreamSelect.MAX_MESSAGE_BYTES);
        return frame == null ? null : Message.parse(frame);
    }

    /** Both sides know: announce (poison mode only) and send our number. */
    private void startResolution(ChannelHandlerContext ctx, boolean announce) {
        ByteBuf out = ctx.alloc().buffer();
        if (announce && mode == SimopenMode.POISON_BYTE) {
            new Message.Protocol(SimultaneousConnect.PROTOCOL_ID).encode(out);
        }
        appendSelect(out);
        LOG.debug("{} >> {}select:{}", ctx.channel(), announce && mode == SimopenMode.POISON_BYTE
                ? "protocol " + SimultaneousConnect.PROTOCOL_ID + ", " : "", Long.toUnsignedString(localNonce));
        send(ctx, out);
        state = State.AWAIT_SELECT;
    }

    private void appendSelect(ByteBuf out) {
        rounds++;
        localNonce = nonces.getAsLong();
        new Message.Other(SimultaneousConnect.SELECT_PREFIX + Long.toUnsignedString(localNonce)).encode(out);
    }

    private void onSelect(ChannelHandlerContext ctx, String text) {
        String digits = text.substring(SimultaneousConnect.SELECT_PREFIX.length());
        if (digits.isEmpty() || digits.length() > 20 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new SimopenException(SimopenException.Reason.MALFORMED_SELECT,
                    "malformed '" + text + "': expected select:<unsigned 64-bit decimal>");
        }
        try {
            remoteNonce = Long.parseUnsignedLong(digits);
        } catch (NumberFormatException e) {
            throw new SimopenException(SimopenException.Reason.MALFORMED_SELECT,
                    "malformed '" + text + "': number out of range", e);
        }
        int cmp = Long.compareUnsigned(localNonce, remoteNonce);
        if (cmp == 0) {
            if (rounds >= SimultaneousConnect.MAX_SELECT_ROUNDS) {
                throw new SimopenException(SimopenException.Reason.TOO_MANY_TIES,
                        "equal select: numbers " + rounds + " times");
            }
            ByteBuf out = ctx.alloc().buffer();
            appendSelect(out);
            send(ctx, out);
            return;
        }
        role = cmp > 0 ? Role.INITIATOR : Role.RESPONDER;
        ByteBuf out = ctx.alloc().buffer();
        if (role == Role.INITIATOR) {
            new Message.Other(SimultaneousConnect.INITIATOR).encode(out);
            new Message.Protocol(protocols.get(0)).encode(out);
        } else {
            new Message.Other(SimultaneousConnect.RESPONDER).encode(out);
        }
        LOG.debug("{} << select:{} -> {}", ctx.channel(), Long.toUnsignedString(remoteNonce),
                role == Role.INITIATOR ? ">> initiator, protocol " + protocols.get(0) : ">> responder");
        send(ctx, out);
        state = State.AWAIT_ROLE;
    }

    private void resolved(ChannelHandlerContext ctx, Role resolvedRole) {
        Long connectNanos = ctx.channel().attr(ConnectionAttributes.CONNECT_NANOS).get();
        SimopenResult result = new SimopenResult(resolvedRole, detection, localNonce, remoteNonce, rounds,
                System.nanoTime() - startNanos, connectNanos == null ? -1 : connectNanos, answerNanos);
        LOG.debug("{} resolved: {}", ctx.channel(), result);
        try {
            resolution.onResolved(ctx, result);
        } catch (RuntimeException e) {
            // A local failure: fail (and close) like any other, rather than stay open in DONE.
            throw new SimopenException(SimopenException.Reason.LOCAL_FAILURE,
                    "role resolution listener failed after " + result, e);
        }
        state = State.DONE;
        timeout.cancel();
        ChannelHandler next;
        if (detection == Detection.NONE) {
            next = new MultistreamDialerHandler(protocols, MultistreamDialerHandler.Start.AWAIT_FIRST_ANSWER,
                    timeoutMillis, negotiation);
        } else if (resolvedRole == Role.INITIATOR) {
            // Our first proposal went out with 'initiator'; the responder's answer follows its 'responder'.
            next = new MultistreamDialerHandler(protocols, MultistreamDialerHandler.Start.AWAIT_FIRST_ANSWER,
                    timeoutMillis, negotiation);
        } else {
            next = new MultistreamListenerHandler(protocols, true, timeoutMillis, negotiation);
        }
        ctx.pipeline().replace(this, ctx.name(), next);
    }

    private void send(ChannelHandlerContext ctx, ByteBuf buf) {
        ctx.writeAndFlush(buf).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                fail(ctx, new SimopenException(SimopenException.Reason.LOCAL_FAILURE,
                        "write failed during role resolution", f.cause()));
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(ctx, new SimopenException(SimopenException.Reason.CONNECTION_CLOSED,
                "connection closed during role resolution (" + state + ")"));
        super.channelInactive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            fail(ctx, new SimopenException(SimopenException.Reason.CONNECTION_CLOSED,
                    "input closed during role resolution (" + state + ")"));
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        timeout.cancel();
    }

    private void fail(ChannelHandlerContext ctx, RuntimeException cause) {
        if (state == State.DONE || state == State.FAILED) {
            return;
        }
        state = State.FAILED;
        timeout.cancel();
        ctx.fireExceptionCaught(cause);
        ctx.close();
    }
}
