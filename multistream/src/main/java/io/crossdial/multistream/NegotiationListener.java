package io.crossdial.multistream;

import io.netty.channel.ChannelHandlerContext;

/**
 * Told the outcome of one multistream-select negotiation run by a {@link MultistreamDialerHandler} or
 * {@link MultistreamListenerHandler}. Both methods are called on the channel's event loop, at most one of
 * them and at most once.
 */
@FunctionalInterface
public interface NegotiationListener {
    /**
     * The negotiation succeeded. Called before the negotiating handler removes itself: install the next
     * stage here, typically with {@code ctx.pipeline().addAfter(ctx.name(), name, handler)}. Right after
     * this returns the negotiating handler removes itself and passes any bytes it already read beyond the
     * last negotiation message to the next inbound handler, so the new stage sees them as its first read.
     * If this method throws, the negotiation fails with {@link MultistreamException.Reason#LOCAL_FAILURE}.
     *
     * @param ctx the negotiating handler's context (its name locates the insertion point)
     * @param protocolId the protocol both sides agreed on
     */
    void onNegotiated(ChannelHandlerContext ctx, String protocolId);

    /**
     * The negotiation failed. Called before the failure is fired down the pipeline as
     * {@code exceptionCaught} and the channel is closed. The default does nothing.
     *
     * @param ctx the negotiating handler's context
     * @param cause what failed
     */
    default void onFailed(ChannelHandlerContext ctx, MultistreamException cause) {}
}
