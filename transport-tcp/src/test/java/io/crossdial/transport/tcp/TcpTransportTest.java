package io.crossdial.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.multiaddr.MultiaddrException;
import io.crossdial.core.spi.ConnectionAttributes;
import io.crossdial.core.spi.UrgentDataChannel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The TCP transport over real loopback sockets: listen, dial, port reuse, urgent data, bind errors. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class TcpTransportTest {
    private static final long WAIT_MILLIS = 5_000;
    private static final Multiaddr LOOPBACK_ANY_PORT = Multiaddr.fromString("/ip4/127.0.0.1/tcp/0");

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T resource) {
        resources.add(resource);
        return resource;
    }

    /** @return a plain client that holds (listen address -> remote), the 4-tuple a listen-port dial would use */
    private SocketChannel takeFourTuple(TcpListener l, ServerSocket remote) throws IOException {
        SocketChannel other = closeLater(SocketChannel.open());
        other.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        other.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        other.bind(l.localAddress());
        other.connect(remote.getLocalSocketAddress());
        return other;
    }

    /**
     * Asserts that a failed dial gave its connection count back, waiting for it at most {@link #WAIT_MILLIS}: the
     * count is given back by a listener of the dial's future, which may run after {@code await()} returned.
     */
    private static void assertCountGivenBack(TcpTransport t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (t.openConnections() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(0, t.openConnections(), "the failed dial gave its count back");
    }

    private TcpTransport transport(boolean portReuse) {
        return closeLater(new TcpTransport(TcpTransportConfig.defaults().withPortReuse(portReuse)));
    }

    private ServerSocket plainServer() throws IOException {
        // A plain JDK listen socket: no SO_REUSEPORT, no SO_OOBINLINE on what it accepts.
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        return closeLater(s);
    }

    private static Multiaddr addr(ServerSocket s) {
        return Multiaddr.fromSocketAddress((InetSocketAddress) s.getLocalSocketAddress());
    }

    private Socket accept(ServerSocket s) throws IOException {
        s.setSoTimeout((int) WAIT_MILLIS);
        Socket socket = closeLater(s.accept());
        socket.setSoTimeout((int) WAIT_MILLIS);
        return socket;
    }

    static <T> T await(Future<T> f) throws InterruptedException {
        assertTrue(f.await(WAIT_MILLIS, TimeUnit.MILLISECONDS), "finished within " + WAIT_MILLIS + " ms");
        if (!f.isSuccess()) {
            throw new AssertionError("expected success, got " + f.cause(), f.cause());
        }
        return f.getNow();
    }

    static Throwable awaitFailure(Future<?> f) throws InterruptedException {
        assertTrue(f.await(WAIT_MILLIS, TimeUnit.MILLISECONDS), "finished within " + WAIT_MILLIS + " ms");
        assertFalse(f.isSuccess(), "expected a failure");
        return f.cause();
    }

    /** A handler that does nothing; sharable, as a dial may use a second channel (the fallback). */
    @ChannelHandler.Sharable
    private static final class Noop extends ChannelInboundHandlerAdapter {}

    private static ChannelHandler noop() {
        return new Noop();
    }

    private static int localPort(Channel ch) {
        return ((InetSocketAddress) ch.localAddress()).getPort();
    }

    @Test
    void listensOnPortZeroAndReportsTheRealPortInItsMultiaddr() throws Exception {
        TcpTransport t = transport(true);
        TcpListener l = await(t.listen(LOOPBACK_ANY_PORT, noop()));
        int port = l.localAddress().getPort();
        assertNotEquals(0, port);
        assertEquals(Multiaddr.fromString("/ip4/127.0.0.1/tcp/" + port), l.multiaddr());
        assertEquals("/ip4/127.0.0.1/tcp/" + port, l.multiaddr().toString());
        assertEquals(List.of(l), t.listeners());
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            assertTrue(s.isConnected(), "the listener accepts");
        }
        assertTrue(l.close().awaitUninterruptibly(WAIT_MILLIS));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (!t.listeners().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(List.of(), t.listeners(), "a closed listener is forgotten");
    }

    @Test
    void aDialWithPortReuseGoesOutFromTheListenPort() throws Exception {
        TcpTransport t = transport(true);
        TcpListener l = await(t.listen(LOOPBACK_ANY_PORT, noop()));
        ServerSocket remote = plainServer();
        Channel ch = await(t.dial(addr(remote), noop()));
        Socket accepted = accept(remote);

        assertEquals(l.localAddress().getPort(), accepted.getPort(), "the remote sees the listen port");
        assertEquals(l.localAddress().getPort(), localPort(ch));
        assertEquals(Boolean.TRUE, ch.attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT).get());
        assertInstanceOf(UrgentDataChannel.class, ch);
        ch.close().awaitUninterruptibly(WAIT_MILLIS);
    }

    @Test
    void aDialWhoseFourTupleIsTakenFallsBackToAnEphemeralPort() throws Exception {
        TcpTransport t = transport(true);
        TcpListener l = await(t.listen(LOOPBACK_ANY_PORT, noop()));
        ServerSocket remote = plainServer();
        // An unrelated connection already holds (127.0.0.1:listenPort -> remote).
        takeFourTuple(l, remote);
        Socket first = accept(remote);
        assertEquals(l.localAddress().getPort(), first.getPort());

        Channel ch = await(t.dial(addr(remote), noop()));
        Socket second = accept(remote);
        assertNotEquals(l.localAddress().getPort(), localPort(ch), "fell back to an ephemeral port");
        assertEquals(localPort(ch), second.getPort());
        assertNull(ch.attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT).get(),
                "the fallback connection is not a listen-port dial");
        ch.close().awaitUninterruptibly(WAIT_MILLIS);
    }

    @Test
    void aDialFromTheListenPortOnlyFailsOnATakenFourTupleNamingIt() throws Exception {
        TcpTransport t = transport(true);
        TcpListener l = await(t.listen(LOOPBACK_ANY_PORT, noop()));
        ServerSocket remote = plainServer();
        SocketChannel other = takeFourTuple(l, remote);
        accept(remote);

        io.netty.util.concurrent.Future<Channel> f = t.dialFromListenPort(addr(remote), noop(),
                t.workerGroup().next());
        assertTrue(f.await(WAIT_MILLIS), "the dial did not end");
        TcpDialException e = assertInstanceOf(TcpDialException.class, f.cause());
        assertTrue(e.fourTupleTaken(), e.getMessage());
        assertTrue(e.getMessage().startsWith("cannot connect to " + addr(remote) + " from " + l.localAddress()
                + ": the 4-tuple is taken"), e.getMessage());
        assertCountGivenBack(t);

        // with the 4-tuple free it dials from the listen port like any port-reuse dial
        other.close();
        ServerSocket another = plainServer();
        Channel ch = await(t.dialFromListenPort(addr(another), noop(), t.workerGroup().next()));
        assertEquals(l.localAddress().getPort(), localPort(ch));
        assertFalse(new TcpDialException("x", null).fourTupleTaken());
        ch.close().awaitUninterruptibly(WAIT_MILLIS);
    }

    @Test
    void aDialRejectsANonSharableHandlerUpFrontBecauseTheFallbackNeedsASecondChannel() throws Exception {
        TcpTransport t = transport(true);
        TcpListener l = await(t.listen(LOOPBACK_ANY_PORT, noop()));
        ServerSocket remote = plainServer();
        takeFourTuple(l, remote);
        accept(remote);

        // Without the check this fails only here, when the fallback adds the handler to a second channel,
        // as a TcpDialException wrapping Netty's ChannelPipelineException.
        Throwable e = awaitFailure(t.dial(addr(remote), new ChannelInboundHandlerAdapter()));
        assertInstanceOf(IllegalArgumentException.class, e);
        assertEquals("the dial handler must be @Sharable (or a ChannelInitializer): a dial from a listen port may be"
                + " retried on a second channel", e.getMessage());
        e = awaitFailure(t.dial(addr(remote), new ChannelInboundHandlerAdapter(), false));
        assertInstanceOf(IllegalArgumentException.class, e, "rejected whether or not the fallback happens");
    }

    @Test
    void aDialWithoutPortReuseUsesAnEphemeralPort() throws Exception {
        TcpTransport reusing = transport(true);
        TcpListener l = await(reusing.listen(LOOPBACK_ANY_PORT, noop()));
        ServerSocket remote = plainServer();
        Channel ch = await(reusing.dial(addr(remote), noop(), false));
        assertEquals(localPort(ch), accept(remote).getPort());
        assertNotEquals(l.localAddress().getPort(), localPort(ch));
        assertNull(ch.attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT).get());

        TcpTransport notReusing = transport(false);
        TcpListener l2 = await(notReusing.listen(LOOPBACK_ANY_PORT, noop()));
        Channel ch2 = await(notReusing.dial(addr(remote), noop()));
        assertEquals(localPort(ch2), accept(remote).getPort());
        assertNotEquals(l2.localAddress().getPort(), localPort(ch2), "config portReuse=false: ephemeral port");
        assertNull(ch2.attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT).get());
    }

    @Test
    void aDialWithPortReuseButNoListenerUsesAnEphemeralPort() throws Exception {
        TcpTransport t = transport(true);
        ServerSocket remote = plainServer();
        Channel ch = await(t.dial(addr(remote), noop()));
        assertEquals(localPort(ch), accept(remote).getPort());
        assertNull(ch.attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT).get());
    }

    /** On connect: one urgent byte 0x00, then "hello". */
    @ChannelHandler.Sharable
    private static final class UrgentThenHello extends ChannelInboundHandlerAdapter {
        final CompletableFuture<Void> sent = new CompletableFuture<>();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            try {
                ((UrgentDataChannel) ctx.channel()).sendUrgentByte(0);
                ctx.writeAndFlush(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII))
                        .addListener(f -> {
                            if (f.isSuccess()) {
                                sent.complete(null);
                            } else {
                                sent.completeExceptionally(f.cause());
                            }
                        });
            } catch (IOException e) {
                sent.completeExceptionally(e);
            }
            ctx.fireChannelActive();
        }
    }

    @Test
    void aPlainServerWithoutOobInlineNeverSeesTheUrgentByte() throws Exception {
        TcpTransport t = transport(true);
        TcpListener l = await(t.listen(LOOPBACK_ANY_PORT, noop()));
        ServerSocket remote = plainServer();
        UrgentThenHello handler = new UrgentThenHello();
        Channel ch = await(t.dial(addr(remote), handler));
        handler.sent.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        Socket accepted = accept(remote);
        assertEquals(l.localAddress().getPort(), accepted.getPort(), "dialed from the listen port");
        assertFalse(accepted.getOOBInline());

        InputStream in = accepted.getInputStream();
        int first = in.read();
        assertNotEquals(0x00, first, "urgent data is invisible without SO_OOBINLINE");
        assertEquals('h', first);
        assertArrayEquals("ello".getBytes(StandardCharsets.US_ASCII), in.readNBytes(4));
        ch.close().awaitUninterruptibly(WAIT_MILLIS);
        assertEquals(-1, in.read(), "nothing else arrives");
    }

    @Test
    void anAcceptedTransportConnectionReadsTheUrgentByteInlineFirst() throws Exception {
        TcpTransport dialer = transport(true);
        await(dialer.listen(LOOPBACK_ANY_PORT, noop()));
        TcpTransport listener = transport(true);
        CompletableFuture<byte[]> firstSix = new CompletableFuture<>();
        CompletableFuture<Channel> acceptedChannel = new CompletableFuture<>();
        TcpListener l = await(listener.listen(LOOPBACK_ANY_PORT, new ChannelInboundHandlerAdapter() {
            private final byte[] got = new byte[6];
            private int filled;

            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                acceptedChannel.complete(ctx.channel());
                ctx.fireChannelActive();
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf buf = (ByteBuf) msg;
                try {
                    int n = Math.min(buf.readableBytes(), got.length - filled);
                    buf.readBytes(got, filled, n);
                    filled += n;
                    if (filled == got.length) {
                        firstSix.complete(got);
                    }
                } finally {
                    buf.release();
                }
            }

            @Override
            public boolean isSharable() {
                return true;
            }
        }));
        UrgentThenHello handler = new UrgentThenHello();
        Channel ch = await(dialer.dial(l.multiaddr(), handler));
        assertArrayEquals(new byte[] {0x00, 'h', 'e', 'l', 'l', 'o'},
                firstSix.get(WAIT_MILLIS, TimeUnit.MILLISECONDS), "SO_OOBINLINE: the urgent byte comes first, inline");
        Channel accepted = acceptedChannel.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        assertInstanceOf(OobNioSocketChannel.class, accepted);
        assertEquals(((InetSocketAddress) ch.localAddress()).getPort(),
                ((InetSocketAddress) accepted.remoteAddress()).getPort());
        ch.close().awaitUninterruptibly(WAIT_MILLIS);
    }

    @Test
    void bindingAPortHeldByAPlainServerSocketFailsWithAddressInUse() throws Exception {
        ServerSocket holder = closeLater(new ServerSocket());
        assertFalse(holder.getOption(StandardSocketOptions.SO_REUSEPORT));
        holder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = holder.getLocalPort();
        Multiaddr wanted = Multiaddr.fromString("/ip4/127.0.0.1/tcp/" + port);

        TcpBindException e = assertInstanceOf(TcpBindException.class,
                awaitFailure(transport(true).listen(wanted, noop())));
        assertEquals(TcpBindException.Reason.ADDRESS_IN_USE, e.reason());
        assertEquals("cannot listen on /ip4/127.0.0.1/tcp/" + port + ": port " + port + " on 127.0.0.1"
                + " is already in use by another program (or one of another user); stop it or choose another port",
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void bindingAnAddressThisHostDoesNotHaveFailsWithAddressNotAvailable() throws Exception {
        InetAddress foreign = InetAddress.getByName("192.0.2.1"); // TEST-NET-1 (RFC 5737)
        assumeTrue(NetworkInterface.getByInetAddress(foreign) == null, "192.0.2.1 is not one of this host's");
        TcpBindException e = assertInstanceOf(TcpBindException.class,
                awaitFailure(transport(true).listen(Multiaddr.fromString("/ip4/192.0.2.1/tcp/0"), noop())));
        assertEquals(TcpBindException.Reason.ADDRESS_NOT_AVAILABLE, e.reason());
        assertEquals("cannot listen on /ip4/192.0.2.1/tcp/0: address 192.0.2.1 is not assigned to any interface"
                + " of this host; use one of its addresses or 0.0.0.0", e.getMessage());
    }

    @Test
    void listeningOnADnsMultiaddrFails() throws Exception {
        TcpTransport t = transport(true);
        TcpBindException e = assertInstanceOf(TcpBindException.class,
                awaitFailure(t.listen(Multiaddr.fromString("/dns4/localhost/tcp/0"), noop())));
        assertEquals(TcpBindException.Reason.ADDRESS_NOT_AVAILABLE, e.reason());
        assertEquals("cannot listen on /dns4/localhost/tcp/0: listen addresses must be IP addresses, not DNS names",
                e.getMessage());
        assertEquals(List.of(), t.listeners());
    }

    @Test
    void listeningOnANonTcpMultiaddrFailsWithAMultiaddrException() throws Exception {
        assertInstanceOf(MultiaddrException.class,
                awaitFailure(transport(true).listen(Multiaddr.fromString("/ip4/127.0.0.1/udp/0"), noop())));
    }

    @Test
    void dialingAClosedPortFailsWithConnectionRefused() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Multiaddr target = Multiaddr.fromString("/ip4/127.0.0.1/tcp/" + port);
        TcpTransport t = transport(true);
        await(t.listen(LOOPBACK_ANY_PORT, noop()));
        TcpDialException e = assertInstanceOf(TcpDialException.class, awaitFailure(t.dial(target, noop())));
        assertEquals("cannot connect to /ip4/127.0.0.1/tcp/" + port + ": connection refused", e.getMessage());
        e = assertInstanceOf(TcpDialException.class, awaitFailure(t.dial(target, noop(), false)));
        assertEquals("cannot connect to /ip4/127.0.0.1/tcp/" + port + ": connection refused", e.getMessage());
    }

    @Test
    void aDialThatGetsNoSynAckFailsWhenTheConnectTimeoutRunsOut() throws Exception {
        ServerSocketChannel full = closeLater(ServerSocketChannel.open());
        full.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
        // Nobody accepts: with the accept queue full Linux drops further SYNs, so this dial hears nothing.
        for (int i = 0; i < 6; i++) {
            SocketChannel filler = closeLater(SocketChannel.open());
            filler.configureBlocking(false);
            filler.connect(full.getLocalAddress());
        }
        Thread.sleep(100);
        Multiaddr target = Multiaddr.fromSocketAddress((InetSocketAddress) full.getLocalAddress());
        TcpTransport t = closeLater(new TcpTransport(new TcpTransportConfig(300, false, 1024, 1)));
        long start = System.nanoTime();
        TcpDialException e = assertInstanceOf(TcpDialException.class, awaitFailure(t.dial(target, noop())));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals("cannot connect to " + target + ": connect timed out", e.getMessage());
        assertTrue(tookMillis >= 250, "failed only when the 300 ms timeout ran out: " + tookMillis + " ms");
        assertCountGivenBack(t);
    }

    @Test
    void dialingANonTcpMultiaddrFailsWithAMultiaddrException() throws Exception {
        assertInstanceOf(MultiaddrException.class,
                awaitFailure(transport(true).dial(Multiaddr.fromString("/ip4/127.0.0.1/udp/1"), noop())));
    }

    @Test
    void dialsADnsMultiaddr() throws Exception {
        ServerSocket remote = plainServer();
        Multiaddr target = Multiaddr.fromString("/dns4/localhost/tcp/" + remote.getLocalPort());
        TcpTransport t = transport(true);
        Channel ch;
        try {
            ch = await(t.dial(target, noop()));
        } catch (AssertionError e) {
            assumeTrue(false, "localhost does not resolve to 127.0.0.1 here: " + e.getMessage());
            return;
        }
        assertEquals(localPort(ch), accept(remote).getPort());
        ch.close().awaitUninterruptibly(WAIT_MILLIS);
    }

    @Test
    void validatesTheConfig() {
        assertEquals("connectTimeoutMillis must be in (0, 2^31): 0", assertThrows(IllegalArgumentException.class,
                () -> new TcpTransportConfig(0, true, 1, 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TcpTransportConfig(1L << 31, true, 1, 1));
        assertEquals("backlog must be > 1: 0", assertThrows(IllegalArgumentException.class,
                () -> new TcpTransportConfig(1, true, 0, 1)).getMessage());
        assertEquals("workerThreads must be > 0: -1", assertThrows(IllegalArgumentException.class,
                () -> new TcpTransportConfig(1, true, 2, -1)).getMessage());
        TcpTransportConfig d = TcpTransportConfig.defaults();
        assertEquals(10_000, d.connectTimeoutMillis());
        assertTrue(d.portReuse());
        assertEquals(1024, d.backlog());
        assertFalse(d.withPortReuse(false).portReuse());
        assertEquals(d, TcpTransportConfig.builder().build());
        TcpTransportConfig b = TcpTransportConfig.builder().connectTimeoutMillis(5).portReuse(false).backlog(8)
                .workerThreads(2).shards(3).maxHandshakes(4).maxConnections(5).interfacePollMillis(0).build();
        assertEquals(new TcpTransportConfig(5, false, 8, 2, 3, 4, 5, 0), b);
        assertEquals(b, b.toBuilder().build());
        assertEquals(d.withShards(4), d.toBuilder().shards(4).build());
        assertEquals("shards must be in [1, 256]: 0", assertThrows(IllegalArgumentException.class,
                () -> TcpTransportConfig.builder().shards(0).build()).getMessage());
    }
}
