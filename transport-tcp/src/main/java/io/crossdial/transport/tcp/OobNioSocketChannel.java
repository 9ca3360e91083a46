package io.crossdial.transport.tcp;

import io.crossdial.core.spi.ConnectionAttributes;
import io.crossdial.core.spi.UrgentDataChannel;
import io.netty.channel.Channel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.channels.SocketChannel;

/**
 * Netty's NIO socket channel with SO_OOBINLINE set from the start, so a TCP urgent byte arrives inline, and
 * able to send one urgent byte (the simultaneous-open poison byte). Used for dialed and accepted connections.
 * A dialed channel records how long its connect took in {@link ConnectionAttributes#CONNECT_NANOS}, measured
 * around the system calls themselves (not the bootstrap's registration and bind).
 */
final class OobNioSocketChannel extends NioSocketChannel implements UrgentDataChannel {
    private long connectStartNanos;

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
    protected boolean doConnect(SocketAddress remoteAddress, SocketAddress localAddress) throws Exception {
        connectStartNanos = System.nanoTime();
        boolean connected = super.doConnect(remoteAddress, localAddress);
        if (connected) {
            connected();
        }
        return connected;
    }

    @Override
    protected void doFinishConnect() throws Exception {
        super.doFinishConnect();
        connected();
    }

    private void connected() {
        attr(ConnectionAttributes.CONNECT_NANOS).set(System.nanoTime() - connectStartNanos);
    }

    @Override
    public void sendUrgentByte(int value) throws IOException {
        javaChannel().socket().sendUrgentData(value);
    }
}
