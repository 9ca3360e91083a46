package io.crossdial.upgrader;

import io.crossdial.core.CrossdialException;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecureSession;
import io.crossdial.core.spi.SecurityContext;
import io.crossdial.core.spi.SecurityTransport;
import io.crossdial.core.spi.StageTimer;
import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.multistream.MultistreamDialerHandler;
import io.crossdial.multistream.MultistreamListenerHandler;
import io.crossdial.multistream.NegotiationListener;
import io.crossdial.core.spi.ConnectionAttributes;
import io.crossdial.simopen.PoisonByteFilter;
import io.crossdial.simopen.SimopenDialerHandler;
import io.crossdial.simopen.SimopenMode;
import io.crossdial.simopen.SimopenResult;
import io.crossdial.simopen.StockDialerProbe;
import java.security.SecureRandom;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.nio.channels.ClosedChannelException;
import java.util.List;

/**
 * Drives one connection through the upgrade stages. Sits at the tail of the pipeline; each stage's handler is
 * added before it, so the pipeline reads, in order: [multistream] -> [security] -> [multistream] -> [muxer].
 * Removes itself once the muxer is installed. Event-loop confined.
 */
final class UpgradeHandler extends ChannelInboundHandlerAdapter {
    static final String NAME = "crossdial-upgrader";
    static final String SECURITY_NEGOTIATION_NAME = "crossdial-multistream-security";
    static final String MUXER_NEGOTIATION_NAME = "crossdial-multistream-muxer";
    static final String POISON_FILTER_NAME = "crossdial-poison-filter";
    static final String STOCK_DIALER_PROBE_NAME = "crossdial-stock-dialer-probe";
    private static final SecureRandom NONCES = new SecureRandom();

    private final UpgraderConfig config;
    private Role role;
    private final Role dialDirection;
    private ResourceManager.ConnectionScope resources;
    private SimopenResult simopen;
    private final PeerId expectedRemotePeer;
    private final ChannelHandler inboundStreamHandler;
    private final Promise<UpgradedConnection> promise;

    private UpgradeStage stage = UpgradeStage.SECURITY_NEGOTIATION;
    private boolean started;
    private SecureSession secure;
    private final StageTimer timeout;
    private final UpgradeObserver observer;
    private long upgradeStartNanos = System.nanoTime();
    private long stageStartNanos = upgradeStartNanos;

    UpgradeHandler(UpgraderConfig config, Role role, PeerId expectedRemotePeer,
            ChannelHandler inboundStreamHandler, Promise<UpgradedConnection> promise) {
        this(config, role, expectedRemotePeer, inboundStreamHandler, promise, UpgradeObserver.NONE);
    }

    UpgradeHandler(UpgraderConfig config, Role role, PeerId expectedRemotePeer,
            ChannelHandler inboundStreamHandler, Promise<UpgradedConnection> promise, UpgradeObserver observer) {
        this.observer = observer;
        this.config = config;
        this.role = role;
        this.dialDirection = role;
        this.expectedRemotePeer = expectedRemotePeer;
        this.inboundStreamHandler = inboundStreamHandler;
        this.promise = promise;
        this.timeout = new StageTimer(config.upgradeTimeoutMillis(), "upgradeTimeoutMillis");
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeout.start(ctx, () -> fail(ctx, new UpgradeException(stage,
                "upgrade timed out after " + timeout.timeoutMillis() + " ms", null)));
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        timeout.cancel();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
        if (started) {
            return;
        }
        started = true;
        upgradeStartNanos = System.nanoTime();
        stageStartNanos = upgradeStartNanos;
        List<String> ids = config.securityProtocolIds();
        boolean fromListenPort = Boolean.TRUE.equals(ctx.channel().attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT).get());
        ChannelHandler negotiation;
        if (role == Role.INITIATOR && fromListenPort && config.simopenMode() != SimopenMode.OFF) {
            // Only a dial from a listen port can be one side of a TCP simultaneous open.
            Role hint = ctx.channel().attr(ConnectionAttributes.ROLE_HINT).get();
            negotiation = new SimopenDialerHandler(config.simopenMode(), ids, config.negotiationTimeoutMillis(),
                    () -> hintedNonce(hint), (sctx, result) -> {
                        role = result.role();
                        simopen = result;
                    }, (mctx, protocolId) -> afterSimopenNegotiation(ctx, protocolId));
        } else {
            negotiation = negotiation(ids, (mctx, protocolId) -> installSecurity(ctx, protocolId));
        }
        ctx.pipeline().addBefore(NAME, SECURITY_NEGOTIATION_NAME, negotiation);
        if (role == Role.RESPONDER) {
            // A crossdial dialer's poison byte arrives inline first on an accepted connection: drop it.
            ctx.pipeline().addBefore(SECURITY_NEGOTIATION_NAME, POISON_FILTER_NAME, new PoisonByteFilter());
        }
    }

    /**
     * A {@code select:} number: uniform over the unsigned 64-bit range, or over its upper half for an
     * {@link Role#INITIATOR} hint and its lower half for a {@link Role#RESPONDER} hint (the higher number
     * becomes the initiator; {@link ConnectionAttributes#ROLE_HINT}).
     */
    static long hintedNonce(Role hint) {
        long n = NONCES.nextLong();
        if (hint == Role.INITIATOR) {
            return n | Long.MIN_VALUE;
        }
        return hint == Role.RESPONDER ? n & Long.MAX_VALUE : n;
    }

    /** A multistream-select round in this side's (resolved) role. */
    private ChannelHandler negotiation(List<String> ids, NegotiationListener next) {
        return role == Role.INITIATOR
                ? new MultistreamDialerHandler(ids, config.negotiationTimeoutMillis(), next)
                : new MultistreamListenerHandler(ids, config.negotiationTimeoutMillis(), next);
    }

    /**
     * The security protocol of a dial from a listen port is agreed. After an ordinary-looking answer (no
     * poison byte), the remote may still be a stock dialer in a simultaneous open: a {@link StockDialerProbe}
     * decides the role before the handshake starts ({@code specs/simopen.md}, case 6).
     */
    private void afterSimopenNegotiation(ChannelHandlerContext ctx, String protocolId) {
        if (simopen == null || simopen.simultaneousOpen() || config.simopenMode() != SimopenMode.POISON_BYTE) {
            installSecurity(ctx, protocolId);
            return;
        }
        enter(UpgradeStage.SECURITY_HANDSHAKE);
        long holdMillis = config.stockDialerHold().holdMillis(simopen);
        ctx.pipeline().addBefore(NAME, STOCK_DIALER_PROBE_NAME, new StockDialerProbe(holdMillis,
                (pctx, decided, waitedNanos) -> {
                    if (decided == Role.RESPONDER) {
                        simopen = simopen.stockDialer(waitedNanos);
                        role = Role.RESPONDER;
                    }
                    installSecurity(ctx, protocolId);
                }));
    }

    private void installSecurity(ChannelHandlerContext ctx, String protocolId) {
        enter(UpgradeStage.SECURITY_HANDSHAKE);
        SecurityTransport transport = config.securityTransports().stream()
                .filter(t -> t.protocolId().equals(protocolId)).findFirst()
                .orElseThrow(() -> new IllegalStateException("negotiated unknown security " + protocolId));
        transport.install(ctx.pipeline(), NAME, new SecurityContext(role, config.localKey(), expectedRemotePeer,
                config.muxerProtocolIds(), config.handshakeTimeoutMillis()));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SecureSession session && stage == UpgradeStage.SECURITY_HANDSHAKE) {
            secure = session;
            enter(UpgradeStage.GATING);
            if (!passesGater(ctx, session) || !reservesResources(ctx, session)) {
                return;
            }
            if (session.earlyMuxer() != null && muxer(session.earlyMuxer()) != null) {
                installMuxer(ctx, session.earlyMuxer());
            } else {
                enter(UpgradeStage.MUXER_NEGOTIATION);
                List<String> ids = config.muxerProtocolIds();
                NegotiationListener next = (mctx, protocolId) -> installMuxer(ctx, protocolId);
                ctx.pipeline().addBefore(NAME, MUXER_NEGOTIATION_NAME, negotiation(ids, next));
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** @return true when the gater lets the connection through; otherwise the upgrade has failed */
    private boolean passesGater(ChannelHandlerContext ctx, SecureSession session) {
        java.net.SocketAddress remote = ctx.channel().remoteAddress();
        boolean allowed;
        RuntimeException thrown = null;
        try {
            allowed = config.connectionGater().allowSecured(session.remotePeer(), remote, role);
        } catch (RuntimeException e) {
            allowed = false;
            thrown = e;
        }
        if (!allowed) {
            ConnectionGatedException denied = new ConnectionGatedException(session.remotePeer(), remote);
            if (thrown != null) {
                denied.addSuppressed(thrown);
            }
            fail(ctx, new UpgradeException(stage, denied.getMessage(), denied));
        }
        return allowed;
    }

    /**
     * Reserves the connection in the resource manager, released when the channel closes.
     *
     * @return true when the connection fits the limits; otherwise the upgrade has failed
     */
    private boolean reservesResources(ChannelHandlerContext ctx, SecureSession session) {
        if (config.resourceManager() == ResourceManager.UNLIMITED) {
            return true;
        }
        try {
            resources = config.resourceManager().reserveConnection(session.remotePeer(),
                    ctx.channel().remoteAddress(), dialDirection);
        } catch (RuntimeException e) {
            fail(ctx, new UpgradeException(stage, describe(e), e));
            return false;
        }
        ResourceManager.ConnectionScope scope = resources;
        ctx.channel().closeFuture().addListener(f -> scope.close());
        return true;
    }

    private StreamMuxer muxer(String protocolId) {
        return config.muxers().stream().filter(m -> m.protocolId().equals(protocolId)).findFirst().orElse(null);
    }

    private void installMuxer(ChannelHandlerContext ctx, String protocolId) {
        StreamMuxer muxer = muxer(protocolId);
        if (muxer == null) {
            fail(ctx, new UpgradeException(stage, "negotiated unknown muxer " + protocolId, null));
            return;
        }
        enter(UpgradeStage.DONE);
        ChannelHandler streams = resources == null ? inboundStreamHandler
                : new ResourceScopedSession.InboundGate(resources, inboundStreamHandler);
        MuxedSession session = muxer.install(ctx.pipeline(), NAME,
                new MuxerContext(role, streams, config.maxInboundStreams()));
        if (resources != null) {
            session = new ResourceScopedSession(session, resources);
        }
        timeout.cancel();
        if (promise.trySuccess(new UpgradedConnection(ctx.channel(), role, secure, session, simopen))) {
            notify(() -> observer.stageCompleted(UpgradeStage.DONE, System.nanoTime() - upgradeStartNanos));
            ctx.pipeline().remove(this);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Every stage consumes its own bytes; anything reaching the tail during the upgrade is a bug or a
        // misbehaving stage.
        ReferenceCountUtil.release(msg);
        fail(ctx, new UpgradeException(stage, "unexpected data reached the upgrader", null));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(ctx, new UpgradeException(stage, "connection closed", new ClosedChannelException()));
        ctx.fireChannelInactive();
    }

    private void fail(ChannelHandlerContext ctx, Throwable cause) {
        timeout.cancel();
        UpgradeException failure = cause instanceof UpgradeException u ? u
                : new UpgradeException(stage, describe(cause), cause);
        if (!promise.isDone()) {
            // before the promise fails, so whoever waits on it sees the failure counted
            long nanos = System.nanoTime() - stageStartNanos;
            notify(() -> observer.stageFailed(failure.stage(), nanos, failure));
            promise.tryFailure(failure);
        }
        ctx.close();
    }

    /** Ends the current stage (reported to the observer) and starts {@code next}; a repeat is a no-op. */
    private void enter(UpgradeStage next) {
        if (stage == next) {
            return;
        }
        UpgradeStage ended = stage;
        long now = System.nanoTime();
        long nanos = now - stageStartNanos;
        stage = next;
        stageStartNanos = now;
        notify(() -> observer.stageCompleted(ended, nanos));
    }

    private static void notify(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(UpgradeHandler.class).warn("upgrade observer failed", e);
        }
    }

    private static String describe(Throwable cause) {
        if (cause instanceof CrossdialException && cause.getMessage() != null) {
            return cause.getMessage();
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
}
