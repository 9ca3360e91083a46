package io.crossdial.core.spi;

import io.netty.util.AttributeKey;

/**
 * Channel attributes the transport sets for the upgrader.
 */
public final class ConnectionAttributes {
    /**
     * {@code true} on an outgoing connection whose local port is one of our listen ports (port reuse): only
     * such a connection can be one side of a TCP simultaneous open, so only it runs simultaneous-open
     * detection. Absent or {@code false} otherwise.
     */
    public static final AttributeKey<Boolean> DIALED_FROM_LISTEN_PORT =
            AttributeKey.valueOf("crossdial.dialedFromListenPort");

    /**
     * On an outgoing connection: how long the TCP connect took, in ns, from the {@code connect()} call to the
     * socket being connected (one round trip on an ordinary dial; a lost SYN adds its retransmission timeout,
     * about 1 s; both SYNs' timeouts in a TCP simultaneous open). The upgrader compares it with how soon the
     * first answer arrived ({@code specs/simopen.md}, case 6). Absent when unknown.
     */
    public static final AttributeKey<Long> CONNECT_NANOS = AttributeKey.valueOf("crossdial.connectNanos");

    /**
     * On an outgoing connection dialed from a listen port for a coordinated simultaneous open (DCUtR hole
     * punching, libp2p/specs {@code relay/DCUtR.md}): the security role this side should end up with when
     * the dial turns into a TCP simultaneous open. The upgrader draws its {@code select:} number from the
     * upper half of the unsigned 64-bit range for {@link Role#INITIATOR} and from the lower half for
     * {@link Role#RESPONDER}, so two peers holding opposite hints resolve to exactly those roles, with no
     * extra message; the in-band resolution still decides when the hints agree or are absent
     * ({@code specs/simopen.md}, case 3). Ignored on an ordinary dial (no simultaneous open). Absent
     * otherwise.
     */
    public static final AttributeKey<Role> ROLE_HINT = AttributeKey.valueOf("crossdial.roleHint");

    private ConnectionAttributes() {}
}
