package io.crossdial.transport.tcp;

import io.crossdial.core.multiaddr.Multiaddr;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.net.InetSocketAddress;

/**
 * One bound listen socket. Thread-safe.
 */
public final class TcpListener {
    private final Channel channel;
    private final Multiaddr multiaddr;

    TcpListener(Channel channel) {
        this.channel = channel;
        this.multiaddr = Multiaddr.fromSocketAddress((InetSocketAddress) channel.localAddress());
    }

    /** @return the bound address as a multiaddr, with the real port when 0 was asked for */
    public Multiaddr multiaddr() {
        return multiaddr;
    }

    /** @return the bound socket address */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** @return the listen channel */
    public Channel channel() {
        return channel;
    }

    /**
     * Stops accepting; established connections stay open.
     *
     * @return completes when the listen socket is closed
     */
    public ChannelFuture close() {
        return channel.close();
    }

    @Override
    public String toString() {
        return "TcpListener" + multiaddr;
    }
}
