package io.crossdial.host.dcutr;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Component;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.multiaddr.Protocol;
import io.crossdial.core.spi.Role;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.HostBuilder;
import io.crossdial.host.internal.Futures;
import io.crossdial.host.dcutr.DcutrException.Reason;
import io.crossdial.host.dcutr.pb.DcutrProtos.HolePunch;
import io.crossdial.host.protocol.IdentifyClient;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.host.relay.FramedHandler;
import io.crossdial.host.relay.RelayException;
import io.crossdial.host.relay.RelayFrames;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Direct Connection Upgrade through Relay ({@value #PROTOCOL_ID}, libp2p/specs {@code relay/DCUtR.md}): turns a
 * relayed connection into a direct one by a TCP simultaneous open through both NATs.
 *
 * <pre>
 *   opener (inbound side of the relayed connection)          other side (it dialed through the relay)
 *   open /libp2p/dcutr, CONNECT{our observed addrs}, t0 -->
 *                                            <-- CONNECT{its observed addrs}           (rtt = now - t0)
 *   SYNC -->                                                  on SYNC: dial at once, hint INITIATOR (client)
 *   after rtt/2: dial, hint RESPONDER (server)
 *   each dial goes out from the listen port; on a failed attempt the opener starts again with CONNECT on the
 *   same stream, at most 3 attempts (the spec's "retry twice"); the third flips both hints, as go-libp2p
 *   (>= 0.48) does
 * </pre>
 *
 * <p>Messages are {@code HolePunch{type, ObsAddrs}} protobufs behind a uvarint length, refused over
 * {@value #MAX_MESSAGE_BYTES} bytes ({@link DcutrException.Reason#TOO_LARGE}). Observed addresses are what the
 * peers' identify said on direct connections ({@link Connection#observedAddr()}); identify runs on a direct
 * connection that has none yet. Received addresses that cannot be dialed ({@code /p2p-circuit}, no TCP, an
 * unspecified IP, port 0, another peer's {@code /p2p/}) are dropped; at most {@value #MAX_ADDRS} are kept.
 *
 * <p>Roles: the opener is the server (security responder), the other side the client, passed to the dial as
 * a hint ({@link Host#dial(Multiaddr, Role)}): on a TCP simultaneous open the {@code select:} numbers are drawn
 * so that these roles win; when the hints agree or the connection is not a simultaneous open, crossdial's
 * in-band resolution decides, so a wrong hint costs nothing but the hint. Once the direct connection is usable
 * the relayed one is closed (by both sides).
 *
 * <p>Use: {@code Dcutr d = new Dcutr(timeoutMillis, dialTimeoutMillis); Host h = d.register(builder).build();
 * d.bind(h);} then {@link #holePunch} on each inbound relayed connection. Thread-safe.
 */
public final class Dcutr {
    /** The protocol ID. */
    public static final String PROTOCOL_ID = "/libp2p/dcutr";
    /** Largest message, length prefix excluded: 4 KiB (the spec's SHOULD). */
    public static final int MAX_MESSAGE_BYTES = 4096;
    /** Attempts per relayed connection: 1 + the spec's two retries. */
    public static final int MAX_ATTEMPTS = 3;
    /** Most addresses taken from one {@code CONNECT}. */
    public static final int MAX_ADDRS = 16;

    private static final Logger log = LoggerFactory.getLogger(Dcutr.class);

    private final long timeoutMillis;
    private final long dialTimeoutMillis;
    private volatile Host host;
    private final Map<PeerId, Promise<HolepunchResult>> results = new ConcurrentHashMap<>();
    private final Set<Connection> punching = ConcurrentHashMap.newKeySet();

    /**
     * @param timeoutMillis how long each DCUtR message (and the identify for our own address) may take, ms
     * @param dialTimeoutMillis how long each attempt's direct dial may take, ms
     */
    public Dcutr(long timeoutMillis, long dialTimeoutMillis) {
        if (timeoutMillis < 1 || dialTimeoutMillis < 1) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
        this.timeoutMillis = timeoutMillis;
        this.dialTimeoutMillis = dialTimeoutMillis;
    }

    /** Registers the protocol on a host being built (the side that did not open the stream answers there). */
    public HostBuilder register(HostBuilder b) {
        return b.protocol(PROTOCOL_ID, connection -> new Answerer(connection));
    }

    /** @param h the host built from the registered builder @return this */
    public Dcutr bind(Host h) {
        this.host = h;
        return this;
    }

    private Host host() {
        Host h = host;
        if (h == null) {
            throw new IllegalStateException("Dcutr.bind(host) was not called");
        }
        return h;
    }

    /**
     * @param peer a remote peer
     * @return the outcome of the latest hole punch with {@code peer}, in either role: completes (on an event
     *     loop) when it succeeded, exceptionally when it ended without success (a {@link DcutrException}); a
     *     completed outcome stays until the next exchange with that peer starts
     */
    public CompletableFuture<HolepunchResult> result(PeerId peer) {
        return Futures.toCompletable(outcome(peer));
    }

    private Promise<HolepunchResult> outcome(PeerId peer) {
        return results.computeIfAbsent(peer, p -> host().transport().workerGroup().next().newPromise());
    }

    private void report(PeerId peer, HolepunchResult r, Throwable failure) {
        if (peer == null) {
            return;
        }
        Promise<HolepunchResult> p = outcome(peer);
        if (r != null) {
            p.trySuccess(r);
        } else {
            p.tryFailure(failure);
        }
    }

    /** A new exchange with {@code peer} starts: a fresh result unless one is still pending. */
    private void renew(PeerId peer) {
        results.compute(peer, (k, v) -> v == null || v.isDone() ? host().transport().workerGroup().next().newPromise() : v);
    }

    /**
     * Runs DCUtR as the opener on a relayed connection (do this on the inbound side, as the spec says).
     *
     * @param relayed a relayed connection ({@link Connection#isRelayed()})
     * @return completes (on the relayed connection's event loop) with the direct connection (the relayed one is
     *     then closed), or exceptionally with a {@link DcutrException}, or at once with an
     *     {@link IllegalStateException} when {@code relayed} is not relayed or already punching; the relayed
     *     connection stays usable on failure
     */
    public CompletableFuture<HolepunchResult> holePunch(Connection relayed) {
        Promise<HolepunchResult> promise = relayed.channel().eventLoop().newPromise();
        if (!relayed.isRelayed() || !punching.add(relayed)) {
            return CompletableFuture.failedFuture(
                    new IllegalStateException("not a relayed connection, or already punching"));
        }
        renew(relayed.remotePeer());
        promise.addListener(f -> {
            punching.remove(relayed);
            report(relayed.remotePeer(), f.isSuccess() ? (HolepunchResult) f.getNow() : null, f.cause());
        });
        long start = System.nanoTime();
        ownAddrs().addListener(a -> {
            @SuppressWarnings("unchecked")
            List<Multiaddr> own = (List<Multiaddr>) a.getNow();
            relayed.newStream(new Opener(relayed, own, start, promise), PROTOCOL_ID).whenComplete((stream, e) -> {
                if (e == null) {
                    return;
                }
                Connection direct = directTo(relayed.remotePeer());
                if (direct != null) {
                    // the remote connected directly by itself (js-libp2p's unilateral upgrade) and closed the
                    // relayed connection
                    promise.trySuccess(new HolepunchResult(direct, 0, 0, System.nanoTime() - start, null, List.of()));
                    return;
                }
                Reason reason = relayed.channel().isActive() ? Reason.UNSUPPORTED : Reason.CLOSED;
                promise.tryFailure(new DcutrException(reason, "dcutr: cannot open a stream to "
                        + relayed.remotePeer() + ": " + e.getMessage(), e));
            });
        });
        return Futures.toCompletable(promise);
    }

    /**
     * Starts {@link #holePunch} on an inbound relayed connection, as the spec has the inbound peer do; ignores
     * every other connection. Suits {@code HostBuilder.onConnection}.
     *
     * @param c a new connection
     * @return the hole punch, or null when {@code c} is not an inbound relayed connection
     */
    public CompletableFuture<HolepunchResult> onConnection(Connection c) {
        if (!c.isRelayed() || c.direction() != io.crossdial.host.Direction.INBOUND) {
            return null;
        }
        return holePunch(c);
    }

    /** Our observed addresses from the direct connections; runs identify where none is known yet. */
    Future<List<Multiaddr>> ownAddrs() {
        List<Multiaddr> known = observedAddrs();
        if (!known.isEmpty()) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(known);
        }
        List<Connection> direct = host().connections().stream().filter(c -> !c.isRelayed()).toList();
        Promise<List<Multiaddr>> out = host().transport().workerGroup().next().newPromise();
        if (direct.isEmpty()) {
            return out.setSuccess(List.of());
        }
        AtomicInteger left = new AtomicInteger(direct.size());
        for (Connection c : direct) {
            c.newStream(s -> new IdentifyClient(s, Duration.ofMillis(timeoutMillis)), ProtocolIds.IDENTIFY)
                    .whenComplete((client, e) -> {
                        if (e != null) {
                            if (left.decrementAndGet() == 0) {
                                out.trySuccess(observedAddrs());
                            }
                            return;
                        }
                        client.result().whenComplete((info, x) -> {
                            if (x == null) {
                                c.recordObservedAddr(info.observedAddr());
                            }
                            if (left.decrementAndGet() == 0) {
                                out.trySuccess(observedAddrs());
                            }
                        });
                    });
        }
        return out;
    }

    /** @return the distinct observed addresses of the live direct connections, without {@code /p2p/} */
    public List<Multiaddr> observedAddrs() {
        Set<Multiaddr> out = new LinkedHashSet<>();
        for (Connection c : host().connections()) {
            Multiaddr a = c.observedAddr();
            if (!c.isRelayed() && a != null && c.channel().isActive()) {
                try {
                    out.add(a.peerId() == null ? a : a.withoutPeerId());
                } catch (RuntimeException e) {
                    // an address that is only a peer ID: nothing to dial
                }
            }
        }
        return List.copyOf(out);
    }

    /**
     * The addresses of a {@code CONNECT} that can be dialed: parsable, TCP, not relayed, a specified IP and
     * port, no other peer's {@code /p2p/}; at most {@value #MAX_ADDRS}.
     */
    static List<Multiaddr> dialable(List<ByteString> raw, PeerId remote) {
        List<Multiaddr> out = new ArrayList<>();
        for (ByteString b : raw) {
            if (out.size() >= MAX_ADDRS) {
                break;
            }
            try {
                Multiaddr a = Multiaddr.fromBytes(b.toByteArray());
                boolean circuit = false;
                for (Component c : a.components()) {
                    circuit |= c.protocol() == Protocol.P2P_CIRCUIT;
                }
                PeerId named = a.peerId();
                if (circuit || (named != null && !named.equals(remote))) {
                    continue;
                }
                InetSocketAddress sa = a.toSocketAddress();
                if (sa.isUnresolved() || sa.getAddress().isAnyLocalAddress() || sa.getPort() == 0) {
                    continue;
                }
                Multiaddr bare = named == null ? a : a.withoutPeerId();
                if (!out.contains(bare)) {
                    out.add(bare);
                }
            } catch (RuntimeException e) {
                log.debug("dcutr: address skipped: {}", e.getMessage());
            }
        }
        return out;
    }

    private static void write(ChannelHandlerContext ctx, HolePunch.Type type, List<Multiaddr> addrs) {
        HolePunch.Builder b = HolePunch.newBuilder().setType(type);
        for (Multiaddr a : addrs) {
            b.addObsAddrs(ByteString.copyFrom(a.toBytes()));
        }
        ctx.writeAndFlush(RelayFrames.encode(b.build(), ctx.alloc(), MAX_MESSAGE_BYTES));
    }

    private static HolePunch parse(byte[] frame, HolePunch.Type expected) {
        HolePunch m;
        try {
            m = HolePunch.parseFrom(frame);
        } catch (InvalidProtocolBufferException e) {
            throw new RelayException(RelayException.Reason.MALFORMED, null, "dcutr: message does not parse: "
                    + e.getMessage(), e);
        }
        if (!m.hasType()) {
            throw new RelayException(RelayException.Reason.MALFORMED, "dcutr: message has no (known) type");
        }
        if (m.getType() != expected) {
            throw new RelayException(RelayException.Reason.UNEXPECTED_MESSAGE, "dcutr: expected " + expected
                    + ", got " + m.getType());
        }
        return m;
    }

    static DcutrException translate(RelayException e) {
        Reason r = switch (e.reason()) {
            case TOO_LARGE -> Reason.TOO_LARGE;
            case MALFORMED -> Reason.MALFORMED;
            case UNEXPECTED_MESSAGE -> Reason.UNEXPECTED_MESSAGE;
            case TIMEOUT -> Reason.TIMEOUT;
            default -> Reason.CLOSED;
        };
        return new DcutrException(r, e.getMessage(), e);
    }

    /** The role hint of one attempt: the opener is the server; the last attempt flips both (go-libp2p >= 0.48). */
    static Role hint(boolean opener, int attempt) {
        boolean server = opener ^ (attempt == MAX_ATTEMPTS);
        return server ? Role.RESPONDER : Role.INITIATOR;
    }

    /**
     * Dials the first address that answers (all at once) from the listen port with {@code hint}; fails after
     * the dial timeout or when every dial failed. A dial whose listen-port 4-tuple is taken
     * ({@link Host#dial(Multiaddr, Role)}) is not a failure: the remote's SYN reached our listener first, and the
     * direct connection it makes is the outcome once registered (polled every {@value #INBOUND_POLL_MILLIS} ms
     * until the dial timeout).
     */
    private Future<Connection> dialAny(List<Multiaddr> addrs, PeerId peer, Role hint) {
        io.netty.channel.EventLoop loop = host().transport().workerGroup().next();
        Promise<Connection> out = loop.newPromise();
        AtomicInteger left = new AtomicInteger(addrs.size());
        io.netty.util.concurrent.ScheduledFuture<?> timer = loop.schedule(() -> out.tryFailure(new DcutrException(
                Reason.DIAL_FAILED, "dcutr: no direct connection within " + dialTimeoutMillis + " ms", null)),
                dialTimeoutMillis, TimeUnit.MILLISECONDS);
        java.util.concurrent.atomic.AtomicBoolean awaitingInbound = new java.util.concurrent.atomic.AtomicBoolean();
        for (Multiaddr a : addrs) {
            host().dial(a.withPeerId(peer), hint).whenComplete((c, x) -> {
                if (x == null) {
                    out.trySuccess(c);
                } else {
                    if (fourTupleTaken(x) && awaitingInbound.compareAndSet(false, true)) {
                        // The remote's SYN reached our listener first: the connection on that 4-tuple is its
                        // dial, accepted and upgrading here. Use it once registered (until the timer above).
                        awaitDirect(peer, out, loop);
                    }
                    if (left.decrementAndGet() == 0 && !awaitingInbound.get()) {
                        DcutrException e = new DcutrException(Reason.DIAL_FAILED, "dcutr: direct dial to " + addrs
                                + " failed: " + x.getMessage(), x);
                        out.tryFailure(e);
                    }
                }
            });
        }
        out.addListener(f -> timer.cancel(false));
        return out;
    }

    /** How often a hole punch whose 4-tuple was taken looks for the inbound connection on it, in ms. */
    static final long INBOUND_POLL_MILLIS = 5;

    /** Completes {@code out} with the first live direct connection to {@code peer}; polls until {@code out} is done. */
    private void awaitDirect(PeerId peer, Promise<Connection> out, io.netty.channel.EventLoop loop) {
        if (out.isDone()) {
            return;
        }
        Connection direct = directTo(peer);
        if (direct != null) {
            out.trySuccess(direct);
            return;
        }
        loop.schedule(() -> awaitDirect(peer, out, loop), INBOUND_POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** @return whether a dial failed because its listen-port 4-tuple is taken ({@code TcpDialException}) */
    static boolean fourTupleTaken(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof io.crossdial.transport.tcp.TcpDialException d && d.fourTupleTaken()) {
                return true;
            }
        }
        return false;
    }

    /** @return a live direct connection to {@code peer}, or null */
    private Connection directTo(PeerId peer) {
        Connection c = host().connection(peer);
        return c != null && !c.isRelayed() ? c : null;
    }

    private static void closeStream(ChannelHandlerContext ctx) {
        if (ctx.channel() instanceof DuplexChannel d) {
            d.shutdownOutput().addListener(f -> ctx.close());
        } else {
            ctx.close();
        }
    }

    private static void closeRelayed(Connection relayed, Connection direct) {
        if (direct.channel().isActive()) {
            relayed.close();
        }
    }

    /** The opener's side: CONNECT, CONNECT, SYNC, wait rtt/2, dial; again on failure. */
    private final class Opener extends FramedHandler {
        private final Connection relayed;
        private final List<Multiaddr> own;
        private final long startNanos;
        private final Promise<HolepunchResult> result;
        private int attempt;
        private long sentAtNanos;
        private boolean dialing;

        Opener(Connection relayed, List<Multiaddr> own, long startNanos, Promise<HolepunchResult> result) {
            super(MAX_MESSAGE_BYTES, timeoutMillis);
            this.relayed = relayed;
            this.own = own;
            this.startNanos = startNanos;
            this.result = result;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(true);
            connect(ctx);
        }

        private void connect(ChannelHandlerContext ctx) {
            attempt++;
            if (own.isEmpty()) {
                finish();
                result.tryFailure(new DcutrException(Reason.NO_ADDRESSES,
                        "dcutr: no observed address of our own (identify on a direct connection gave none)", null));
                closeStream(ctx);
                return;
            }
            sentAtNanos = System.nanoTime();
            write(ctx, HolePunch.Type.CONNECT, own);
            expectMessage(ctx);
        }

        @Override
        protected void onMessage(ChannelHandlerContext ctx, byte[] frame) {
            long rtt = System.nanoTime() - sentAtNanos;
            HolePunch m = parse(frame, HolePunch.Type.CONNECT);
            List<Multiaddr> remote = dialable(m.getObsAddrsList(), relayed.remotePeer());
            if (remote.isEmpty()) {
                finish();
                result.tryFailure(new DcutrException(Reason.NO_ADDRESSES, "dcutr: " + relayed.remotePeer()
                        + " sent no dialable address (" + m.getObsAddrsCount() + " given)", null));
                closeStream(ctx);
                return;
            }
            write(ctx, HolePunch.Type.SYNC, List.of());
            Role hint = hint(true, attempt);
            int thisAttempt = attempt;
            dialing = true;
            ctx.executor().schedule(() -> dialAny(remote, relayed.remotePeer(), hint).addListener(f -> {
                Connection direct = f.isSuccess() ? (Connection) f.getNow() : directTo(relayed.remotePeer());
                ctx.executor().execute(() -> {
                    dialing = false;
                    if (direct != null) {
                        // our dial, or the remote's dial that our listener accepted (no simultaneous open)
                        finish();
                        closeStream(ctx);
                        result.trySuccess(new HolepunchResult(direct, thisAttempt, rtt,
                                System.nanoTime() - startNanos, hint, remote));
                        closeRelayed(relayed, direct);
                        return;
                    }
                    DcutrException last = f.cause() instanceof DcutrException d ? d
                            : new DcutrException(Reason.DIAL_FAILED, f.cause().getMessage(), f.cause());
                    log.debug("dcutr attempt {} with {} failed: {}", thisAttempt, relayed.remotePeer(), last.toString());
                    if (thisAttempt >= MAX_ATTEMPTS || !ctx.channel().isActive()) {
                        finish();
                        result.tryFailure(new DcutrException(Reason.DIAL_FAILED, "dcutr: " + thisAttempt
                                + " attempt(s) failed, last: " + last.getMessage(), last));
                        closeStream(ctx);
                    } else {
                        connect(ctx);
                    }
                });
            }), rtt / 2, TimeUnit.NANOSECONDS);
        }

        @Override
        protected void onFailure(ChannelHandlerContext ctx, RelayException e) {
            ctx.close();
            if (!dialing) {
                // (while a dial runs, its outcome decides: the remote closes the relayed connection as soon
                // as its side of the direct one is usable)
                result.tryFailure(translate(e));
            }
        }
    }

    /** The other side: answer each CONNECT, dial on each SYNC. */
    private final class Answerer extends FramedHandler {
        private final Connection relayed;
        private int attempt;
        private boolean awaitingSync;
        private List<Multiaddr> remote = List.of();
        private long startNanos;
        private long connectSentNanos;
        private boolean done;

        Answerer(Connection relayed) {
            super(MAX_MESSAGE_BYTES, timeoutMillis + dialTimeoutMillis);
            this.relayed = relayed;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(true);
            if (relayed != null) {
                renew(relayed.remotePeer());
            }
            if (relayed == null || !relayed.isRelayed()) {
                fail(ctx, new RelayException(RelayException.Reason.UNEXPECTED_MESSAGE,
                        "dcutr stream on a direct connection"));
                return;
            }
            expectMessage(ctx);
        }

        @Override
        protected void onMessage(ChannelHandlerContext ctx, byte[] frame) {
            if (!awaitingSync) {
                HolePunch m = parse(frame, HolePunch.Type.CONNECT);
                attempt++;
                if (startNanos == 0) {
                    startNanos = System.nanoTime();
                }
                remote = dialable(m.getObsAddrsList(), relayed.remotePeer());
                ownAddrs().addListener(f -> ctx.executor().execute(() -> {
                    @SuppressWarnings("unchecked")
                    List<Multiaddr> own = (List<Multiaddr>) f.getNow();
                    write(ctx, HolePunch.Type.CONNECT, own);
                    connectSentNanos = System.nanoTime();
                    awaitingSync = true;
                    expectMessage(ctx);
                }));
                return;
            }
            parse(frame, HolePunch.Type.SYNC);
            long rtt = System.nanoTime() - connectSentNanos; // our CONNECT out, the SYNC back: one round trip
            awaitingSync = false;
            expectMessage(ctx); // the opener's next CONNECT, if this attempt fails
            if (remote.isEmpty()) {
                return; // nothing to dial; the opener's dial may still get through
            }
            Role hint = hint(false, attempt);
            int thisAttempt = attempt;
            List<Multiaddr> addrs = remote;
            dialAny(addrs, relayed.remotePeer(), hint).addListener(f -> {
                if (f.isSuccess() && !done) {
                    done = true;
                    Connection direct = (Connection) f.getNow();
                    report(relayed.remotePeer(), new HolepunchResult(direct, thisAttempt, rtt,
                            System.nanoTime() - startNanos, hint, addrs), null);
                    closeRelayed(relayed, direct);
                } else if (!f.isSuccess()) {
                    log.debug("dcutr attempt {} with {} failed: {}", thisAttempt, relayed.remotePeer(),
                            f.cause().toString());
                    Connection direct = directTo(relayed.remotePeer());
                    if (direct != null && !done) {
                        // our SYN reached the opener's listener (no simultaneous open): its dial was accepted
                        done = true;
                        report(relayed.remotePeer(), new HolepunchResult(direct, thisAttempt, rtt,
                                System.nanoTime() - startNanos, hint, addrs), null);
                        closeRelayed(relayed, direct);
                    } else if (thisAttempt >= MAX_ATTEMPTS) {
                        report(relayed.remotePeer(), null, f.cause());
                    }
                }
            });
        }

        @Override
        protected void onFailure(ChannelHandlerContext ctx, RelayException e) {
            ctx.close();
            if (!done && !(e.reason() == RelayException.Reason.CLOSED && attempt > 0)) {
                report(relayed == null ? null : relayed.remotePeer(), null, translate(e));
            } else if (!done && attempt > 0) {
                // the opener ended the stream: success on its side shows as our dial's success, if any
                ctx.executor().schedule(() -> {
                    if (!done && relayed != null) {
                        report(relayed.remotePeer(), null, new DcutrException(Reason.CLOSED,
                                "dcutr: the opener ended the exchange without a direct connection", null));
                    }
                }, dialTimeoutMillis, TimeUnit.MILLISECONDS);
            }
        }
    }
}
