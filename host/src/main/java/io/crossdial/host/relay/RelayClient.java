package io.crossdial.host.relay;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.Role;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.HostBuilder;
import io.crossdial.host.internal.Futures;
import io.crossdial.host.relay.RelayException.Reason;
import io.crossdial.host.relay.pb.CircuitProtos.HopMessage;
import io.crossdial.host.relay.pb.CircuitProtos.Peer;
import io.crossdial.host.relay.pb.CircuitProtos.Status;
import io.crossdial.host.relay.pb.CircuitProtos.StopMessage;
import io.crossdial.host.protocol.IdentifyClient;
import io.crossdial.host.protocol.ProtocolIds;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of circuit relay v2 (libp2p/specs {@code relay/circuit-v2.md}): reservations on relays
 * (kept refreshed with {@link #listenVia}), dials through {@code /p2p-circuit} addresses ({@link #dial}), and
 * the stop protocol ({@value RelayProtocols#STOP}) that accepts relayed connections from the relays this
 * peer holds a reservation with. Relayed connections are upgraded like TCP ones (multistream-select, Noise
 * or TLS, yamux or mplex, over the relay stream; {@link Host#upgradeRelayed}).
 *
 * <p>Use: {@code RelayClient relay = new RelayClient(timeoutMillis); Host host = relay.register(builder).build();
 * relay.bind(host);}. Thread-safe.
 */
public final class RelayClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RelayClient.class);
    /** First delay before reconnecting to a relay whose connection closed, ms; doubles up to 30 s. */
    static final long RECONNECT_BASE_MILLIS = 1_000;
    static final long RECONNECT_MAX_MILLIS = 30_000;

    private final long timeoutMillis;
    private volatile Host host;
    private final Map<PeerId, RelayReservation> held = new ConcurrentHashMap<>();
    private final List<Keeper> keepers = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /** @param timeoutMillis how long each relay message, dial or identify may take, ms */
    public RelayClient(long timeoutMillis) {
        if (timeoutMillis < 1) {
            throw new IllegalArgumentException("timeoutMillis must be positive");
        }
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Registers the stop protocol on a host being built.
     *
     * @param b the builder
     * @return {@code b}
     */
    public HostBuilder register(HostBuilder b) {
        return b.protocol(RelayProtocols.STOP, connection -> new StopServer(connection));
    }

    /**
     * @param h the host built from the builder given to {@link #register}
     * @return this client
     */
    public RelayClient bind(Host h) {
        this.host = h;
        return this;
    }

    private Host host() {
        Host h = host;
        if (h == null) {
            throw new IllegalStateException("RelayClient.bind(host) was not called");
        }
        return h;
    }

    /** @return the reservations held now, one per relay */
    public List<RelayReservation> reservations() {
        long now = System.currentTimeMillis() / 1000;
        List<RelayReservation> out = new ArrayList<>();
        for (RelayReservation r : held.values()) {
            if (r.expireSeconds() > now) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * Sends one {@code RESERVE} to a relay on a connection to it.
     *
     * @param relay a direct connection to the relay
     * @return completes (on the connection's event loop) with the reservation (voucher checked), or exceptionally
     *     with a {@link RelayException}:
     *     {@link Reason#REFUSED} with the relay's status, {@link Reason#MALFORMED} (unparsable answer, missing
     *     or expired reservation, bad voucher), {@link Reason#TOO_LARGE}, {@link Reason#TIMEOUT},
     *     {@link Reason#CLOSED}; or with the stream's failure
     */
    public CompletableFuture<RelayReservation> reserve(Connection relay) {
        Promise<RelayReservation> promise = relay.channel().eventLoop().newPromise();
        relay.newStream(new ReserveRequest(relay, promise), RelayProtocols.HOP).whenComplete((stream, e) -> {
            if (e != null) {
                promise.tryFailure(e);
            }
        });
        promise.addListener(f -> {
            if (f.isSuccess()) {
                held.put(relay.remotePeer(), (RelayReservation) f.getNow());
            }
        });
        return Futures.toCompletable(promise);
    }

    /**
     * Dials a peer through a relay: connects to the relay (or uses a live connection), sends {@code CONNECT},
     * and on {@code STATUS OK} upgrades the hop stream as the initiator.
     *
     * @param circuit {@code RELAY-ADDR/p2p/RELAY/p2p-circuit/p2p/PEER}
     * @return completes (on an event loop) with the relayed connection, or exceptionally with a
     *     {@link RelayException} ({@link Reason#REFUSED} carries the relay's status, e.g. {@code NO_RESERVATION}),
     *     the relay dial's failure, an {@code UpgradeException}, or at once with the {@code MultiaddrException}
     *     of an address that is not a circuit
     */
    public CompletableFuture<Connection> dial(Multiaddr circuit) {
        CircuitAddr ca;
        try {
            ca = CircuitAddr.parse(circuit);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        Promise<Connection> promise = host().transport().workerGroup().next().newPromise();
        relayConnection(ca).whenComplete((relay, e) -> {
            if (e != null) {
                promise.tryFailure(e);
                return;
            }
            relay.newStream(new ConnectRequest(ca, circuit, promise), RelayProtocols.HOP).whenComplete((s, x) -> {
                if (x != null) {
                    promise.tryFailure(x);
                }
            });
        });
        return Futures.toCompletable(promise);
    }

    private CompletableFuture<Connection> relayConnection(CircuitAddr ca) {
        Connection live = host().connection(ca.relay());
        if (live != null && !live.isRelayed()) {
            return CompletableFuture.completedFuture(live);
        }
        return host().dial(ca.relayAddr());
    }

    /**
     * Makes this peer reachable through a relay and keeps it so: dials the relay, runs identify on that
     * connection (so {@link Connection#observedAddr()} holds this peer's address as the relay sees it),
     * reserves, refreshes the reservation before it expires (at three quarters of its lifetime), and
     * reconnects and reserves again when the connection to the relay closes (backoff from 1 s to 30 s).
     *
     * @param relayAddr the relay's address, ending in {@code /p2p/RELAY}
     * @return completes (on an event loop) with the first reservation, or exceptionally with the first attempt's
     *     failure (the client keeps trying in the background until {@link #close()})
     */
    public CompletableFuture<RelayReservation> listenVia(Multiaddr relayAddr) {
        EventLoop loop = host().transport().workerGroup().next();
        Keeper k = new Keeper(relayAddr, loop);
        keepers.add(k);
        loop.execute(k::connect);
        return Futures.toCompletable(k.first);
    }

    /** Stops refreshing reservations (the connections stay until the host closes them). */
    @Override
    public void close() {
        closed = true;
    }

    /** Keeps one relay's reservation alive. Runs on its event loop. */
    private final class Keeper {
        private final Multiaddr relayAddr;
        private final EventLoop loop;
        private final Promise<RelayReservation> first;
        private long backoffMillis = RECONNECT_BASE_MILLIS;

        Keeper(Multiaddr relayAddr, EventLoop loop) {
            this.relayAddr = relayAddr;
            this.loop = loop;
            this.first = loop.newPromise();
        }

        void connect() {
            if (closed) {
                return;
            }
            host().dial(relayAddr).whenComplete((c, e) -> {
                if (e != null) {
                    retry(e);
                    return;
                }
                c.closeFuture().addListener(x -> {
                    held.remove(c.remotePeer());
                    retry(new RelayException(Reason.CLOSED, "connection to relay " + c.remotePeer() + " closed"));
                });
                identify(c).whenComplete((v, x) -> refresh(c));
            });
        }

        void refresh(Connection c) {
            if (closed || !c.channel().isActive()) {
                return;
            }
            reserve(c).whenComplete((r, e) -> {
                if (e != null) {
                    log.debug("reservation on {} failed: {}", relayAddr, e.toString());
                    first.tryFailure(e);
                    loop.schedule(() -> refresh(c), backoffMillis, TimeUnit.MILLISECONDS);
                    backoffMillis = Math.min(RECONNECT_MAX_MILLIS, backoffMillis * 2);
                    return;
                }
                backoffMillis = RECONNECT_BASE_MILLIS;
                first.trySuccess(r);
                long ttlMillis = Math.max(0, r.expireSeconds() * 1000 - System.currentTimeMillis());
                loop.schedule(() -> refresh(c), Math.max(1000, ttlMillis * 3 / 4), TimeUnit.MILLISECONDS);
            });
        }

        void retry(Throwable cause) {
            if (closed || loop.isShuttingDown()) {
                return; // the client or the host was closed: the connection to the relay went with it
            }
            first.tryFailure(cause);
            log.debug("relay {}: {}; again in {} ms", relayAddr, cause.toString(), backoffMillis);
            loop.schedule(this::connect, backoffMillis, TimeUnit.MILLISECONDS);
            backoffMillis = Math.min(RECONNECT_MAX_MILLIS, backoffMillis * 2);
        }
    }

    /**
     * Runs identify on a connection and keeps the observed address on it ({@link Connection#recordObservedAddr}).
     *
     * @param c the connection
     * @return completes (on the connection's event loop) with null when identify ended, successfully or not;
     *     never completes exceptionally
     */
    public CompletableFuture<Void> identify(Connection c) {
        Promise<Void> done = c.channel().eventLoop().newPromise();
        c.newStream(s -> new IdentifyClient(s, Duration.ofMillis(timeoutMillis)), ProtocolIds.IDENTIFY)
                .whenComplete((client, e) -> {
                    if (e != null) {
                        done.trySuccess(null);
                        return;
                    }
                    client.result().whenComplete((info, x) -> {
                        if (x == null) {
                            c.recordObservedAddr(info.observedAddr());
                        }
                        done.trySuccess(null);
                    });
                });
        return Futures.toCompletable(done);
    }

    private static HopMessage parseHop(byte[] frame) {
        try {
            return HopMessage.parseFrom(frame);
        } catch (InvalidProtocolBufferException e) {
            throw new RelayException(Reason.MALFORMED, null, "hop: answer does not parse: " + e.getMessage(), e);
        }
    }

    private static void expectStatusOk(HopMessage m, String what) {
        if (m.getType() != HopMessage.Type.STATUS || !m.hasStatus()) {
            throw new RelayException(Reason.UNEXPECTED_MESSAGE, "hop: expected STATUS to " + what + ", got "
                    + (m.hasType() ? m.getType() : "no type"));
        }
        if (m.getStatus() != Status.OK) {
            throw new RelayException(Reason.REFUSED, m.getStatus(), "relay refused " + what + ": " + m.getStatus(),
                    null);
        }
    }

    /** RESERVE, then the relay's STATUS. */
    private final class ReserveRequest extends FramedHandler {
        private final Connection relay;
        private final Promise<RelayReservation> result;

        ReserveRequest(Connection relay, Promise<RelayReservation> result) {
            super(RelayProtocols.MAX_MESSAGE_BYTES, timeoutMillis);
            this.relay = relay;
            this.result = result;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(RelayFrames.encode(HopMessage.newBuilder().setType(HopMessage.Type.RESERVE).build(),
                    ctx.alloc(), RelayProtocols.MAX_MESSAGE_BYTES));
            ctx.channel().config().setAutoRead(true);
            expectMessage(ctx);
        }

        @Override
        protected void onMessage(ChannelHandlerContext ctx, byte[] frame) {
            HopMessage m = parseHop(frame);
            expectStatusOk(m, "the reservation");
            if (!m.hasReservation() || !m.getReservation().hasExpire()) {
                throw new RelayException(Reason.MALFORMED, "hop: STATUS OK without a reservation expiry");
            }
            long expire = m.getReservation().getExpire();
            if (expire <= System.currentTimeMillis() / 1000) {
                throw new RelayException(Reason.MALFORMED, "hop: reservation already expired (" + expire + ")");
            }
            PeerId self = host().peerId();
            List<Multiaddr> addrs = new ArrayList<>();
            List<Multiaddr> circuits = new ArrayList<>();
            for (ByteString b : m.getReservation().getAddrsList()) {
                try {
                    Multiaddr a = Multiaddr.fromBytes(b.toByteArray());
                    if (a.peerId() == null) {
                        a = a.withPeerId(relay.remotePeer());
                    }
                    addrs.add(a);
                    circuits.add(CircuitAddr.of(a, self));
                } catch (RuntimeException e) {
                    log.debug("relay address skipped: {}", e.getMessage());
                }
            }
            Voucher voucher = null;
            if (m.getReservation().hasVoucher()) {
                voucher = Voucher.open(m.getReservation().getVoucher().toByteArray());
                if (!voucher.relay().equals(relay.remotePeer()) || !voucher.peer().equals(self)
                        || voucher.expirationSeconds() != expire) {
                    throw new RelayException(Reason.MALFORMED, "voucher names " + voucher + ", not relay "
                            + relay.remotePeer() + ", peer " + self + ", expiry " + expire);
                }
            }
            finish();
            Streams.finish(ctx.channel());
            result.trySuccess(new RelayReservation(relay.remotePeer(), expire, List.copyOf(addrs),
                    List.copyOf(circuits), RelayLimit.of(m.hasLimit(), m.getLimit()), voucher));
        }

        @Override
        protected void onFailure(ChannelHandlerContext ctx, RelayException e) {
            result.tryFailure(e);
            ctx.close();
        }
    }

    /** CONNECT, the relay's STATUS, then the upgrade as initiator on the same stream. */
    private final class ConnectRequest extends FramedHandler {
        private final CircuitAddr target;
        private final Multiaddr circuit;
        private final Promise<Connection> result;

        ConnectRequest(CircuitAddr target, Multiaddr circuit, Promise<Connection> result) {
            super(RelayProtocols.MAX_MESSAGE_BYTES, timeoutMillis);
            this.target = target;
            this.circuit = circuit;
            this.result = result;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            HopMessage connect = HopMessage.newBuilder().setType(HopMessage.Type.CONNECT)
                    .setPeer(Peer.newBuilder().setId(ByteString.copyFrom(target.target().toBytes()))).build();
            ctx.writeAndFlush(RelayFrames.encode(connect, ctx.alloc(), RelayProtocols.MAX_MESSAGE_BYTES));
            ctx.channel().config().setAutoRead(true);
            expectMessage(ctx);
        }

        @Override
        protected void onMessage(ChannelHandlerContext ctx, byte[] frame) {
            expectStatusOk(parseHop(frame), "the circuit to " + target.target());
            finish();
            host().upgradeRelayed(ctx.channel(), Role.INITIATOR, target.target(), circuit).whenComplete((c, e) -> {
                if (e == null) {
                    result.trySuccess(c);
                } else {
                    result.tryFailure(e);
                }
            });
            handOff(ctx, null);
        }

        @Override
        protected void onFailure(ChannelHandlerContext ctx, RelayException e) {
            result.tryFailure(e);
            ctx.close();
        }
    }

    /** The stop protocol: the relay's CONNECT, our STATUS, then the upgrade as responder. */
    private final class StopServer extends FramedHandler {
        private final Connection relay;

        StopServer(Connection relay) {
            super(RelayProtocols.MAX_MESSAGE_BYTES, timeoutMillis);
            this.relay = relay;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(true);
            expectMessage(ctx);
        }

        @Override
        protected void onMessage(ChannelHandlerContext ctx, byte[] frame) {
            StopMessage m;
            try {
                m = StopMessage.parseFrom(frame);
            } catch (InvalidProtocolBufferException e) {
                throw new RelayException(Reason.MALFORMED, Status.MALFORMED_MESSAGE,
                        "stop: message does not parse: " + e.getMessage(), e);
            }
            if (!m.hasType() || m.getType() != StopMessage.Type.CONNECT) {
                throw new RelayException(Reason.UNEXPECTED_MESSAGE, Status.UNEXPECTED_MESSAGE,
                        "stop: expected CONNECT, got " + (m.hasType() ? m.getType() : "no type"), null);
            }
            PeerId src;
            try {
                src = PeerId.fromBytes(m.getPeer().getId().toByteArray());
            } catch (RuntimeException e) {
                throw new RelayException(Reason.MALFORMED, Status.MALFORMED_MESSAGE, "stop: CONNECT without a valid peer ID", e);
            }
            if (relay.isRelayed() || !held.containsKey(relay.remotePeer())) {
                throw new RelayException(Reason.REFUSED, Status.PERMISSION_DENIED,
                        "stop: no reservation with " + relay.remotePeer(), null);
            }
            finish();
            ctx.writeAndFlush(RelayFrames.encode(StopMessage.newBuilder().setType(StopMessage.Type.STATUS)
                    .setStatus(Status.OK).build(), ctx.alloc(), RelayProtocols.MAX_MESSAGE_BYTES));
            Multiaddr relayAddr = relay.remoteAddr().withPeerId(relay.remotePeer());
            Multiaddr circuit = CircuitAddr.of(relayAddr, src);
            host().upgradeRelayed(ctx.channel(), Role.RESPONDER, src, circuit).whenComplete((c, e) -> {
                if (e != null) {
                    log.debug("relayed connection from {} via {} failed: {}", src, relay.remotePeer(), e.toString());
                }
            });
            handOff(ctx, null);
        }

        @Override
        protected void onFailure(ChannelHandlerContext ctx, RelayException e) {
            log.debug("stop from {} failed: {}", relay.remotePeer(), e.getMessage());
            Status s = e.status() != null ? e.status()
                    : e.reason() == Reason.TOO_LARGE ? Status.MALFORMED_MESSAGE : null;
            if (s != null && ctx.channel().isActive()) {
                ctx.writeAndFlush(RelayFrames.encode(StopMessage.newBuilder().setType(StopMessage.Type.STATUS)
                        .setStatus(s).build(), ctx.alloc(), RelayProtocols.MAX_MESSAGE_BYTES))
                        .addListener(f -> Streams.finish(ctx.channel()));
            } else {
                ctx.close();
            }
        }
    }
}
