package io.crossdial.transport.tcp;

import io.crossdial.core.spi.UrgentDataChannel;
import io.netty.channel.Channel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.SocketChannel;

/**
 * Netty's NIO socket channel with SO_OOBINLINE set from the start, so a TCP urgent byte arrives inline, and
 * able to send one urgent byte (the simultaneous-open poison byte). Used for dialed and accepted connections.
 */
final class OobNioSocketChannel extends NioSocketChannel implements UrgentDataChannel {
    /** A channel for an outgoing connection. */
    OobNioSocketChannel() {
        super();
        setOobInline(javaChannel());
    }

    /** A channel for an accepted connection. */
    OobNioSocketChannel(Channel parent, SocketChannel socket) {
        super(parent, socket);
        setOobInline(socket);
    }

    private static void setOobInline(SocketChannel socket) {
        try {
            socket.socket().setOOBInline(true);
        } catch (SocketException e) {
            throw new IllegalStateException("cannot set SO_OOBINLINE", e);
        }
    }

    @Override
    public void sendUrgentByte(int value) throws IOException {
        javaChannel().socket().sendUrgentData(value);
    }
}
