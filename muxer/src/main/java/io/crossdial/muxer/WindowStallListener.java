package io.crossdial.muxer;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * Told when a yamux stream has used up its send window (it sent exactly as many bytes as the remote allowed
 * and must now wait for a WindowUpdate), for metrics. Set it on the connection's TCP channel under
 * {@link #ATTRIBUTE}; each session's streams read it from their parent channel.
 *
 * <p>Called on the connection's event loop; must not block and must not throw.
 */
@FunctionalInterface
public interface WindowStallListener {
    /** The TCP channel attribute a muxer session's streams look the listener up under. */
    AttributeKey<WindowStallListener> ATTRIBUTE = AttributeKey.valueOf("crossdial.windowStallListener");

    /**
     * @param stream the stream (a child channel of the connection) whose send window reached 0
     */
    void sendWindowExhausted(Channel stream);
}
