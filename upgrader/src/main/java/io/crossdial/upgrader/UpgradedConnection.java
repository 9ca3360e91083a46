package io.crossdial.upgrader;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecureSession;
import io.netty.channel.Channel;

/**
 * A connection that went through every upgrade stage: secured and muxed.
 *
 * @param channel the TCP channel
 * @param role the role this side took in the upgrade (after any simultaneous-open resolution)
 * @param security the outcome of the security handshake: the authenticated remote peer
 * @param muxer the muxed session, to open and accept streams
 */
public record UpgradedConnection(Channel channel, Role role, SecureSession security, MuxedSession muxer) {}
