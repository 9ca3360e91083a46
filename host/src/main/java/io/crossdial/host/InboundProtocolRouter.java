package io.crossdial.host;

import io.crossdial.multistream.MultistreamListenerHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Serves the host's protocols on inbound streams: each new stream gets a multistream listener over the
 * registered protocol IDs, and the agreed protocol's {@link StreamHandlerFactory} installs its handler.
 * Protocols can be added and removed at run time ({@link #add}, {@link #remove}): a stream negotiates over the
 * protocols registered when it opened. Thread-safe (copy on write).
 */
final class InboundProtocolRouter {
    private volatile Map<String, StreamHandlerFactory> protocols;
    private volatile List<String> ids;
    private final long negotiationTimeoutMillis;

    /**
     * @param protocols protocol ID to handler factory, in the order {@code ls} and identify report them
     * @param negotiationTimeoutMillis the multistream round's timeout on each stream, ms
     */
    InboundProtocolRouter(Map<String, StreamHandlerFactory> protocols, long negotiationTimeoutMillis) {
        this.protocols = new LinkedHashMap<>(protocols);
        this.ids = List.copyOf(this.protocols.keySet());
        this.negotiationTimeoutMillis = negotiationTimeoutMillis;
    }

    /** @return the protocol IDs served, in registration order */
    List<String> protocolIds() {
        return ids;
    }

    /**
     * Serves {@code protocolId} on inbound streams from now on (replacing its factory if it was served).
     *
     * @return true if it was not served before
     */
    synchronized boolean add(String protocolId, StreamHandlerFactory factory) {
        Map<String, StreamHandlerFactory> next = new LinkedHashMap<>(protocols);
        boolean added = next.put(protocolId, factory) == null;
        protocols = next;
        ids = List.copyOf(next.keySet());
        return added;
    }

    /**
     * Stops serving {@code protocolId} on streams that open from now on (streams already using it go on).
     *
     * @return true if it was served
     */
    synchronized boolean remove(String protocolId) {
        if (!protocols.containsKey(protocolId)) {
            return false;
        }
        Map<String, StreamHandlerFactory> next = new LinkedHashMap<>(protocols);
        next.remove(protocolId);
        protocols = next;
        ids = List.copyOf(next.keySet());
        return true;
    }

    /**
     * @param connection the connection whose inbound streams this handler is given to; read when a stream's
     *     protocol is agreed (the connection object exists only once the upgrade is done)
     * @return the inbound stream handler for the muxer: sharable, one per connection
     */
    ChannelHandler forConnection(Supplier<Connection> connection) {
        return new StreamInitializer(connection);
    }

    @ChannelHandler.Sharable
    private final class StreamInitializer extends ChannelInboundHandlerAdapter {
        private final Supplier<Connection> connection;

        StreamInitializer(Supplier<Connection> connection) {
            this.connection = connection;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.pipeline().addLast(QuietTail.INSTANCE);
            Map<String, StreamHandlerFactory> served = protocols;
            ctx.pipeline().replace(this, null, new MultistreamListenerHandler(List.copyOf(served.keySet()),
                    negotiationTimeoutMillis, (mctx, protocolId) -> {
                        StreamHandlerFactory factory = served.get(protocolId);
                        Connection c = connection.get();
                        c.metrics.streamOpened(mctx.channel(), Direction.INBOUND, protocolId);
                        mctx.pipeline().addAfter(mctx.name(), null, factory.create(c));
                    }));
        }
    }
}
