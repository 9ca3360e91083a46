package io.crossdial.core.spi;

import io.netty.util.AttributeKey;

/**
 * Channel attributes the transport sets for the upgrader.
 */
public final class ConnectionAttributes {
    /**
     * {@code true} on an outgoing connection whose local port is one of our listen ports (port reuse): only
     * such a connection can be one side of a TCP simultaneous open, so only it runs simultaneous-open
     * detection. Absent or {@code false} otherwise.
     */
    public static final AttributeKey<Boolean> DIALED_FROM_LISTEN_PORT =
            AttributeKey.valueOf("crossdial.dialedFromListenPort");

    private ConnectionAttributes() {}
}
