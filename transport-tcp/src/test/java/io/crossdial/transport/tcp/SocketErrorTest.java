package io.crossdial.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SocketError} over real sockets: the exceptions the JDK raises for each errno, bare (a listen socket's
 * bind) and as Netty wraps them (a connect and the bind of its local address).
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SocketErrorTest {
    private static final long WAIT_MILLIS = 5_000;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final EventLoopGroup loop = new NioEventLoopGroup(1);

    @AfterEach
    void tearDown() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(WAIT_MILLIS);
    }

    private <T extends AutoCloseable> T closeLater(T resource) {
        resources.add(resource);
        return resource;
    }

    @ChannelHandler.Sharable
    private static final class Noop extends ChannelInboundHandlerAdapter {}

    private Bootstrap bootstrap() {
        return new Bootstrap().group(loop).channel(NioSocketChannel.class).handler(new Noop());
    }

    /** What a Netty connect failed with (the channel is closed by Netty on failure). */
    private static Throwable failureOf(ChannelFuture connect) {
        assertTrue(connect.awaitUninterruptibly(WAIT_MILLIS), "the connect finished within " + WAIT_MILLIS + " ms");
        assertFalse(connect.isSuccess(), "expected the connect to fail");
        return connect.cause();
    }

    private static InetSocketAddress closedLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, LOOPBACK)) {
            return (InetSocketAddress) s.getLocalSocketAddress();
        }
    }

    /** A listen socket without SO_REUSEPORT, holding its port against every other bind. */
    private ServerSocket exclusiveHolder() throws IOException {
        ServerSocket holder = closeLater(new ServerSocket());
        assertFalse(holder.getOption(StandardSocketOptions.SO_REUSEPORT));
        holder.bind(new InetSocketAddress(LOOPBACK, 0));
        return holder;
    }

    @Test
    void aConnectToAClosedPortIsConnectionRefusedBareAndAsNettyWrapsIt() throws Exception {
        InetSocketAddress closed = closedLoopbackPort();
        ConnectException bare = assertThrows(ConnectException.class, () -> {
            try (SocketChannel ch = SocketChannel.open()) {
                ch.connect(closed);
            }
        });
        assertEquals(SocketError.CONNECTION_REFUSED, SocketError.of(bare));

        Throwable wrapped = failureOf(bootstrap().connect(closed));
        assertInstanceOf(ConnectException.class, wrapped.getCause(), "Netty keeps the JDK's exception as the cause");
        assertEquals(SocketError.CONNECTION_REFUSED, SocketError.of(wrapped));
        assertEquals("connection refused", SocketError.describe(wrapped));
    }

    @Test
    void bindingAPortHeldWithoutReusePortIsAddressInUse() throws Exception {
        ServerSocket holder = exclusiveHolder();
        BindException bare = assertThrows(BindException.class, () -> {
            try (ServerSocketChannel ch = ServerSocketChannel.open()) {
                ch.bind(holder.getLocalSocketAddress());
            }
        });
        assertEquals(SocketError.ADDRESS_IN_USE, SocketError.of(bare));
    }

    @Test
    void aDialWhoseLocalAddressIsHeldIsAddressInUseThoughNettyReportsAPlainSocketException() throws Exception {
        ServerSocket holder = exclusiveHolder();
        Throwable wrapped = failureOf(bootstrap().connect(closedLoopbackPort(), holder.getLocalSocketAddress()));
        // annotateConnectException turns the BindException into an AnnotatedSocketException: by its own type
        // a SocketException, so only its cause tells the errno.
        assertFalse(wrapped instanceof BindException, wrapped.toString());
        assertInstanceOf(SocketException.class, wrapped);
        assertInstanceOf(BindException.class, SocketError.origin(wrapped));
        assertEquals(SocketError.ADDRESS_IN_USE, SocketError.of(wrapped));
    }

    @Test
    void bindingAnAddressThisHostDoesNotHaveIsAddressNotAvailable() {
        BindException bare = assertThrows(BindException.class, () -> {
            try (ServerSocketChannel ch = ServerSocketChannel.open()) {
                ch.bind(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 0)); // TEST-NET-1 (RFC 5737)
            }
        });
        assertEquals(SocketError.ADDRESS_NOT_AVAILABLE, SocketError.of(bare));
    }

    @Test
    void aConnectWhoseFourTupleIsTakenIsAddressNotAvailable() throws Exception {
        ServerSocket remote = closeLater(new ServerSocket(0, 50, LOOPBACK));
        SocketChannel first = closeLater(SocketChannel.open());
        first.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        first.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        first.bind(new InetSocketAddress(LOOPBACK, 0));
        first.connect(remote.getLocalSocketAddress());
        closeLater(remote.accept());

        SocketAddress sameSource = first.getLocalAddress();
        Throwable wrapped = failureOf(bootstrap()
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true)
                .connect(remote.getLocalSocketAddress(), sameSource));
        assertEquals(SocketError.ADDRESS_NOT_AVAILABLE, SocketError.of(wrapped), wrapped.toString());
    }

    @Test
    void aConnectToAListenerWithAFullAcceptQueueRunsIntoTheConnectTimeout() throws Exception {
        ServerSocketChannel full = closeLater(ServerSocketChannel.open());
        full.bind(new InetSocketAddress(LOOPBACK, 0), 1);
        // Nobody accepts: once the accept queue is full Linux drops further SYNs (tcp_conn_request), so the
        // connects after the first few stay in SYN-SENT.
        for (int i = 0; i < 6; i++) {
            SocketChannel filler = closeLater(SocketChannel.open());
            filler.configureBlocking(false);
            filler.connect(full.getLocalAddress());
        }
        Thread.sleep(100);
        Throwable timedOut = failureOf(bootstrap().option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 300)
                .connect(full.getLocalAddress()));
        assertInstanceOf(ConnectTimeoutException.class, timedOut);
        assertEquals(SocketError.CONNECT_TIMED_OUT, SocketError.of(timedOut));
        assertEquals("connect timed out", SocketError.describe(timedOut));
    }

    @Test
    void bindingAPrivilegedPortWithoutTheRightIsPermissionDenied() throws Exception {
        int port = 1;
        BindException bare;
        try (ServerSocketChannel ch = ServerSocketChannel.open()) {
            ch.bind(new InetSocketAddress(LOOPBACK, port));
            bare = null;
        } catch (BindException e) {
            bare = e;
        }
        assumeTrue(bare != null, "this process may bind port " + port + " (root or CAP_NET_BIND_SERVICE)");
        assertEquals(SocketError.PERMISSION_DENIED, SocketError.of(bare));
    }

    @Test
    void theTextsOfNetCAreReadOnlyInsideTheExceptionTypeThatCarriesThem() {
        // As Net.c raises them for EACCES and EHOSTUNREACH (the message is strerror(errno)).
        assertEquals(SocketError.PERMISSION_DENIED, SocketError.of(new BindException("Permission denied")));
        assertEquals(SocketError.HOST_UNREACHABLE, SocketError.of(new NoRouteToHostException("No route to host")));
        assertEquals(SocketError.HOST_UNREACHABLE, SocketError.of(new NoRouteToHostException()), "by type alone");
        // The same texts on another type are not the errno the JDK maps to that type.
        assertEquals(SocketError.OTHER, SocketError.of(new SocketException("Address already in use")));
        assertEquals(SocketError.OTHER, SocketError.of(new IOException("Connection refused")));
        assertEquals(SocketError.OTHER, SocketError.of(new ConnectException("Permission denied")));
        // A BindException or ConnectException whose text is not glibc's is not guessed at.
        assertEquals(SocketError.OTHER, SocketError.of(new BindException("Address in use")));
        assertEquals(SocketError.OTHER, SocketError.of(new ConnectException("Connection timed out")),
                "the kernel's ETIMEDOUT is not the transport's connect timeout");
        assertEquals(SocketError.OTHER, SocketError.of(new BindException()));
    }

    @Test
    void unresolvedNamesAndOtherFailuresAreDescribedInOneLine() {
        UnknownHostException unknown = new UnknownHostException("nonexistent.invalid: Name or service not known");
        assertEquals(SocketError.UNKNOWN_HOST, SocketError.of(unknown));
        assertEquals("unknown host nonexistent.invalid: Name or service not known", SocketError.describe(unknown));
        assertEquals("unknown error", SocketError.describe(null));
        assertEquals(SocketError.OTHER, SocketError.of(null));
        assertEquals("Network is unreachable: /192.0.2.1:4001",
                SocketError.describe(new SocketException("Network is unreachable: /192.0.2.1:4001")));
        assertEquals("SocketException", SocketError.describe(new SocketException()));
        assertEquals("IllegalStateException: boom", SocketError.describe(new IllegalStateException("boom")));
    }

    @Test
    void originIsTheDeepestIoExceptionAndSurvivesACauseCycle() {
        BindException jdk = new BindException("Address already in use");
        RuntimeException outer = new RuntimeException("wrapper", new SocketException("annotated"));
        outer.getCause().initCause(jdk);
        assertSame(jdk, SocketError.origin(outer));
        assertEquals(SocketError.ADDRESS_IN_USE, SocketError.of(outer));

        IllegalStateException notIo = new IllegalStateException("no I/O below");
        assertSame(notIo, SocketError.origin(notIo));

        SocketException a = new SocketException("a");
        SocketException b = new SocketException("b");
        a.initCause(b);
        b.initCause(a);
        assertEquals(SocketError.OTHER, SocketError.of(a), "a cause cycle ends");
    }
}
