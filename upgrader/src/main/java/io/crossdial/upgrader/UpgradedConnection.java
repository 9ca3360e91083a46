package io.crossdial.upgrader;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecureSession;
import io.crossdial.simopen.SimopenResult;
import io.netty.channel.Channel;

/**
 * A connection that went through every upgrade stage: secured and muxed.
 *
 * @param channel the TCP channel
 * @param role the role this side took in the upgrade (after any simultaneous-open resolution)
 * @param security the outcome of the security handshake: the authenticated remote peer
 * @param muxer the muxed session, to open and accept streams
 * @param simopen how the roles were resolved on a connection dialed from a listen port (a simultaneous
 *     open, or an ordinary dial), or null for other connections
 */
public record UpgradedConnection(Channel channel, Role role, SecureSession security, MuxedSession muxer,
        SimopenResult simopen) {}
