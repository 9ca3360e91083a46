package io.crossdial.upgrader;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.spi.Role;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

/**
 * Turns a raw TCP connection into a secured, muxed libp2p connection (libp2p/specs
 * {@code connections/README.md}, "Upgrading connections"):
 *
 * <pre>
 *   raw TCP -> multistream-select (security) -> security handshake -> multistream-select (muxer) -> muxer
 * </pre>
 *
 * Each stage is one Netty handler that does its job, installs the next stage and removes itself, handing
 * on any bytes it read ahead. Each stage has its own timeout and the whole upgrade one more; a failure
 * closes the connection and fails the returned future with an {@link UpgradeException} that names the
 * stage. The muxer may be agreed inside the security handshake ({@code SecureSession.earlyMuxer()}), which
 * skips the second multistream-select round.
 *
 * <p>Thread-safe: one upgrader serves any number of connections.
 */
public final class Upgrader {
    /** The name of the upgrade handler in the pipeline while the upgrade runs. */
    public static final String HANDLER_NAME = UpgradeHandler.NAME;

    private final UpgraderConfig config;

    /** @param config validated settings: identity key, security transports, muxers, timeouts */
    public Upgrader(UpgraderConfig config) {
        this.config = config;
    }

    /** @return the settings */
    public UpgraderConfig config() {
        return config;
    }

    /**
     * Starts the upgrade of a connected (or connecting) channel. The upgrade begins when the channel is
     * active.
     *
     * @param channel a TCP channel with nothing in its pipeline that reads application bytes
     * @param role {@link Role#INITIATOR} for the dialer, {@link Role#RESPONDER} for the listener
     * @param expectedRemotePeer the peer ID the dialed multiaddr names, or null to accept any peer
     * @param inboundStreamHandler added to each stream the remote opens ({@code @Sharable})
     * @return completes with the upgraded connection, or fails with an {@link UpgradeException}
     */
    public Future<UpgradedConnection> upgrade(
            Channel channel, Role role, PeerId expectedRemotePeer, ChannelHandler inboundStreamHandler) {
        return upgrade(channel, role, expectedRemotePeer, inboundStreamHandler, UpgradeObserver.NONE);
    }

    /**
     * Like {@link #upgrade(Channel, Role, PeerId, ChannelHandler)}, reporting each stage's end to
     * {@code observer} (metrics).
     *
     * @param channel a TCP channel with nothing in its pipeline that reads application bytes
     * @param role {@link Role#INITIATOR} for the dialer, {@link Role#RESPONDER} for the listener
     * @param expectedRemotePeer the peer ID the dialed multiaddr names, or null to accept any peer
     * @param inboundStreamHandler added to each stream the remote opens ({@code @Sharable})
     * @param observer sees each stage complete or fail, on the channel's event loop
     * @return completes with the upgraded connection, or fails with an {@link UpgradeException}
     */
    public Future<UpgradedConnection> upgrade(Channel channel, Role role, PeerId expectedRemotePeer,
            ChannelHandler inboundStreamHandler, UpgradeObserver observer) {
        Promise<UpgradedConnection> promise = channel.eventLoop().newPromise();
        channel.pipeline().addLast(HANDLER_NAME,
                new UpgradeHandler(config, role, expectedRemotePeer, inboundStreamHandler, promise, observer));
        return promise;
    }
}
