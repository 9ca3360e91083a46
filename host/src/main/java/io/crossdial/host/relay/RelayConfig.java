package io.crossdial.host.relay;

/**
 * The bounds of a relay ({@link RelayService}); defaults after go-libp2p's relay resources.
 *
 * @param maxReservations reservations held at once, all peers
 * @param maxReservationsPerIp reservations from one IP address at once
 * @param reservationTtlSeconds how long a reservation lasts before the client must refresh it, s
 * @param maxCircuits relayed connections open at once, all peers
 * @param maxCircuitsPerPeer relayed connections open at once from or to one peer
 * @param limit each relayed connection's duration and data limit
 * @param messageTimeoutMillis how long each hop or stop message may take to arrive, ms
 */
public record RelayConfig(int maxReservations, int maxReservationsPerIp, long reservationTtlSeconds,
        int maxCircuits, int maxCircuitsPerPeer, RelayLimit limit, long messageTimeoutMillis) {
    /** @throws IllegalArgumentException if a bound is not positive or the limit is null */
    public RelayConfig {
        if (maxReservations < 1 || maxReservationsPerIp < 1 || reservationTtlSeconds < 1 || maxCircuits < 1
                || maxCircuitsPerPeer < 1 || messageTimeoutMillis < 1 || limit == null) {
            throw new IllegalArgumentException("relay bounds must be positive: " + this);
        }
    }

    /**
     * @return 128 reservations, 8 per IP, 1 h each; 1024 circuits, 16 per peer; 2 min and 128 KiB per
     *     circuit (go-libp2p's and js-libp2p's defaults); 10 s per message
     */
    public static RelayConfig defaults() {
        return new RelayConfig(128, 8, 3600, 1024, 16, RelayLimit.DEFAULT, 10_000);
    }

    /** @return a copy with other reservation bounds */
    public RelayConfig withReservations(int max, int perIp) {
        return new RelayConfig(max, perIp, reservationTtlSeconds, maxCircuits, maxCircuitsPerPeer, limit,
                messageTimeoutMillis);
    }

    /** @return a copy with other circuit bounds */
    public RelayConfig withCircuits(int max, int perPeer) {
        return new RelayConfig(maxReservations, maxReservationsPerIp, reservationTtlSeconds, max, perPeer, limit,
                messageTimeoutMillis);
    }

    /** @return a copy with another per-circuit limit */
    public RelayConfig withLimit(RelayLimit newLimit) {
        return new RelayConfig(maxReservations, maxReservationsPerIp, reservationTtlSeconds, maxCircuits,
                maxCircuitsPerPeer, newLimit, messageTimeoutMillis);
    }

    /** @return a copy with another reservation lifetime */
    public RelayConfig withReservationTtlSeconds(long seconds) {
        return new RelayConfig(maxReservations, maxReservationsPerIp, seconds, maxCircuits, maxCircuitsPerPeer,
                limit, messageTimeoutMillis);
    }
}
