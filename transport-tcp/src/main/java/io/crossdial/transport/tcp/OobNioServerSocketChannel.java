package io.crossdial.transport.tcp;

import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.internal.SocketUtils;
import java.nio.channels.SocketChannel;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty's NIO server channel, accepting into {@link OobNioSocketChannel}s (SO_OOBINLINE before the first
 * read, so a crossdial dialer's poison byte arrives inline and is dropped by the upgrader).
 */
final class OobNioServerSocketChannel extends NioServerSocketChannel {
    private static final Logger log = LoggerFactory.getLogger(OobNioServerSocketChannel.class);

    @Override
    protected int doReadMessages(List<Object> buf) throws Exception {
        SocketChannel ch = SocketUtils.accept(javaChannel());
        if (ch == null) {
            return 0;
        }
        try {
            buf.add(new OobNioSocketChannel(this, ch));
            return 1;
        } catch (RuntimeException e) {
            log.warn("failed to set up an accepted connection", e);
            ch.close();
            return 0;
        }
    }
}
