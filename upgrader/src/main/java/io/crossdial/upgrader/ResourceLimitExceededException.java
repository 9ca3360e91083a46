package io.crossdial.upgrader;

import io.crossdial.core.CrossdialException;

/**
 * A {@link ResourceManager} refused a connection, a stream, a relay reservation or a relayed connection: names
 * the scope, the limit and its value. For a connection it is the cause of the {@link UpgradeException} at
 * {@link UpgradeStage#GATING}; for an outbound stream it fails {@code openStream}; a relay answers a refused
 * reservation with {@code RESERVATION_REFUSED} and a refused circuit with {@code RESOURCE_LIMIT_EXCEEDED}
 * (libp2p/specs {@code relay/circuit-v2.md}, "Status codes").
 */
public final class ResourceLimitExceededException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** Where a limit applies. */
    public enum Scope {
        /** every connection of the resource manager */
        SYSTEM,
        /** every connection with one peer ID */
        PEER,
        /** one connection */
        CONNECTION,
        /** every peer connected from one IP address (relay reservations) */
        IP
    }

    /** What is limited: the {@link ResourceLimits} component of the same meaning. */
    public enum Limit {
        /** connections, both directions */
        CONNECTIONS,
        /** inbound connections */
        INBOUND_CONNECTIONS,
        /** outbound connections */
        OUTBOUND_CONNECTIONS,
        /** streams, both directions */
        STREAMS,
        /** inbound streams */
        INBOUND_STREAMS,
        /** outbound streams */
        OUTBOUND_STREAMS,
        /** reserved memory, in bytes */
        MEMORY,
        /** the connection scope is already closed */
        CLOSED,
        /** relay reservations held ({@link RelayResourceLimits#maxReservations()} and per IP) */
        RELAY_RESERVATIONS,
        /** relayed connections open ({@link RelayResourceLimits#maxCircuits()} and per peer) */
        RELAY_CIRCUITS
    }

    private final Scope scope;
    private final Limit limit;
    private final long value;

    /**
     * @param scope where the limit applies
     * @param limit which limit
     * @param value the limit's value (a count, or bytes for {@link Limit#MEMORY})
     * @param what what was refused, e.g. "inbound connection from peer X"
     */
    public ResourceLimitExceededException(Scope scope, Limit limit, long value, String what) {
        super("resource limit reached: " + what + " refused, " + scope.name().toLowerCase(java.util.Locale.ROOT)
                + " " + limit.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " limit " + value
                + (limit == Limit.MEMORY ? " bytes" : ""));
        this.scope = scope;
        this.limit = limit;
        this.value = value;
    }

    /** @return where the limit applies */
    public Scope scope() {
        return scope;
    }

    /** @return which limit was reached */
    public Limit limit() {
        return limit;
    }

    /** @return the limit's value: a count, or bytes for {@link Limit#MEMORY} */
    public long value() {
        return value;
    }
}
