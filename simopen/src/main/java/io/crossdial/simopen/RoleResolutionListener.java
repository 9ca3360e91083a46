package io.crossdial.simopen;

import io.netty.channel.ChannelHandlerContext;

/** Told the outcome of role resolution, on the event loop, before the next multistream stage is installed. */
@FunctionalInterface
public interface RoleResolutionListener {
    /**
     * @param ctx the resolving handler's context
     * @param result the role this side takes, and how it was found
     */
    void onResolved(ChannelHandlerContext ctx, SimopenResult result);
}
