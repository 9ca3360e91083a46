package io.crossdial.host.relay;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.crossdial.core.crypto.KeyFormatException;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.host.Connection;
import io.crossdial.host.StreamHandlerFactory;
import io.crossdial.host.relay.RelayException.Reason;
import io.crossdial.host.relay.pb.CircuitProtos.HopMessage;
import io.crossdial.host.relay.pb.CircuitProtos.Peer;
import io.crossdial.host.relay.pb.CircuitProtos.Reservation;
import io.crossdial.host.relay.pb.CircuitProtos.Status;
import io.crossdial.host.relay.pb.CircuitProtos.StopMessage;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A circuit relay v2 server, the hop protocol ({@value RelayProtocols#HOP}, libp2p/specs
 * {@code relay/circuit-v2.md}, "Hop Protocol"), mounted on a host with
 * {@code HostBuilder.protocol(RelayProtocols.HOP, relay.hopHandler())}.
 *
 * <ul>
 *   <li>{@code RESERVE}: answers {@code STATUS OK} with the reservation (expiry {@link RelayConfig#reservationTtlSeconds()}
 *       from now, the relay's addresses ending in {@code /p2p/RELAY}, a signed {@link Voucher}) and the circuit
 *       limit, then closes the stream. A refresh from a peer that holds a reservation renews it. Refused with
 *       {@code RESERVATION_REFUSED} past {@link RelayConfig#maxReservations()} or
 *       {@link RelayConfig#maxReservationsPerIp()}, with {@code PERMISSION_DENIED} over a relayed connection.
 *       A reservation ends at its expiry or when the peer's connection closes.</li>
 *   <li>{@code CONNECT}: with a live reservation of the target, opens a stop stream to it
 *       ({@code StopMessage CONNECT} naming the initiator and the limit); on its {@code STATUS OK} answers
 *       {@code STATUS OK} and splices the two streams ({@link CircuitBridge}, limits enforced). Otherwise
 *       {@code NO_RESERVATION}, {@code RESOURCE_LIMIT_EXCEEDED} (past {@link RelayConfig#maxCircuits()} or
 *       {@link RelayConfig#maxCircuitsPerPeer()}), {@code CONNECTION_FAILED} (the stop stream failed),
 *       {@code PERMISSION_DENIED} (over a relayed connection).</li>
 *   <li>Bad input: a length prefix over {@link RelayProtocols#MAX_MESSAGE_BYTES} or a message that does not
 *       parse is answered with {@code MALFORMED_MESSAGE}, a {@code STATUS} (or unknown type) with
 *       {@code UNEXPECTED_MESSAGE}; then the stream closes. Every wait has {@link RelayConfig#messageTimeoutMillis()}.
 *       The connection and the relay go on serving.</li>
 * </ul>
 *
 * <p>Thread-safe: the tables are guarded by this object; each stream's handler runs on its event loop.
 */
public final class RelayService {
    private static final Logger log = LoggerFactory.getLogger(RelayService.class);

    private final PrivateKey identity;
    private final PeerId relayPeer;
    private final Supplier<List<Multiaddr>> addrs;
    private final RelayConfig config;
    private final Map<PeerId, Held> reservations = new HashMap<>();
    private final Map<PeerId, Integer> circuitsPerPeer = new HashMap<>();
    private int circuits;
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong circuitsOpened = new AtomicLong();

    /** A held reservation: the peer's connection and when the reservation ends (Unix s). */
    private record Held(Connection connection, long expireSeconds, InetAddress ip) {}

    /**
     * @param identity the relay host's identity key (signs the vouchers)
     * @param addrs the relay's public addresses, without {@code /p2p/} (read at each reservation)
     * @param config bounds and limits
     */
    public RelayService(PrivateKey identity, Supplier<List<Multiaddr>> addrs, RelayConfig config) {
        this.identity = identity;
        this.relayPeer = PeerId.fromPublicKey(identity.publicKey());
        this.addrs = addrs;
        this.config = config;
    }

    /** @return the handler factory to register for {@value RelayProtocols#HOP} */
    public StreamHandlerFactory hopHandler() {
        return connection -> new HopServer(connection);
    }

    /** @return the bounds and limits */
    public RelayConfig config() {
        return config;
    }

    /** @return the live (unexpired, connected) reservations */
    public synchronized int reservations() {
        purge();
        return reservations.size();
    }

    /** @return the circuits open now */
    public synchronized int circuits() {
        return circuits;
    }

    /** @return how many circuits were opened so far */
    public long circuitsOpened() {
        return circuitsOpened.get();
    }

    /** @return how many requests were refused for a bound (reservations or circuits) */
    public long refusedForLimits() {
        return refused.get();
    }

    /** @return how many requests were malformed or unexpected */
    public long malformedRequests() {
        return malformed.get();
    }

    private static long nowSeconds() {
        return System.currentTimeMillis() / 1000;
    }

    private void purge() {
        long now = nowSeconds();
        reservations.values().removeIf(h -> h.expireSeconds <= now || !h.connection.channel().isActive());
    }

    /** Reserves or renews; returns the expiry, or the refusal status. */
    private synchronized Object reserve(Connection c) {
        purge();
        PeerId peer = c.remotePeer();
        InetAddress ip = ip(c);
        Held existing = reservations.get(peer);
        if (existing == null || existing.connection != c) {
            boolean renewal = existing != null;
            if (!renewal && reservations.size() >= config.maxReservations()) {
                return Status.RESERVATION_REFUSED;
            }
            long fromIp = reservations.values().stream().filter(h -> h.ip.equals(ip)).count();
            if (!renewal && fromIp >= config.maxReservationsPerIp()) {
                return Status.RESERVATION_REFUSED;
            }
        }
        long expire = nowSeconds() + config.reservationTtlSeconds();
        reservations.put(peer, new Held(c, expire, ip));
        if (existing == null || existing.connection != c) {
            c.closeFuture().addListener(f -> {
                synchronized (RelayService.this) {
                    reservations.computeIfPresent(peer, (k, h) -> h.connection == c ? null : h);
                }
            });
        }
        return expire;
    }

    private static InetAddress ip(Connection c) {
        return c.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress()
                : InetAddress.getLoopbackAddress();
    }

    private synchronized Connection reservedConnection(PeerId target) {
        purge();
        Held h = reservations.get(target);
        return h == null ? null : h.connection;
    }

    private synchronized boolean takeCircuit(PeerId src, PeerId dst) {
        if (circuits >= config.maxCircuits()
                || circuitsPerPeer.getOrDefault(src, 0) >= config.maxCircuitsPerPeer()
                || circuitsPerPeer.getOrDefault(dst, 0) >= config.maxCircuitsPerPeer()) {
            return false;
        }
        circuits++;
        circuitsPerPeer.merge(src, 1, Integer::sum);
        circuitsPerPeer.merge(dst, 1, Integer::sum);
        return true;
    }

    private synchronized void releaseCircuit(PeerId src, PeerId dst) {
        circuits--;
        circuitsPerPeer.computeIfPresent(src, (k, v) -> v == 1 ? null : v - 1);
        circuitsPerPeer.computeIfPresent(dst, (k, v) -> v == 1 ? null : v - 1);
    }

    private Reservation reservationMessage(PeerId peer, long expire) {
        Reservation.Builder r = Reservation.newBuilder().setExpire(expire);
        for (Multiaddr a : addrs.get()) {
            r.addAddrs(ByteString.copyFrom(a.withPeerId(relayPeer).toBytes()));
        }
        r.setVoucher(ByteString.copyFrom(new Voucher(relayPeer, peer, expire).seal(identity)));
        return r.build();
    }

    private static HopMessage status(Status s) {
        return HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(s).build();
    }

    /** The hop stream of one client: one request, one answer (then, for CONNECT, the circuit). */
    private final class HopServer extends FramedHandler {
        private final Connection connection;

        HopServer(Connection connection) {
            super(RelayProtocols.MAX_MESSAGE_BYTES, config.messageTimeoutMillis());
            this.connection = connection;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            expectMessage(ctx);
        }

        @Override
        protected void onMessage(ChannelHandlerContext ctx, byte[] frame) {
            HopMessage request;
            try {
                request = HopMessage.parseFrom(frame);
            } catch (InvalidProtocolBufferException e) {
                throw new RelayException(Reason.MALFORMED, Status.MALFORMED_MESSAGE,
                        "hop: message does not parse: " + e.getMessage(), e);
            }
            if (!request.hasType()) {
                throw new RelayException(Reason.MALFORMED, Status.MALFORMED_MESSAGE, "hop: message has no type", null);
            }
            switch (request.getType()) {
                case RESERVE -> onReserve(ctx);
                case CONNECT -> onConnect(ctx, request);
                default -> throw new RelayException(Reason.UNEXPECTED_MESSAGE, Status.UNEXPECTED_MESSAGE,
                        "hop: " + request.getType() + " is not a request", null);
            }
        }

        private void onReserve(ChannelHandlerContext ctx) {
            finish();
            if (connection.isRelayed()) {
                answer(ctx, Status.PERMISSION_DENIED, "reservation over a relayed connection");
                return;
            }
            Object r = reserve(connection);
            if (r instanceof Status s) {
                refused.incrementAndGet();
                answer(ctx, s, "reservation bound reached");
                return;
            }
            long expire = (Long) r;
            HopMessage.Builder ok = HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(Status.OK)
                    .setReservation(reservationMessage(connection.remotePeer(), expire));
            if (!config.limit().isNone()) {
                ok.setLimit(config.limit().toMessage());
            }
            log.debug("reservation for {} until {}", connection.remotePeer(), expire);
            ctx.writeAndFlush(RelayFrames.encode(ok.build(), ctx.alloc(), RelayProtocols.MAX_MESSAGE_BYTES))
                    .addListener(f -> Streams.finish(ctx.channel()));
        }

        private void onConnect(ChannelHandlerContext ctx, HopMessage request) {
            finish();
            if (connection.isRelayed()) {
                answer(ctx, Status.PERMISSION_DENIED, "circuit over a relayed connection");
                return;
            }
            PeerId target;
            try {
                if (!request.hasPeer() || !request.getPeer().hasId()) {
                    throw new KeyFormatException("no peer");
                }
                target = PeerId.fromBytes(request.getPeer().getId().toByteArray());
            } catch (RuntimeException e) {
                malformed.incrementAndGet();
                answer(ctx, Status.MALFORMED_MESSAGE, "CONNECT without a valid peer ID");
                return;
            }
            PeerId src = connection.remotePeer();
            Connection dst = reservedConnection(target);
            if (dst == null || !dst.channel().isActive()) {
                answer(ctx, Status.NO_RESERVATION, "no reservation for " + target);
                return;
            }
            if (!takeCircuit(src, target)) {
                refused.incrementAndGet();
                answer(ctx, Status.RESOURCE_LIMIT_EXCEEDED, "circuit bound reached");
                return;
            }
            MuxedStream hop = (MuxedStream) ctx.channel();
            hop.config().setAutoRead(false); // the initiator's bytes wait for the circuit
            Promise<MuxedStream> stopped = ctx.executor().newPromise();
            StopOpener opener = new StopOpener(src, stopped);
            dst.newStream(opener, RelayProtocols.STOP).addListener(f -> {
                if (!f.isSuccess()) {
                    stopped.tryFailure(f.cause());
                }
            });
            stopped.addListener(f -> {
                if (!f.isSuccess()) {
                    releaseCircuit(src, target);
                    log.debug("circuit {} -> {} failed: {}", src, target, f.cause().toString());
                    answer(ctx, Status.CONNECTION_FAILED, "stop stream to " + target + " failed");
                    return;
                }
                MuxedStream stop = (MuxedStream) f.getNow();
                HopMessage.Builder ok = HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(Status.OK);
                if (!config.limit().isNone()) {
                    ok.setLimit(config.limit().toMessage());
                }
                circuitsOpened.incrementAndGet();
                CircuitBridge bridge = new CircuitBridge(hop, stop, config.limit(), () -> releaseCircuit(src, target));
                ctx.writeAndFlush(RelayFrames.encode(ok.build(), ctx.alloc(), RelayProtocols.MAX_MESSAGE_BYTES));
                handOff(ctx, bridge.side(hop));
                stop.eventLoop().execute(() -> opener.splice(bridge.side(stop)));
            });
        }

        private void answer(ChannelHandlerContext ctx, Status s, String why) {
            log.debug("hop from {}: {} ({})", connection.remotePeer(), s, why);
            ctx.writeAndFlush(RelayFrames.encode(status(s), ctx.alloc(), RelayProtocols.MAX_MESSAGE_BYTES))
                    .addListener(f -> Streams.finish(ctx.channel()));
        }

        @Override
        protected void onFailure(ChannelHandlerContext ctx, RelayException e) {
            log.debug("hop from {} failed: {}", connection.remotePeer(), e.getMessage());
            Status s = e.status() != null ? e.status()
                    : e.reason() == Reason.TOO_LARGE ? Status.MALFORMED_MESSAGE : null;
            if (s != null && ctx.channel().isActive()) {
                malformed.incrementAndGet();
                answer(ctx, s, e.getMessage());
            } else {
                ctx.close();
            }
        }
    }

    /** The relay's stop stream to the target: CONNECT, then the target's STATUS. */
    private final class StopOpener extends FramedHandler {
        private final PeerId src;
        private final Promise<MuxedStream> result;
        private ChannelHandlerContext ctx;

        StopOpener(PeerId src, Promise<MuxedStream> result) {
            super(RelayProtocols.MAX_MESSAGE_BYTES, config.messageTimeoutMillis());
            this.src = src;
            this.result = result;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            StopMessage.Builder m = StopMessage.newBuilder().setType(StopMessage.Type.CONNECT)
                    .setPeer(Peer.newBuilder().setId(ByteString.copyFrom(src.toBytes())));
            if (!config.limit().isNone()) {
                m.setLimit(config.limit().toMessage());
            }
            ctx.writeAndFlush(RelayFrames.encode(m.build(), ctx.alloc(), RelayProtocols.MAX_MESSAGE_BYTES));
            expectMessage(ctx);
        }

        @Override
        protected void onMessage(ChannelHandlerContext ctx, byte[] frame) throws Exception {
            StopMessage answer = StopMessage.parseFrom(frame);
            if (answer.getType() != StopMessage.Type.STATUS || !answer.hasStatus()) {
                throw new RelayException(Reason.UNEXPECTED_MESSAGE, "stop: expected STATUS, got " + answer.getType());
            }
            if (answer.getStatus() != Status.OK) {
                throw new RelayException(Reason.REFUSED, answer.getStatus(), "stop: target answered "
                        + answer.getStatus(), null);
            }
            ctx.channel().config().setAutoRead(false); // the target's bytes wait for the circuit
            finish();
            result.trySuccess((MuxedStream) ctx.channel());
        }

        /** Hands the stream to the bridge (on its event loop). */
        void splice(CircuitBridge.Side side) {
            if (!ctx.isRemoved()) {
                handOff(ctx, side);
            }
        }

        @Override
        protected void onFailure(ChannelHandlerContext ctx, RelayException e) {
            result.tryFailure(e);
            ctx.close();
        }
    }
}
