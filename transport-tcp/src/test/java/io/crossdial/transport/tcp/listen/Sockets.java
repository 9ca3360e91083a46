package io.crossdial.transport.tcp.listen;

import io.crossdial.core.multiaddr.Multiaddr;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;

/** Helpers for the listener tests: addresses, raw client sockets, bounded waits. */
final class Sockets {
    private Sockets() {}

    static InetAddress ip(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static Multiaddr ma(String text) {
        return Multiaddr.fromString(text);
    }

    /** Opens a raw TCP client; the test closes it. */
    interface Connect {
        Socket open() throws IOException;
    }

    /**
     * @param connect opens a client the listener is expected to refuse
     * @return how that connection ended: {@code Connection reset} when the listener reset it (SO_LINGER 0), before
     *     the connect returned ({@code Connection reset by peer}) or at the first read; else {@code read returned N}
     */
    static String howRefused(Connect connect) throws IOException {
        try {
            return "read returned " + connect.open().getInputStream().read();
        } catch (java.net.SocketException e) {
            return e.getMessage().replace(" by peer", "");
        }
    }

    /** A raw TCP client; the test closes it. */
    static Socket connect(InetSocketAddress to) throws IOException {
        Socket s = new Socket();
        s.connect(to, 5_000);
        s.setSoTimeout(5_000);
        return s;
    }

    /** Polls a condition every 5 ms for at most 10 s. */
    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    /** A child handler that records every accepted channel. */
    static ChannelHandler recording(Queue<Channel> accepted) {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                accepted.add(ch);
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                        io.netty.util.ReferenceCountUtil.release(msg);
                    }
                });
            }
        };
    }

    static Queue<Channel> queue() {
        return new ConcurrentLinkedQueue<>();
    }
}
