package io.crossdial.interop.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.CrossdialException;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Direction;
import io.crossdial.host.Host;
import io.crossdial.host.protocol.PingClient;
import io.crossdial.host.protocol.PingException;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.host.protocol.StreamProtocolException;
import io.crossdial.interop.faults.HostilePeer.Fault;
import io.crossdial.interop.faults.HostilePeer.Point;
import io.crossdial.muxer.yamux.YamuxConfig;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.security.tls.TlsSecurityTransport;
import io.crossdial.transport.tcp.TcpDialException;
import io.crossdial.transport.tcp.TcpTransportConfig;
import io.crossdial.upgrader.UpgradeException;
import io.crossdial.upgrader.UpgradeStage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fault injection at every stage of the upgrade and mid-stream, both sides (specs/reliability.md, "Fault
 * injection"). crossdial is the peer under test; the other end is a {@link HostilePeer} on a raw socket that
 * follows the protocol up to a {@link Point} and then resets the connection (RST), closes its sending side
 * (FIN) or goes silent. Each case must end, within the stage's timeout, with a typed error that names the
 * stage: an {@link UpgradeException} whose {@link UpgradeException#stage()} is the stage crossdial was in
 * and whose cause is the stage protocol's own {@link CrossdialException}; mid-stream, the application's
 * next ping fails with a {@link PingException} and the connection closes (silence: by the yamux keepalive).
 * After each case nothing is leaked (no open connection, no handshake slot held, no {@code ByteBuf} leak
 * report), and the host still serves: an ordinary dial and ping succeed.
 *
 * <p>The timeouts are short (multistream round {@value #NEGOTIATION_MILLIS} ms, security handshake
 * {@value #HANDSHAKE_MILLIS} ms, yamux keepalive every {@value #KEEPALIVE_INTERVAL_MILLIS} ms answered within
 * {@value #KEEPALIVE_TIMEOUT_MILLIS} ms, ping {@value #PING_TIMEOUT_MILLIS} ms) to keep the table fast. Port
 * reuse is off, so the dials are ordinary ones (no simultaneous-open detection, no redial).
 */
class FaultInjectionTest {
    static final long NEGOTIATION_MILLIS = 800;
    static final long HANDSHAKE_MILLIS = 1_200;
    static final long UPGRADE_MILLIS = 10_000;
    static final long KEEPALIVE_INTERVAL_MILLIS = 1_500;
    static final long KEEPALIVE_TIMEOUT_MILLIS = 1_000;
    static final long PING_TIMEOUT_MILLIS = 1_000;
    /** Scheduling slack on a loaded 2-core machine, ms. */
    static final long SLACK_MILLIS = 1_000;
    /** The longest any wait of the test takes, ms. */
    static final long WAIT_MILLIS = 15_000;

    /** crossdial's role in the case. */
    enum Side {
        /** crossdial dials the hostile listener */
        DIALER,
        /** the hostile dialer dials crossdial's listener */
        LISTENER
    }

    /** A failure and when it was reported (System.nanoTime()). */
    record Timed(Throwable cause, long nanos) {}

    private static final List<String> ROWS = new ArrayList<>();
    private static ExecutorService executor;
    private static Host good;

    private final BlockingQueue<Timed> inboundFailures = new LinkedBlockingQueue<>();
    private final BlockingQueue<Connection> inbound = new LinkedBlockingQueue<>();
    private Host sut;

    @BeforeAll
    static void startGoodPeer() {
        LeakWatch.install();
        executor = Executors.newCachedThreadPool();
        good = Host.builder()
                .identity(Keys.generateEd25519())
                .listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))
                .security(new NoiseSecurityTransport())
                .muxer(new YamuxStreamMuxer())
                .transportConfig(TcpTransportConfig.defaults().withPortReuse(false))
                .build()
                .start();
    }

    @AfterAll
    static void stopGoodPeer() {
        good.close();
        executor.shutdownNow();
        System.out.println("fault-injection table (side | point | fault | error | stage | ms after fault | ms to close):");
        ROWS.forEach(r -> System.out.println("fault-injection | " + r + " |"));
    }

    @BeforeEach
    void startHostUnderTest() {
        sut = Host.builder()
                .identity(Keys.generateEd25519())
                .listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))
                .security(new NoiseSecurityTransport())
                .security(new TlsSecurityTransport())
                .muxer(new YamuxStreamMuxer(YamuxConfig.builder()
                        .keepAliveIntervalMillis(KEEPALIVE_INTERVAL_MILLIS)
                        .keepAliveTimeoutMillis(KEEPALIVE_TIMEOUT_MILLIS).build()))
                .transportConfig(TcpTransportConfig.defaults().withPortReuse(false))
                .timeouts(NEGOTIATION_MILLIS, HANDSHAKE_MILLIS, UPGRADE_MILLIS)
                .onInboundFailure((remote, cause) -> inboundFailures.add(new Timed(cause, System.nanoTime())))
                .onConnection(c -> {
                    if (c.direction() == Direction.INBOUND) {
                        inbound.add(c);
                    }
                })
                .build()
                .start();
    }

    @AfterEach
    void stopHostUnderTest() {
        sut.close();
    }

    /**
     * Every side, point and fault; {@code -Dfaults.only=LISTENER/NOISE_2} (any part of
     * {@code SIDE/POINT/FAULT}) runs the matching cases only.
     */
    static Stream<Arguments> cases() {
        String only = System.getProperty("faults.only", "");
        List<Arguments> out = new ArrayList<>();
        for (Side side : Side.values()) {
            for (Point point : Point.values()) {
                for (Fault fault : Fault.values()) {
                    if ((side + "/" + point + "/" + fault).contains(only)) {
                        out.add(Arguments.of(side, point, fault));
                    }
                }
            }
        }
        return out.stream();
    }

    /** The upgrade stage crossdial is in when the hostile peer stops at {@code point}; null: upgrade done. */
    static UpgradeStage expectedStage(Side side, Point point) {
        return switch (point) {
            case AFTER_CONNECT, SECURITY_ROUND -> UpgradeStage.SECURITY_NEGOTIATION;
            case NOISE_1, TLS_HANDSHAKE -> UpgradeStage.SECURITY_HANDSHAKE;
            // the initiator is done with the handshake once it has message 2 (it sends message 3 and goes on)
            case NOISE_2 -> side == Side.LISTENER ? UpgradeStage.SECURITY_HANDSHAKE : UpgradeStage.MUXER_NEGOTIATION;
            case NOISE_3, MUXER_ROUND, MUXER_ROUND_TLS -> UpgradeStage.MUXER_NEGOTIATION;
            case MID_STREAM -> null;
        };
    }

    static long stageTimeoutMillis(UpgradeStage stage) {
        return stage == UpgradeStage.SECURITY_HANDSHAKE ? HANDSHAKE_MILLIS : NEGOTIATION_MILLIS;
    }

    @ParameterizedTest(name = "crossdial as {0}, hostile peer stops at {1} with {2}")
    @MethodSource("cases")
    void endsWithTypedErrorNamingTheStageAndKeepsServing(Side side, Point point, Fault fault) throws Exception {
        CountDownLatch pinged = new CountDownLatch(1);
        CountDownLatch faulted = new CountDownLatch(1);
        Runnable beforeFault = () -> awaitLatch(pinged);
        if (point != Point.MID_STREAM) {
            pinged.countDown();
        }
        CompletableFuture<Connection> dial = null;
        Timed[] dialFailure = new Timed[1];
        CountDownLatch dialDone = new CountDownLatch(1);
        java.util.concurrent.Future<HostilePeer.Outcome> hostile;
        if (side == Side.LISTENER) {
            InetSocketAddress listen = sut.listenAddrs().get(0).toSocketAddress();
            Runnable waitForAccept = point == Point.AFTER_CONNECT
                    ? () -> require(() -> handshakesInProgress() == 1, "the listener accepted the hostile dialer")
                    : beforeFault;
            hostile = executor.submit(() -> {
                Socket s = new Socket();
                s.connect(listen, (int) WAIT_MILLIS);
                try (HostilePeer peer = new HostilePeer(s)) {
                    return peer.runAsDialer(point, fault, waitForAccept, faulted::countDown);
                }
            });
        } else {
            ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
            hostile = executor.submit(() -> {
                try (server; HostilePeer peer = new HostilePeer(server.accept())) {
                    return peer.runAsListener(point, fault, beforeFault, faulted::countDown);
                }
            });
            dial = sut.dial(Multiaddr.fromString("/ip4/127.0.0.1/tcp/" + server.getLocalPort()));
            dial.whenComplete((connection, cause) -> {
                if (cause != null) {
                    dialFailure[0] = new Timed(cause, System.nanoTime());
                }
                dialDone.countDown();
            });
        }

        String row;
        if (point == Point.MID_STREAM) {
            Connection c = side == Side.LISTENER
                    ? inbound.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS)
                    : dial.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            assertNotNull(c, "the hostile dialer's connection was not upgraded");
            row = midStream(c, pinged, faulted, hostile, fault);
        } else {
            Timed failure;
            if (side == Side.LISTENER) {
                failure = inboundFailures.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                assertTrue(dialDone.await(WAIT_MILLIS, TimeUnit.MILLISECONDS), "the dial did not end");
                failure = dialFailure[0];
            }
            assertNotNull(failure, () -> "no failure was reported; hostile peer: " + describe(hostile)
                    + ", dial: " + (dialDone.getCount() == 0 ? "succeeded" : "running")
                    + ", connections: " + sut.connections());
            HostilePeer.Outcome outcome = hostile.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            row = upgradeFailure(side, point, fault, failure, outcome);
        }
        ROWS.add(side + " | " + point + " | " + fault + " | " + row);

        assertTrue(eventually(() -> sut.connections().isEmpty()), () -> "connections left: " + sut.connections());
        assertTrue(eventually(() -> handshakesInProgress() == 0), "a handshake slot is still held");
        stillServes(side);
        List<String> leaks = LeakWatch.collect();
        assertTrue(leaks.isEmpty(), () -> "ByteBuf leaks: " + leaks);
    }

    /** Checks an upgrade failure; @return its table cells */
    private static String upgradeFailure(Side side, Point point, Fault fault, Timed failure,
            HostilePeer.Outcome outcome) {
        long afterFault = (failure.nanos() - outcome.faultNanos()) / 1_000_000;
        if (side == Side.DIALER && point == Point.AFTER_CONNECT && fault == Fault.RST
                && failure.cause() instanceof TcpDialException dial) {
            // The reset can reach the dialer before its connect completes: then the connect itself fails.
            assertTrue(afterFault < NEGOTIATION_MILLIS, () -> "reported " + afterFault + " ms after the fault");
            return "TcpDialException `" + dial.getMessage() + "` | (TCP connect) | " + afterFault + " | -";
        }
        UpgradeException e = assertInstanceOf(UpgradeException.class, failure.cause(), () -> failure.cause().toString());
        String cells = causeName(e) + " `" + e.getMessage() + "` | " + e.stage() + " | " + afterFault + " | "
                + (outcome.closeMillis() < 0 ? "-" : String.valueOf(outcome.closeMillis()));
        UpgradeStage stage = expectedStage(side, point);
        if (side == Side.DIALER && point == Point.NOISE_2 && fault == Fault.RST
                && e.stage() == UpgradeStage.SECURITY_HANDSHAKE) {
            // The reset arrived before the dialer wrote message 3: the handshake itself failed.
            stage = UpgradeStage.SECURITY_HANDSHAKE;
        }
        assertEquals(stage, e.stage(), e::getMessage);
        assertTrue(e.getMessage().startsWith("failed to " + e.stage().action() + ": "), e::getMessage);
        assertInstanceOf(CrossdialException.class, e.getCause(),
                () -> "the cause is not the stage's typed exception: " + e.getCause());
        long timeout = stageTimeoutMillis(e.stage());
        boolean timedOut = e.getMessage().contains("timed out");
        if (fault == Fault.SILENCE) {
            assertTrue(timedOut, () -> "silence must end in the stage's timeout: " + e.getMessage());
            assertTrue(afterFault <= timeout + SLACK_MILLIS, () -> "reported " + afterFault + " ms after the fault");
        } else {
            assertTrue(!timedOut, () -> fault + " must be seen, not timed out: " + e.getMessage());
            assertTrue(afterFault < timeout, () -> "reported " + afterFault + " ms after the fault");
        }
        if (fault != Fault.RST) {
            assertTrue(outcome.closeMillis() >= 0, "crossdial did not close the connection");
            assertTrue(outcome.closeMillis() <= timeout + SLACK_MILLIS, () -> "closed " + outcome.closeMillis() + " ms after");
        }
        return cells;
    }

    /** One ping on a stream to the hostile peer, the fault, a second ping: @return the table cells */
    private String midStream(Connection c, CountDownLatch pinged, CountDownLatch faulted,
            java.util.concurrent.Future<HostilePeer.Outcome> hostile, Fault fault) throws Exception {
        PingClient ping = c.newStream(s -> new PingClient(s, Duration.ofMillis(PING_TIMEOUT_MILLIS)),
                ProtocolIds.PING).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        ping.ping().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        long[] closedNanos = new long[1];
        CountDownLatch closed = new CountDownLatch(1);
        c.closeFuture().addListener(f -> {
            closedNanos[0] = System.nanoTime();
            closed.countDown();
        });
        pinged.countDown();
        assertTrue(faulted.await(WAIT_MILLIS, TimeUnit.MILLISECONDS), "the hostile peer did not inject its fault");
        CompletableFuture<Long> second = ping.ping();
        Throwable secondFailure = assertThrows(ExecutionException.class,
                () -> second.get(WAIT_MILLIS, TimeUnit.MILLISECONDS), "the second ping did not fail").getCause();
        long failedNanos = System.nanoTime();
        HostilePeer.Outcome outcome = hostile.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        PingException e = assertInstanceOf(PingException.class, secondFailure, () -> String.valueOf(secondFailure));
        assertTrue(closed.await(WAIT_MILLIS, TimeUnit.MILLISECONDS), "the connection was not closed");
        long afterFault = (failedNanos - outcome.faultNanos()) / 1_000_000;
        long closeAfter = (closedNanos[0] - outcome.faultNanos()) / 1_000_000;
        if (fault == Fault.SILENCE) {
            assertTrue(afterFault <= PING_TIMEOUT_MILLIS + SLACK_MILLIS, () -> "ping failed " + afterFault + " ms after");
            assertTrue(closeAfter <= KEEPALIVE_INTERVAL_MILLIS + KEEPALIVE_TIMEOUT_MILLIS + SLACK_MILLIS,
                    () -> "closed " + closeAfter + " ms after");
        } else {
            assertEquals(StreamProtocolException.Reason.CLOSED, e.reason(), e::getMessage);
            assertTrue(afterFault < PING_TIMEOUT_MILLIS, () -> "ping failed " + afterFault + " ms after");
            assertTrue(closeAfter < PING_TIMEOUT_MILLIS, () -> "closed " + closeAfter + " ms after");
        }
        return "PingException " + e.reason() + " `" + e.getMessage() + "` | (stream) | " + afterFault + " | "
                + closeAfter + " (connection closed)";
    }

    private static String describe(java.util.concurrent.Future<HostilePeer.Outcome> hostile) {
        if (!hostile.isDone()) {
            return "still running";
        }
        try {
            return "done: " + hostile.get();
        } catch (Exception e) {
            return "failed: " + e.getCause();
        }
    }

    private static String causeName(UpgradeException e) {
        Throwable c = e.getCause();
        if (c == null) {
            return "UpgradeException";
        }
        String reason = "";
        try {
            reason = " " + c.getClass().getMethod("reason").invoke(c);
        } catch (ReflectiveOperationException ignored) {
            // no reason enum (TLS)
        }
        return c.getClass().getSimpleName() + reason;
    }

    /** An ordinary dial and ping in the direction of the case. */
    private void stillServes(Side side) throws Exception {
        Connection c = side == Side.LISTENER
                ? good.dial(sut.listenAddrs().get(0).withPeerId(sut.peerId())).get(WAIT_MILLIS, TimeUnit.MILLISECONDS)
                : sut.dial(good.listenAddrs().get(0).withPeerId(good.peerId())).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        try {
            PingClient ping = c.newStream(s -> new PingClient(s, Duration.ofMillis(WAIT_MILLIS)),
                    ProtocolIds.PING).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            ping.ping().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            ping.close();
        } finally {
            c.close().awaitUninterruptibly(WAIT_MILLIS);
        }
        inbound.clear();
        assertTrue(eventually(() -> sut.connections().isEmpty()), "the ordinary connection stayed open");
    }

    private int handshakesInProgress() {
        return sut.transport().listeners().get(0).stats().handshakesInProgress();
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the test did not get to the fault");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void require(BooleanSupplier condition, String what) {
        if (!eventually(condition)) {
            throw new IllegalStateException("timed out waiting until " + what);
        }
    }

    private static boolean eventually(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
