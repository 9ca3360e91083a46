package io.crossdial.multistream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.util.List;
import java.util.Objects;

/**
 * The dialer (proposing) side of multistream-select 1.0 (libp2p/specs {@code connections/README.md},
 * "Protocol Negotiation"): proposes protocol IDs in preference order until the listener echoes one.
 *
 * <pre>
 *   dialer                                  listener
 *   header + proposal[0]   (one write) --&gt;
 *                                       &lt;-- header
 *                                       &lt;-- na            (not supported)
 *   proposal[1]                         --&gt;
 *                                       &lt;-- proposal[1]   (echo: agreed)
 *   ... bytes of the negotiated protocol ...
 * </pre>
 *
 * The header and first proposal are pipelined: written and flushed together as soon as the channel is
 * active (on {@code channelActive}, or in {@code handlerAdded} if it already is), without waiting for the
 * listener's header. States: {@code IDLE -> AWAIT_HEADER -> AWAIT_RESPONSE -> DONE}, and the terminal
 * {@code FAILED} from any of them.
 *
 * <p>On success the {@link NegotiationListener} is called on the event loop, then this handler removes
 * itself and passes the bytes already read beyond the listener's echo to the next handler. On failure it
 * calls {@link NegotiationListener#onFailed}, fires {@code exceptionCaught} with a
 * {@link MultistreamException}, and closes the channel: for an invalid or oversized message, a first
 * message other than the header, a response that is neither {@code na} nor the echo of the current
 * proposal ({@code UNEXPECTED_MESSAGE}), {@code na} to the last proposal ({@code NO_PROTOCOL_IN_COMMON}),
 * end of input, or the timeout (scheduled on {@code ctx.executor()} when negotiation starts, cancelled on
 * completion or removal).
 *
 * <p>Reference counting: see {@link NegotiationHandler}; outbound buffers are allocated from
 * {@code ctx.alloc()} and handed to {@code ctx.writeAndFlush}, which owns them.
 *
 * <p>Not sharable; one instance per channel, used only on its event loop.
 */
public final class MultistreamDialerHandler extends NegotiationHandler {
    /** Dialer states. */
    enum State {
        /** Channel not active yet; nothing sent. */
        IDLE,
        /** Header and first proposal sent; waiting for the listener's header. */
        AWAIT_HEADER,
        /** Waiting for the listener's answer (echo or {@code na}) to {@code protocols[next]}. */
        AWAIT_RESPONSE,
        /** A protocol was agreed (terminal). */
        DONE,
        /** The negotiation failed (terminal). */
        FAILED
    }

    /**
     * Where a dialer picks up the negotiation. Simultaneous-open resolution ({@code specs/simopen.md}) hands
     * the connection to a dialer after the headers were already exchanged.
     */
    public enum Start {
        /** Nothing sent yet: write the header and the first proposal together (the normal case). */
        HEADER_AND_PROPOSAL,
        /** Headers already exchanged: write the first proposal only. */
        PROPOSAL,
        /** Headers exchanged and the first proposal already written: wait for its answer. */
        AWAIT_FIRST_ANSWER
    }

    private final List<String> protocols;
    private final Start startAt;
    private State state = State.IDLE;
    private int current;

    /**
     * @param protocols the protocol IDs to propose, most preferred first; 1 to
     *     {@link MultistreamSelect#MAX_PROPOSALS} valid IDs (start with {@code '/'}, no newline, at most
     *     1023 UTF-8 bytes)
     * @param timeoutMillis the time allowed from channel activation to agreement, positive
     * @param listener told the outcome
     * @throws IllegalArgumentException for an empty or too long list, an invalid protocol ID (not starting
     *     with {@code '/'}, a newline, more than 1023 UTF-8 bytes), or a non-positive timeout
     */
    public MultistreamDialerHandler(List<String> protocols, long timeoutMillis, NegotiationListener listener) {
        this(protocols, Start.HEADER_AND_PROPOSAL, timeoutMillis, listener);
    }

    /**
     * A dialer that picks up a negotiation at {@code startAt}.
     *
     * @param protocols as in {@link #MultistreamDialerHandler(List, long, NegotiationListener)}
     * @param startAt what was already exchanged
     * @param timeoutMillis the time allowed from channel activation (or from being added) to agreement
     * @param listener told the outcome
     * @throws IllegalArgumentException for an empty or too long list, an invalid protocol ID (not starting
     *     with {@code '/'}, a newline, more than 1023 UTF-8 bytes), or a non-positive timeout
     */
    public MultistreamDialerHandler(List<String> protocols, Start startAt, long timeoutMillis,
            NegotiationListener listener) {
        super("dialer", timeoutMillis, listener);
        this.startAt = Objects.requireNonNull(startAt, "startAt");
        this.protocols = List.copyOf(protocols);
        if (this.protocols.isEmpty() || this.protocols.size() > MultistreamSelect.MAX_PROPOSALS) {
            throw new IllegalArgumentException("between 1 and " + MultistreamSelect.MAX_PROPOSALS
                    + " protocols must be proposed, not " + this.protocols.size());
        }
        MultistreamSelect.checkProtocolIds(this.protocols);
    }

    @Override
    void start(ChannelHandlerContext ctx) {
        if (startAt == Start.AWAIT_FIRST_ANSWER) {
            transition(State.IDLE, State.AWAIT_RESPONSE);
            return;
        }
        Message.Protocol first = new Message.Protocol(protocols.get(0));
        ByteBuf buf = ctx.alloc().buffer();
        if (startAt == Start.HEADER_AND_PROPOSAL) {
            transition(State.IDLE, State.AWAIT_HEADER);
            Message.HEADER.encode(buf);
            logSent(ctx, Message.HEADER);
        } else {
            transition(State.IDLE, State.AWAIT_RESPONSE);
        }
        first.encode(buf);
        logSent(ctx, first);
        send(ctx, buf);
    }

    @Override
    void handle(ChannelHandlerContext ctx, ByteBuf in) {
        while (state == State.AWAIT_HEADER || state == State.AWAIT_RESPONSE) {
            ByteBuf frame = MultistreamFrames.readFrame(in, MultistreamSelect.MAX_MESSAGE_BYTES);
            if (frame == null) {
                return;
            }
            Message m = Message.parse(frame);
            logReceived(ctx, m);
            if (state == State.AWAIT_HEADER) {
                if (!(m instanceof Message.Header)) {
                    throw unexpected("expected the header " + MultistreamSelect.PROTOCOL_ID + ", got " + m);
                }
                transition(State.AWAIT_HEADER, State.AWAIT_RESPONSE);
            } else if (m instanceof Message.Na) {
                current++;
                if (current == protocols.size()) {
                    throw new MultistreamException(MultistreamException.Reason.NO_PROTOCOL_IN_COMMON,
                            "no protocol in common: proposed " + protocols);
                }
                Message.Protocol next = new Message.Protocol(protocols.get(current));
                ByteBuf buf = ctx.alloc().buffer();
                next.encode(buf);
                logSent(ctx, next);
                send(ctx, buf);
            } else if (m instanceof Message.Protocol p && p.id().equals(protocols.get(current))) {
                succeed(ctx, p.id());
                return;
            } else {
                throw unexpected("expected an echo of " + protocols.get(current) + " or na, got " + m);
            }
        }
    }

    private static MultistreamException unexpected(String detail) {
        return new MultistreamException(MultistreamException.Reason.UNEXPECTED_MESSAGE, detail);
    }

    private void transition(State from, State to) {
        if (state != from) {
            throw new IllegalStateException("dialer in state " + state + ", expected " + from);
        }
        state = to;
    }

    @Override
    boolean negotiating() {
        return state != State.DONE && state != State.FAILED;
    }

    @Override
    void enterFailed() {
        state = State.FAILED;
    }

    @Override
    void enterDone() {
        transition(State.AWAIT_RESPONSE, State.DONE);
    }

    @Override
    String stateName() {
        return state.name();
    }

    /** @return the current state (for tests) */
    State state() {
        return state;
    }
}
