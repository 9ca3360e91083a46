package io.crossdial.core.spi;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.util.concurrent.Future;

/**
 * One muxed connection: opens outbound streams and owns inbound ones. Thread-safe: methods may be called
 * from any thread; work runs on the connection's event loop.
 */
public interface MuxedSession {
    /** @return the muxer's protocol ID */
    String protocolId();

    /** @return the secured connection channel the streams run over */
    Channel connection();

    /**
     * Opens an outbound stream.
     *
     * @param handler added to the new stream's pipeline before it becomes active
     * @return completes with the stream once it is registered and writable for the application, or fails
     *     with the muxer's exception when the session is closed, has received GoAway or ran out of stream IDs
     */
    Future<MuxedStream> openStream(ChannelHandler handler);

    /** @return the number of open streams, both directions */
    int streamCount();

    /**
     * Closes the session gracefully: sends the protocol's goodbye (yamux GoAway code 0), then closes the
     * connection; open streams are closed.
     *
     * @return completes when the connection is closed
     */
    ChannelFuture close();
}
