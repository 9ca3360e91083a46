package io.crossdial.host;

import io.netty.channel.ChannelHandler;

/**
 * Makes the handler that serves one inbound stream of a protocol, after multistream-select agreed on it.
 * Called on the stream's event loop.
 */
@FunctionalInterface
public interface StreamHandlerFactory {
    /**
     * @param connection the connection the stream belongs to
     * @return a handler for the stream's pipeline; it sees only the protocol's bytes
     */
    ChannelHandler create(Connection connection);
}
