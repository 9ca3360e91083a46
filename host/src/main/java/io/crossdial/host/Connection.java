package io.crossdial.host;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.Role;
import io.crossdial.host.internal.Futures;
import io.crossdial.multistream.MultistreamDialerHandler;
import io.crossdial.multistream.MultistreamSelect;
import io.crossdial.upgrader.UpgradedConnection;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import io.crossdial.host.protocol.PingClient;
import io.crossdial.host.protocol.ProtocolIds;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An upgraded libp2p connection to one remote peer: secured, muxed, ready for streams. Thread-safe.
 */
public final class Connection {
    private final UpgradedConnection upgraded;
    private final Direction direction;
    private final long negotiationTimeoutMillis;
    private final Multiaddr localAddr;
    private final Multiaddr remoteAddr;
    private final int redials;
    /** Set by the host before the connection is handed out. */
    HostMetrics metrics = HostMetrics.DISABLED;
    private final boolean relayed;
    private volatile Multiaddr observedAddr;

    /**
     * Set on a relayed stream channel before its upgrade: the {@code /p2p-circuit} multiaddr of the remote
     * peer, which the connection reports as its {@link #remoteAddr()}.
     */
    static final io.netty.util.AttributeKey<Multiaddr> RELAYED_REMOTE_ADDR =
            io.netty.util.AttributeKey.valueOf("crossdial.relayedRemoteAddr");

    Connection(UpgradedConnection upgraded, Direction direction, long negotiationTimeoutMillis, int redials) {
        this.redials = redials;
        this.upgraded = upgraded;
        this.direction = direction;
        this.negotiationTimeoutMillis = negotiationTimeoutMillis;
        this.localAddr = Multiaddr.fromSocketAddress((InetSocketAddress) upgraded.channel().localAddress());
        Multiaddr circuit = upgraded.channel().attr(RELAYED_REMOTE_ADDR).get();
        this.relayed = circuit != null;
        this.remoteAddr = relayed ? circuit
                : Multiaddr.fromSocketAddress((InetSocketAddress) upgraded.channel().remoteAddress());
    }

    /**
     * @return true for a connection through a circuit relay (libp2p/specs {@code relay/circuit-v2.md}): its
     *     {@link #channel()} is a stream of the connection to the relay, and the relay may end it at its
     *     duration or data limit
     */
    public boolean isRelayed() {
        return relayed;
    }

    /**
     * @return this side's address as the remote reported it in identify on this connection
     *     ({@link #recordObservedAddr}), or null before identify ran
     */
    public Multiaddr observedAddr() {
        return observedAddr;
    }

    /**
     * Keeps what the remote's identify said it observed as our address on this connection (DCUtR sends it).
     *
     * @param addr the identify {@code observedAddr}, or null to forget it
     */
    public void recordObservedAddr(Multiaddr addr) {
        this.observedAddr = addr;
    }

    /** @return the authenticated remote peer ID */
    public PeerId remotePeer() {
        return upgraded.security().remotePeer();
    }

    /** @return the local TCP address, e.g. {@code /ip4/127.0.0.1/tcp/4001} (of the relay connection, if relayed) */
    public Multiaddr localAddr() {
        return localAddr;
    }

    /** @return the remote TCP address, or for a relayed connection {@code /.../p2p/RELAY/p2p-circuit/p2p/PEER} */
    public Multiaddr remoteAddr() {
        return remoteAddr;
    }

    /** @return whether we dialed or accepted */
    public Direction direction() {
        return direction;
    }

    /** @return the role this side took in the upgrade */
    public Role role() {
        return upgraded.role();
    }

    /** @return the security protocol ID, e.g. {@code /noise} */
    public String security() {
        return upgraded.security().securityProtocol();
    }

    /** @return the muxer protocol ID, e.g. {@code /yamux/1.0.0} */
    public String muxer() {
        return upgraded.muxer().protocolId();
    }

    /**
     * @return how the roles were resolved if this connection was dialed from a listen port (a TCP
     *     simultaneous open resolved in-band: with a crossdial peer by {@code select:}, with a stock dialer by
     *     going on as the responder, {@code Detection.STOCK_DIALER}; or an ordinary dial), else null
     */
    public io.crossdial.simopen.SimopenResult simopen() {
        return upgraded.simopen();
    }

    /** @return how many times the dial was retried before this connection (after a failed simultaneous open) */
    public int redials() {
        return redials;
    }

    /** @return the TCP channel, or for a relayed connection the relay stream it runs on */
    public Channel channel() {
        return upgraded.channel();
    }

    /** @return the upgrade's outcome */
    public UpgradedConnection upgraded() {
        return upgraded;
    }

    /**
     * Opens a stream and negotiates one of {@code protocolIds} on it with multistream-select (the header
     * and the first proposal go out in one write).
     *
     * @param handler added to the stream's pipeline once a protocol is agreed, before any protocol byte is
     *     read; sees only the protocol's bytes
     * @param protocolIds protocol IDs in preference order, 1 to 1000
     * @return completes (on the connection's event loop) with the stream, or exceptionally with the muxer's or
     *     multistream-select's exception as the cause (no protocol in common, timeout, reset, connection
     *     closed); bounded by the negotiation timeout
     * @throws IllegalArgumentException (nothing opened) for no, more than 1000 or an invalid protocol ID
     */
    public CompletableFuture<Stream> newStream(ChannelHandler handler, String... protocolIds) {
        return Futures.toCompletable(negotiate(handler, protocolIds));
    }

    /** {@link #newStream(ChannelHandler, String...)} on a Netty promise of the connection's event loop. */
    private Promise<Stream> negotiate(ChannelHandler handler, String... protocolIds) {
        List<String> ids = MultistreamSelect.checkProtocolIds(List.of(protocolIds));
        if (ids.isEmpty() || ids.size() > MultistreamSelect.MAX_PROPOSALS) {
            throw new IllegalArgumentException("between 1 and " + MultistreamSelect.MAX_PROPOSALS
                    + " protocol IDs must be proposed, not " + ids.size());
        }
        Promise<Stream> promise = channel().eventLoop().newPromise();
        ChannelHandler init = new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                MuxedStream stream = (MuxedStream) ctx.channel();
                ctx.pipeline().addBefore(ctx.name(), null, new MultistreamDialerHandler(ids, negotiationTimeoutMillis,
                        (mctx, protocolId) -> {
                            mctx.pipeline().addAfter(mctx.name(), null, handler);
                            ctx.pipeline().remove(ctx.name());
                            // Last, after whatever the handler (or a client it created) added with addLast.
                            mctx.pipeline().addLast(QuietTail.INSTANCE);
                            metrics.streamOpened(stream, Direction.OUTBOUND, protocolId);
                            promise.trySuccess(new Stream(stream, protocolId, Connection.this));
                        }));
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                promise.tryFailure(cause);
                ctx.close();
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                promise.tryFailure(new ClosedChannelException());
                ctx.fireChannelInactive();
            }
        };
        upgraded.muxer().openStream(init).addListener(f -> {
            if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
            }
        });
        return promise;
    }

    /**
     * Opens a stream for a client object that installs its own handler, such as {@code PingClient}:
     * {@code factory} runs on the stream's event loop once the protocol is agreed, before any protocol
     * byte is read, so nothing the remote sent at once (identify) is lost.
     *
     * @param factory makes the client from the negotiated stream channel
     * @param protocolIds protocol IDs in preference order
     * @param <T> the client type
     * @return completes (on the connection's event loop) with the client, or exceptionally like
     *     {@link #newStream(ChannelHandler, String...)}, or with what {@code factory} threw (the stream is closed)
     * @throws IllegalArgumentException (nothing opened) for no, more than 1000 or an invalid protocol ID
     */
    public <T> CompletableFuture<T> newStream(java.util.function.Function<MuxedStream, T> factory,
            String... protocolIds) {
        Promise<T> promise = channel().eventLoop().newPromise();
        negotiate(new io.netty.channel.ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                try {
                    promise.trySuccess(factory.apply((MuxedStream) ch));
                } catch (RuntimeException e) {
                    promise.tryFailure(e);
                    ch.close();
                }
            }
        }, protocolIds).addListener(f -> {
            if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
            }
        });
        return Futures.toCompletable(promise);
    }

    /**
     * Opens a stream for a client object: the same as {@link #newStream(java.util.function.Function, String...)},
     * kept from before {@code newStream} returned a {@link CompletableFuture}.
     *
     * @param factory makes the client from the negotiated stream channel, on the stream's event loop
     * @param protocolIds protocol IDs in preference order
     * @param <T> the client type
     * @return completes (on the connection's event loop) with the client, or exceptionally with the muxer's or
     *     multistream-select's exception; bounded by the negotiation timeout
     * @throws IllegalArgumentException (nothing opened) for no, more than 1000 or an invalid protocol ID
     */
    public <T> CompletableFuture<T> openStream(java.util.function.Function<MuxedStream, T> factory,
            String... protocolIds) {
        return newStream(factory, protocolIds);
    }

    /**
     * Pings the peer once over a new {@code /ipfs/ping/1.0.0} stream, then closes the stream.
     *
     * @param timeout how long the ping may take
     * @return completes with the round-trip time, or exceptionally with a {@code PingException} or the stream
     *     opening's failure
     */
    public CompletableFuture<Duration> ping(Duration timeout) {
        return openStream(s -> new PingClient(s, timeout), ProtocolIds.PING)
                .thenCompose(client -> client.ping().whenComplete((rtt, e) -> client.close()))
                .thenApply(Duration::ofNanos);
    }

    /**
     * Closes the connection gracefully (muxer goodbye, then TCP close).
     *
     * @return completes when the TCP connection is closed
     */
    public ChannelFuture close() {
        return upgraded.muxer().close();
    }

    /** @return completes when the TCP connection is closed, by either side */
    public ChannelFuture closeFuture() {
        return channel().closeFuture();
    }

    @Override
    public String toString() {
        return "Connection[" + direction.jsonName() + (relayed ? " relayed " : " ") + remotePeer() + " " + localAddr + " <-> " + remoteAddr
                + " " + security() + " " + muxer() + "]";
    }
}
