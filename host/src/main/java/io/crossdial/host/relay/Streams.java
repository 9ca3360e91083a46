package io.crossdial.host.relay;

import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;

/** Stream endings shared by the relay and DCUtR handlers. */
final class Streams {
    private Streams() {}

    /** Half-closes {@code ch} (after what was written), then closes it. */
    static void finish(Channel ch) {
        if (!ch.isOpen()) {
            return;
        }
        if (ch instanceof DuplexChannel d) {
            d.shutdownOutput().addListener(f -> ch.close());
        } else {
            ch.close();
        }
    }
}
