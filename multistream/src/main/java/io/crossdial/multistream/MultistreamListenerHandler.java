package io.crossdial.multistream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The listener (answering) side of multistream-select 1.0 (libp2p/specs {@code connections/README.md},
 * "Protocol Negotiation"; {@code ls} from multiformats/multistream-select {@code README.md}).
 *
 * <pre>
 *   dialer                                  listener
 *   header                              --&gt;
 *                                       &lt;-- header      (written on the dialer's header)
 *   /tls/1.0.0                          --&gt;
 *                                       &lt;-- na
 *   ls                                  --&gt;
 *                                       &lt;-- ls response (see {@link Message})
 *   /noise                              --&gt;
 *                                       &lt;-- /noise      (echo: agreed)
 * </pre>
 *
 * The first message must be the header; the listener answers it with its own header, then answers each
 * proposal with an echo (agreement, ends the negotiation) or {@code na}, and each {@code ls} with the list
 * of supported protocols (as many as fit in one {@link MultistreamSelect#MAX_MESSAGE_BYTES} message).
 * Everything the dialer sent in one read (a pipelined header and proposal, even followed by data of the
 * negotiated protocol) is answered in one write, header first. A repeated header is answered {@code na}.
 * States: {@code AWAIT_HEADER -> AWAIT_PROPOSAL -> DONE}, and the terminal {@code FAILED}.
 *
 * <p>On success the {@link NegotiationListener} is called on the event loop after the echo was written
 * and flushed, then this handler removes itself and passes the bytes already read beyond the agreed
 * proposal to the next handler. On failure it calls {@link NegotiationListener#onFailed}, fires
 * {@code exceptionCaught} with a {@link MultistreamException}, and closes the channel, without writing
 * anything more: for an invalid or oversized message, a first message other than the header, a
 * {@code na} or non-protocol text in place of a proposal ({@code UNEXPECTED_MESSAGE}), more than
 * {@link MultistreamSelect#MAX_PROPOSALS} proposals, end of input, or the timeout (scheduled on
 * {@code ctx.executor()} once the channel is active, cancelled on completion or removal).
 *
 * <p>Reference counting: see {@link NegotiationHandler}; answers are built in one buffer from
 * {@code ctx.alloc()} per read, handed to {@code ctx.writeAndFlush}, or released on failure.
 *
 * <p>Not sharable; one instance per channel, used only on its event loop. The predicate and supplier are
 * called on the event loop and must not block.
 */
public final class MultistreamListenerHandler extends NegotiationHandler {
    /** Listener states. */
    enum State {
        /** Waiting for the dialer's header; nothing sent. */
        AWAIT_HEADER,
        /** Header answered; waiting for a proposal or {@code ls}. */
        AWAIT_PROPOSAL,
        /** A protocol was agreed (terminal). */
        DONE,
        /** The negotiation failed (terminal). */
        FAILED
    }

    private final Predicate<String> supported;
    private final Supplier<List<String>> listing;
    private State state = State.AWAIT_HEADER;
    private int proposals;

    /**
     * A listener for a fixed set of protocols; {@code ls} lists them in this order.
     *
     * @param supported the supported protocol IDs, each valid (starts with {@code '/'}, no newline, at most
     *     1023 UTF-8 bytes); may be empty (then every proposal is answered {@code na})
     * @param timeoutMillis the time allowed from channel activation to agreement, positive
     * @param listener told the outcome
     * @throws IllegalArgumentException for a non-positive timeout or an invalid protocol ID
     */
    public MultistreamListenerHandler(List<String> supported, long timeoutMillis, NegotiationListener listener) {
        this(Set.copyOf(checkIds(supported))::contains, listingOf(supported), timeoutMillis, listener);
    }

    /**
     * A listener backed by a protocol registry.
     *
     * @param supported tells whether a proposed protocol ID is supported; an exception it throws fails the
     *     negotiation
     * @param listing the protocol IDs to answer {@code ls} with, in order, each valid; asked on each
     *     {@code ls}
     * @param timeoutMillis the time allowed from channel activation to agreement, positive
     * @param listener told the outcome
     * @throws IllegalArgumentException for a non-positive timeout
     */
    public MultistreamListenerHandler(Predicate<String> supported, Supplier<List<String>> listing,
            long timeoutMillis, NegotiationListener listener) {
        this(supported, listing, false, timeoutMillis, listener);
    }

    /**
     * A listener that picks up a negotiation whose headers were already exchanged (after
     * simultaneous-open resolution, {@code specs/simopen.md}): it expects proposals at once.
     *
     * @param supported the supported protocol IDs, each valid
     * @param headerExchanged true when both headers were already sent and received
     * @param timeoutMillis the time allowed from channel activation (or from being added) to agreement
     * @param listener told the outcome
     * @throws IllegalArgumentException for a non-positive timeout or an invalid protocol ID
     */
    public MultistreamListenerHandler(List<String> supported, boolean headerExchanged, long timeoutMillis,
            NegotiationListener listener) {
        this(Set.copyOf(checkIds(supported))::contains, listingOf(supported), headerExchanged, timeoutMillis,
                listener);
    }

    private MultistreamListenerHandler(Predicate<String> supported, Supplier<List<String>> listing,
            boolean headerExchanged, long timeoutMillis, NegotiationListener listener) {
        super("listener", timeoutMillis, listener);
        this.state = headerExchanged ? State.AWAIT_PROPOSAL : State.AWAIT_HEADER;
        this.supported = Objects.requireNonNull(supported, "supported");
        this.listing = Objects.requireNonNull(listing, "listing");
    }

    private static List<String> checkIds(List<String> ids) {
        MultistreamSelect.checkProtocolIds(ids);
        return ids;
    }

    private static Supplier<List<String>> listingOf(List<String> ids) {
        List<String> copy = List.copyOf(ids);
        return () -> copy;
    }

    @Override
    void start(ChannelHandlerContext ctx) {
        // The listener speaks only after the dialer's header.
    }

    @Override
    void handle(ChannelHandlerContext ctx, ByteBuf in) {
        ByteBuf reply = null;
        try {
            while (state == State.AWAIT_HEADER || state == State.AWAIT_PROPOSAL) {
                ByteBuf frame = MultistreamFrames.readFrame(in, MultistreamSelect.MAX_MESSAGE_BYTES);
                if (frame == null) {
                    break;
                }
                Message m = Message.parse(frame);
                logReceived(ctx, m);
                if (state == State.AWAIT_HEADER) {
                    if (!(m instanceof Message.Header)) {
                        throw unexpected("expected the header " + MultistreamSelect.PROTOCOL_ID + ", got " + m);
                    }
                    reply = append(ctx, reply, Message.HEADER);
                    state = State.AWAIT_PROPOSAL;
                    continue;
                }
                if (++proposals > MultistreamSelect.MAX_PROPOSALS) {
                    throw new MultistreamException(MultistreamException.Reason.TOO_MANY_PROPOSALS,
                            "more than " + MultistreamSelect.MAX_PROPOSALS + " proposals");
                }
                if (m instanceof Message.Protocol p) {
                    if (isSupported(p.id())) {
                        reply = append(ctx, reply, p);
                        ByteBuf toSend = reply;
                        reply = null;
                        send(ctx, toSend);
                        succeed(ctx, p.id());
                        return;
                    }
                    reply = append(ctx, reply, Message.NA);
                } else if (m instanceof Message.Header) {
                    reply = append(ctx, reply, Message.NA);
                } else if (m instanceof Message.Ls) {
                    reply = append(ctx, reply, Message.LsResponse.fitting(list()));
                } else {
                    throw unexpected("expected a protocol ID or ls, got " + m);
                }
            }
            if (reply != null) {
                ByteBuf toSend = reply;
                reply = null;
                send(ctx, toSend);
            }
        } finally {
            if (reply != null) {
                reply.release();
            }
        }
    }

    private boolean isSupported(String id) {
        try {
            return supported.test(id);
        } catch (RuntimeException e) {
            throw new MultistreamException(MultistreamException.Reason.LOCAL_FAILURE,
                    "protocol predicate failed for " + id, e);
        }
    }

    private List<String> list() {
        try {
            return listing.get();
        } catch (RuntimeException e) {
            throw new MultistreamException(MultistreamException.Reason.LOCAL_FAILURE, "ls supplier failed", e);
        }
    }

    private ByteBuf append(ChannelHandlerContext ctx, ByteBuf reply, Message m) {
        ByteBuf buf = reply != null ? reply : ctx.alloc().buffer();
        m.encode(buf);
        logSent(ctx, m);
        return buf;
    }

    private static MultistreamException unexpected(String detail) {
        return new MultistreamException(MultistreamException.Reason.UNEXPECTED_MESSAGE, detail);
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
        if (state != State.AWAIT_PROPOSAL) {
            throw new IllegalStateException("listener in state " + state + ", expected AWAIT_PROPOSAL");
        }
        state = State.DONE;
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
