package io.crossdial.transport.tcp;

import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.internal.SocketUtils;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty's NIO server channel for one {@link Shard}, accepting into {@link OobNioSocketChannel}s (SO_OOBINLINE
 * before the first read, so a crossdial dialer's poison byte arrives inline and is dropped by the upgrader).
 *
 * <p>Before each accept it takes a handshake slot from the listener's {@link HandshakeGate}; with none free
 * it accepts nothing and pauses the shard (autoRead off), leaving connections in the kernel's accept queue.
 * An accepted connection over the per-address rate ({@link InboundRateLimit}), the per-address handshake limit
 * or the transport's connection limit is closed at once, with a TCP RST, and reported.
 */
final class OobNioServerSocketChannel extends NioServerSocketChannel {
    private static final Logger log = LoggerFactory.getLogger(OobNioServerSocketChannel.class);

    private final Shard shard;
    private boolean draining;

    OobNioServerSocketChannel(Shard shard) {
        this.shard = shard;
        shard.channel = this;
    }

    private static final int EMPTY = -1;

    /** How many refused connections one read may close before it yields to the event loop. */
    private static final int MAX_REFUSED_PER_READ = 64;

    /**
     * Accepts one connection. Connections refused at accept (per-address or connection limit) are closed and
     * the next one taken in the same call, up to {@value #MAX_REFUSED_PER_READ}: Netty's read loop ends at a
     * read of 0 messages, so returning after each refusal would cost a selector round trip per refused
     * connection, which is most of the accepts under a flood from one address.
     */
    @Override
    protected int doReadMessages(List<Object> buf) throws Exception {
        for (int refused = 0; refused < MAX_REFUSED_PER_READ; refused++) {
            int r = acceptOne(buf);
            if (r != 0) {
                return Math.max(0, r);
            }
        }
        return 0;
    }

    /** @return 1 accepted, 0 accepted and closed (limit or setup failure), {@link #EMPTY} nothing queued or paused */
    private int acceptOne(List<Object> buf) throws IOException {
        if (draining) {
            shard.gate.forceAcquire();
        } else if (!shard.gate.tryAcquire()) {
            shard.pause();
            return EMPTY;
        }
        HandshakeGate.Slot slot = shard.gate.new Slot();
        SocketChannel ch;
        try {
            ch = SocketUtils.accept(javaChannel());
        } catch (IOException | RuntimeException e) {
            slot.release();
            throw e;
        }
        if (ch == null) {
            slot.release();
            return EMPTY;
        }
        SocketAddress from;
        try {
            from = ch.getRemoteAddress();
        } catch (IOException e) {
            from = null; // reset before we looked: the handshake will fail on its first read
        }
        InetAddress fromIp = from instanceof InetSocketAddress isa ? isa.getAddress() : null;
        // Checked before the Netty channel exists: under a flood from one address most accepts end here, and
        // resetting the bare socket is all they cost. Each check runs only when the ones before it passed.
        ConnectionLimitException refused;
        if (!shard.rate.tryAcquire(fromIp, System.nanoTime())) {
            refused = overRate(shard.rate.limit(), fromIp);
        } else if (!shard.gate.tryAcquireAddress(slot, fromIp)) {
            refused = overHandshakesPerAddress(shard.gate.perAddressLimit(), fromIp);
        } else {
            refused = shard.connections.tryOpen();
        }
        if (refused != null) {
            slot.release();
            shard.rejected.incrementAndGet();
            reset(ch);
            shard.connections.inboundRejected(from, refused);
            return 0;
        }
        OobNioSocketChannel child;
        try {
            child = new OobNioSocketChannel(this, ch);
        } catch (RuntimeException e) {
            slot.release();
            shard.connections.closed();
            log.warn("failed to set up an accepted connection", e);
            ch.close();
            return 0;
        }
        shard.accepted.incrementAndGet();
        child.attr(HandshakeGate.SLOT).set(slot);
        child.closeFuture().addListener(f -> {
            slot.release();
            shard.connections.closed();
        });
        buf.add(child);
        return 1;
    }

    private static ConnectionLimitException overRate(InboundRateLimit limit, InetAddress from) {
        double rate = limit.perSecond();
        String perSecond = rate == Math.rint(rate) ? String.valueOf((long) rate) : String.valueOf(rate);
        return ConnectionLimitException.inbound(ConnectionLimitException.Limit.INBOUND_RATE_PER_ADDRESS,
                limit.burst(), "inbound rate limit reached: more than " + limit.burst() + " connections from "
                        + from.getHostAddress() + " at once, " + perSecond
                        + " a second after that (inbound-rate-per-address)");
    }

    private static ConnectionLimitException overHandshakesPerAddress(int max, InetAddress from) {
        return ConnectionLimitException.inbound(ConnectionLimitException.Limit.MAX_HANDSHAKES_PER_ADDRESS, max,
                "handshake limit reached: " + max + " handshakes in progress from " + from.getHostAddress()
                        + " (max-handshakes-per-address " + max + ")");
    }

    /**
     * Closes a refused connection with a TCP RST (SO_LINGER 0) rather than a FIN: the listener closes first, and a
     * FIN would leave the connection in TIME_WAIT on the listener's side for 60 s. Under a flood of refused
     * connections those pile up by the ten thousand, and a new connection on the same four-tuple waits for a SYN
     * retransmit (1 s). The refused peer has been sent nothing and loses nothing it could use: its dial fails
     * with a reset instead of an end of stream.
     */
    private static void reset(SocketChannel ch) throws IOException {
        try {
            ch.setOption(StandardSocketOptions.SO_LINGER, 0);
        } catch (IOException e) {
            // reset by the peer already: closing is all there is left
        }
        ch.close();
    }

    /**
     * On the event loop: accepts everything in the kernel's accept queue (ignoring the handshake limit, so
     * nothing queued is lost), hands it to the pipeline, then closes the listen socket.
     */
    void drainAndClose() {
        assert eventLoop().inEventLoop();
        draining = true;
        List<Object> accepted = new ArrayList<>();
        try {
            while (acceptOne(accepted) != EMPTY) {
                // keep accepting until the kernel's queue is empty
            }
        } catch (Exception e) {
            log.debug("draining {} stopped: {}", this, e.toString());
        }
        for (Object child : accepted) {
            pipeline().fireChannelRead(child);
        }
        if (!accepted.isEmpty()) {
            pipeline().fireChannelReadComplete();
        }
        close();
    }
}
