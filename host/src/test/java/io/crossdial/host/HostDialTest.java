package io.crossdial.host;

import static io.crossdial.host.HostFixture.WAIT_MILLIS;
import static io.crossdial.host.HostFixture.echo;
import static io.crossdial.host.HostFixture.eventually;
import static io.crossdial.host.HostFixture.ping;
import static io.crossdial.host.HostFixture.port;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.Role;
import io.crossdial.simopen.Detection;
import io.crossdial.simopen.PoisonByteFilter;
import io.crossdial.transport.tcp.TcpDialException;
import io.crossdial.upgrader.UpgradeException;
import io.crossdial.upgrader.UpgradeStage;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Hosts dialing each other over real loopback TCP. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostDialTest {
    private final HostFixture fixture = new HostFixture();

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void twoHostsConnectPingAndEcho() throws Exception {
        HostFixture.Peer a = fixture.peer(false);
        HostFixture.Peer b = fixture.peer(false);
        Connection c = a.host.dial(b.addr()).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);

        assertEquals(b.peerId(), c.remotePeer());
        assertEquals(Direction.OUTBOUND, c.direction());
        assertEquals(Role.INITIATOR, c.role());
        assertEquals("/noise", c.security());
        assertEquals("/yamux/1.0.0", c.muxer());
        assertEquals(0, c.redials());
        assertNull(c.simopen(), "port reuse off: an ephemeral-port dial runs no role resolution");
        assertNotEquals(a.listenPort(), port(c.localAddr()));
        assertEquals(b.listenPort(), port(c.remoteAddr()));

        assertTrue(ping(c) > 0);
        byte[] data = "echo over a crossdial connection".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(data, echo(c, data));
        byte[] big = new byte[300 * 1024]; // more than one 256 KiB yamux window
        new java.util.Random(7).nextBytes(big);
        assertArrayEquals(big, echo(c, big));
    }

    @Test
    void bothHostsReportTheConnectionAndForgetItWhenItCloses() throws Exception {
        HostFixture.Peer a = fixture.peer(false);
        HostFixture.Peer b = fixture.peer(false);
        Connection dialed = a.host.dial(b.addr()).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);

        Connection aEvent = a.nextConnection();
        Connection bEvent = b.nextConnection();
        assertEquals(dialed, aEvent);
        assertEquals(Direction.OUTBOUND, aEvent.direction());
        assertEquals(Direction.INBOUND, bEvent.direction());
        assertEquals(Role.RESPONDER, bEvent.role());
        assertEquals(a.peerId(), bEvent.remotePeer());
        assertEquals(aEvent.localAddr(), bEvent.remoteAddr(), "one TCP connection");
        assertEquals(aEvent.remoteAddr(), bEvent.localAddr());
        assertEquals(List.of(aEvent), List.copyOf(a.host.connections()));
        assertEquals(aEvent, a.host.connection(b.peerId()));
        assertTrue(eventually(WAIT_MILLIS, () -> b.host.connections().size() == 1));
        assertEquals(bEvent, b.host.connection(a.peerId()));

        assertTrue(dialed.close().awaitUninterruptibly(WAIT_MILLIS));
        assertTrue(bEvent.closeFuture().awaitUninterruptibly(WAIT_MILLIS), "the remote sees the close");
        assertTrue(eventually(WAIT_MILLIS, () -> a.host.connections().isEmpty() && b.host.connections().isEmpty()));
        assertNull(a.host.connection(b.peerId()));
        assertTrue(a.connections.isEmpty() && b.connections.isEmpty(), "one event per connection and side");
    }

    @Test
    void aDialFromAListenPortToACrossdialListenerIsAnOrdinaryDialAndTheListenerDropsThePoisonByte()
            throws Exception {
        HostFixture.Peer a = fixture.peer(true);
        HostFixture.Peer b = fixture.peer(true);
        Connection c = a.host.dial(b.addr()).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        Connection inbound = b.nextConnection();

        assertEquals(a.listenPort(), port(c.localAddr()), "dialed from a's listen port");
        assertEquals(a.listenPort(), port(inbound.remoteAddr()));
        assertEquals(Detection.NONE, c.simopen().detection());
        assertFalse(c.simopen().simultaneousOpen());
        assertEquals(Role.INITIATOR, c.role());
        assertEquals(Role.RESPONDER, inbound.role());
        assertNull(inbound.simopen());
        assertEquals(Boolean.TRUE, inbound.channel().attr(PoisonByteFilter.POISON_SEEN).get(),
                "the listener read the urgent 0x00 inline and dropped it");
        assertEquals(0, c.redials());
        assertTrue(ping(c) > 0);
        assertTrue(ping(inbound) > 0, "the listener can open streams too");
    }

    @Test
    void aWrongPeerIdFailsWithPeerIdMismatchAndIsNotRedialed() throws Exception {
        HostFixture.Peer a = fixture.peer(true);
        HostFixture.Peer b = fixture.peer(true);
        PeerId someoneElse = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        Multiaddr wrong = b.host.listenAddrs().get(0).withPeerId(someoneElse);

        UpgradeException e = assertInstanceOf(UpgradeException.class,
                assertThrows(ExecutionException.class,
                        () -> a.host.dial(wrong).get(WAIT_MILLIS, TimeUnit.MILLISECONDS)).getCause());
        assertEquals(UpgradeStage.SECURITY_HANDSHAKE, e.stage());
        assertEquals("failed to complete security handshake: noise: peer ID mismatch: expected " + someoneElse
                + ", remote is " + b.peerId(), e.getMessage());

        // Not retried: the Dialer fails a dial's future only where it schedules no redial, so the failure above
        // is already the decision, and the failure is not one the redial policy counts as a collision.
        assertFalse(Dialer.isCollision(e), "a peer ID mismatch is never redialed");
        assertInstanceOf(UpgradeException.class, b.inboundFailures.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS).getValue());
        assertTrue(b.inboundFailures.isEmpty(), "b saw one failed upgrade: " + b.inboundFailures);
        assertTrue(b.connections.isEmpty());
        assertTrue(a.host.connections().isEmpty());
    }

    @Test
    void aListenPortDialThatFailsInNegotiationIsRedialedFromEphemeralPortsWithBoundedRetries() throws Exception {
        // The contrast to the peer ID mismatch: a remote that accepts and hangs up at once looks like a failed
        // simultaneous open, so the dial is retried from an ephemeral port (which cannot collide), after a
        // doubling backoff, at most MAX_REDIALS times; then the failure is final.
        HostFixture.Peer a = fixture.peer(true);
        try (ServerSocket remote = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            remote.setSoTimeout((int) WAIT_MILLIS);
            Multiaddr target = Multiaddr.fromString("/ip4/127.0.0.1/tcp/" + remote.getLocalPort());
            var dial = a.host.dial(target);
            List<Integer> sourcePorts = new ArrayList<>();
            for (int i = 0; i <= Host.MAX_REDIALS; i++) {
                try (Socket s = remote.accept()) {
                    sourcePorts.add(s.getPort());
                }
            }
            UpgradeException e = assertInstanceOf(UpgradeException.class,
                    assertThrows(ExecutionException.class,
                            () -> dial.get(WAIT_MILLIS, TimeUnit.MILLISECONDS)).getCause());
            assertEquals(UpgradeStage.SECURITY_NEGOTIATION, e.stage());
            assertEquals(a.listenPort(), sourcePorts.get(0), "the first dial goes out from the listen port");
            for (int i = 1; i < sourcePorts.size(); i++) {
                assertNotEquals(a.listenPort(), sourcePorts.get(i), "redial " + i + " uses an ephemeral port");
            }
            remote.setSoTimeout(4 * (int) Host.REDIAL_MAX_BACKOFF_MILLIS);
            assertThrows(java.net.SocketTimeoutException.class, remote::accept, "the retries are bounded");
        }
    }

    @Test
    void aRedialThatIsRefusedReportsTheFirstAttemptsFailureWithTheRedialsSuppressed() throws Exception {
        // The remote accepts one connection, hangs up at once (a failed simultaneous open, to the dialer) and
        // stops listening: the redial from an ephemeral port is refused. What the user must see is why the
        // first attempt failed, not the refused redial.
        HostFixture.Peer a = fixture.peer(true);
        ServerSocket remote = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        remote.setSoTimeout((int) WAIT_MILLIS);
        Multiaddr target = Multiaddr.fromString("/ip4/127.0.0.1/tcp/" + remote.getLocalPort());
        var dial = a.host.dial(target);
        try (remote; Socket s = remote.accept()) {
            assertEquals(a.listenPort(), s.getPort(), "the first dial goes out from the listen port");
        }
        UpgradeException e = assertInstanceOf(UpgradeException.class,
                assertThrows(ExecutionException.class, () -> dial.get(WAIT_MILLIS, TimeUnit.MILLISECONDS)).getCause());
        assertEquals(UpgradeStage.SECURITY_NEGOTIATION, e.stage());
        assertTrue(e.getSuppressed().length >= 1, "the redials' failures are attached");
        TcpDialException refused = assertInstanceOf(TcpDialException.class, e.getSuppressed()[0]);
        assertEquals("cannot connect to " + target + ": connection refused", refused.getMessage());
    }

    @Test
    void aRefusedDialFailsWithConnectionRefused() throws Exception {
        HostFixture.Peer a = fixture.peer(true);
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Multiaddr target = Multiaddr.fromString("/ip4/127.0.0.1/tcp/" + port);
        TcpDialException e = assertInstanceOf(TcpDialException.class,
                assertThrows(ExecutionException.class,
                        () -> a.host.dial(target).get(WAIT_MILLIS, TimeUnit.MILLISECONDS)).getCause());
        assertEquals("cannot connect to " + target + ": connection refused", e.getMessage());
    }
}
