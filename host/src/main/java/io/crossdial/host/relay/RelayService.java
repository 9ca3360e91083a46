package io.crossdial.host.relay;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.crossdial.core.crypto.KeyFormatException;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.relay.RelayException.Reason;
import io.crossdial.host.relay.pb.CircuitProtos.HopMessage;
import io.crossdial.host.relay.pb.CircuitProtos.Peer;
import io.crossdial.host.relay.pb.CircuitProtos.Reservation;
import io.crossdial.host.relay.pb.CircuitProtos.Status;
import io.crossdial.host.relay.pb.CircuitProtos.StopMessage;
import io.crossdial.upgrader.RelayResourceLimits;
import io.crossdial.upgrader.ResourceLimitExceededException;
import io.crossdial.upgrader.ResourceManager;
import io.crossdial.upgrader.ResourceManager.RelayScope;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A circuit relay v2 server, the hop protocol ({@value RelayProtocols#HOP}, libp2p/specs
 * {@code relay/circuit-v2.md}, "Hop Protocol"), served on a host with {@link #serve(Host, RelayConfig)}. Its
 * bounds are the host's resource manager's ({@link Host#resourceManager()}): each reservation and each circuit
 * is reserved there ({@link ResourceManager#reserveRelayReservation}, {@link ResourceManager#reserveRelayCircuit})
 * and released when it ends, and each circuit's duration and data limit is the manager's
 * {@link ResourceManager#relayLimits()}; the hop and stop streams a circuit splices count as streams of their
 * connections there.
 *
 * <ul>
 *   <li>{@code RESERVE}: answers {@code STATUS OK} with the reservation (expiry {@link RelayConfig#reservationTtlSeconds()}
 *       from now, the relay's addresses ending in {@code /p2p/RELAY}, a signed {@link Voucher}) and the circuit
 *       limit, then closes the stream. A refresh from a peer that holds a reservation renews it. Refused with
 *       {@code RESERVATION_REFUSED} when the resource manager refuses it
 *       ({@link RelayResourceLimits#maxReservations()}, {@link RelayResourceLimits#maxReservationsPerIp()}), with {@code PERMISSION_DENIED} over a relayed connection.
 *       A reservation ends at its expiry or when the peer's connection closes.</li>
 *   <li>{@code CONNECT}: with a live reservation of the target, opens a stop stream to it
 *       ({@code StopMessage CONNECT} naming the initiator and the limit); on its {@code STATUS OK} answers
 *       {@code STATUS OK} and splices the two streams ({@link CircuitBridge}, limits enforced). Otherwise
 *       {@code NO_RESERVATION}, {@code RESOURCE_LIMIT_EXCEEDED} (the resource manager refused the
 *       circuit: {@link RelayResourceLimits#maxCircuits()}, {@link RelayResourceLimits#maxCircuitsPerPeer()}), {@code CONNECTION_FAILED} (the stop stream failed),
 *       {@code PERMISSION_DENIED} (over a relayed connection).</li>
 *   <li>Bad input: a length prefix over {@link RelayProtocols#MAX_MESSAGE_BYTES} or a message that does not
 *       parse is answered with {@code MALFORMED_MESSAGE}, a {@code STATUS} (or unknown type) with
 *       {@code UNEXPECTED_MESSAGE}; then the stream closes. Every wait has {@link RelayConfig#messageTimeoutMillis()}.
 *       The connection and the relay go on serving.</li>
 * </ul>
 *
 * <p>Thread-safe: the reservation table is guarded by this object; each stream's handler runs on its event
 * loop.
 */
public final class RelayService {
    private static final Logger log = LoggerFactory.getLogger(RelayService.class);

    private final PrivateKey identity;
    private final PeerId relayPeer;
    private final Supplier<List<Multiaddr>> addrs;
    private final RelayConfig config;
    private final ResourceManager resources;
    private final RelayLimit limit;
    private final Map<PeerId, Held> reservations = new HashMap<>();
    private final AtomicInteger circuits = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong circuitsOpened = new AtomicLong();

    /**
     * A held reservation: the peer's connection, when the reservation ends (Unix s), and its scope in the
     * resource manager.
     */
    private record Held(Connection connection, long expireSeconds, RelayScope scope) {}

    private RelayService(PrivateKey identity, Supplier<List<Multiaddr>> addrs, RelayConfig config,
            ResourceManager resources) {
        this.identity = identity;
        this.relayPeer = PeerId.fromPublicKey(identity.publicKey());
        this.addrs = addrs;
        this.config = config;
        this.resources = resources;
        RelayResourceLimits l = resources.relayLimits();
        this.limit = new RelayLimit(l.circuitDurationSeconds(), l.circuitDataBytes());
    }

    /**
     * Serves the hop protocol on {@code host} from now on ({@link Host#addProtocol}): vouchers signed with the
     * host's identity, reservations naming its {@link Host#advertisedAddrs()} (read at each reservation), bounds
     * from its {@link Host#resourceManager()}. Works before and after {@link Host#start()}.
     *
     * @param host the relay's host
     * @param config the reservation lifetime and the message timeout
     * @return the running service, for its counters
     * @throws IllegalArgumentException if an argument is null
     */
    public static RelayService serve(Host host, RelayConfig config) {
        if (host == null || config == null) {
            throw new IllegalArgumentException("host and config are required");
        }
        RelayService service = new RelayService(host.identity(), host::advertisedAddrs, config,
                host.resourceManager());
        host.addProtocol(RelayProtocols.HOP, connection -> service.new HopServer(connection));
        return service;
    }

    /** @return the reservation lifetime and message timeout */
    public RelayConfig config() {
        return config;
    }

    /** @return each circuit's duration and data limit, from the resource manager's relay limits */
    public RelayLimit circuitLimit() {
        return limit;
    }

    /** @return the live (unexpired, connected) reservations */
    public synchronized int reservations() {
        purge();
        return reservations.size();
    }

    /** @return the circuits open now */
    public int circuits() {
        return circuits.get();
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
        reservations.values().removeIf(h -> {
            boolean over = h.expireSeconds <= now || !h.connection.channel().isActive();
            if (over) {
                h.scope.close();
            }
            return over;
        });
    }

    /**
     * Reserves or renews; returns the expiry.
     *
     * @throws ResourceLimitExceededException when the resource manager refuses a new reservation
     */
    private synchronized long reserve(Connection c) {
        purge();
        PeerId peer = c.remotePeer();
        Held existing = reservations.get(peer);
        RelayScope scope = existing != null ? existing.scope : resources.reserveRelayReservation(peer, ip(c));
        long expire = nowSeconds() + config.reservationTtlSeconds();
        reservations.put(peer, new Held(c, expire, scope));
        if (existing == null || existing.connection != c) {
            c.closeFuture().addListener(f -> {
                synchronized (RelayService.this) {
                    Held h = reservations.get(peer);
                    if (h != null && h.connection == c) {
                        reservations.remove(peer);
                        h.scope.close();
                    }
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

    /**
     * Reserves a circuit in the resource manager.
     *
     * @return its release, idempotent
     * @throws ResourceLimitExceededException when the resource manager refuses it
     */
    private Runnable takeCircuit(PeerId src, PeerId dst) {
        RelayScope scope = resources.reserveRelayCircuit(src, dst);
        circuits.incrementAndGet();
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                circuits.decrementAndGet();
                scope.close();
            }
        };
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
            long expire;
            try {
                expire = reserve(connection);
            } catch (ResourceLimitExceededException e) {
                refused.incrementAndGet();
                answer(ctx, Status.RESERVATION_REFUSED, e.getMessage());
                return;
            }
            HopMessage.Builder ok = HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(Status.OK)
                    .setReservation(reservationMessage(connection.remotePeer(), expire));
            if (!limit.isNone()) {
                ok.setLimit(limit.toMessage());
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
            Runnable release;
            try {
                release = takeCircuit(src, target);
            } catch (ResourceLimitExceededException e) {
                refused.incrementAndGet();
                answer(ctx, Status.RESOURCE_LIMIT_EXCEEDED, e.getMessage());
                return;
            }
            MuxedStream hop = (MuxedStream) ctx.channel();
            hop.config().setAutoRead(false); // the initiator's bytes wait for the circuit
            Promise<MuxedStream> stopped = ctx.executor().newPromise();
            StopOpener opener = new StopOpener(src, stopped);
            dst.newStream(opener, RelayProtocols.STOP).whenComplete((stream, e) -> {
                if (e != null) {
                    stopped.tryFailure(e);
                }
            });
            stopped.addListener(f -> {
                if (!f.isSuccess()) {
                    release.run();
                    log.debug("circuit {} -> {} failed: {}", src, target, f.cause().toString());
                    answer(ctx, Status.CONNECTION_FAILED, "stop stream to " + target + " failed");
                    return;
                }
                MuxedStream stop = (MuxedStream) f.getNow();
                HopMessage.Builder ok = HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(Status.OK);
                if (!limit.isNone()) {
                    ok.setLimit(limit.toMessage());
                }
                circuitsOpened.incrementAndGet();
                CircuitBridge bridge = new CircuitBridge(hop, stop, limit, release);
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
            if (!limit.isNone()) {
                m.setLimit(limit.toMessage());
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
