package io.crossdial.host.dcutr;

import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.Role;
import io.crossdial.host.Connection;
import java.util.List;

/**
 * A successful hole punch.
 *
 * @param direct the direct connection (the relayed one is being closed)
 * @param attempts which attempt succeeded, 1 to {@link Dcutr#MAX_ATTEMPTS}; 0 when the remote connected
 *     directly before the exchange (js-libp2p's unilateral upgrade to a listen address from identify)
 * @param rttNanos the relayed round trip of the successful attempt, ns: on the opener from its CONNECT to the
 *     answer, on the other side from its CONNECT to the SYNC
 * @param timeToDirectNanos from the start of the DCUtR exchange (the stream opened, or its first message read)
 *     to the direct connection being usable, ns
 * @param roleHint the security role hint the dial carried; null when this side did not dial
 * @param remoteAddrs the remote's observed addresses from its {@code CONNECT}, as dialed
 */
public record HolepunchResult(Connection direct, int attempts, long rttNanos, long timeToDirectNanos, Role roleHint,
        List<Multiaddr> remoteAddrs) {}
