package io.crossdial.host.relay;

/**
 * The timing of a relay ({@link RelayService}). Its bounds (reservations, circuits, each circuit's duration and
 * data limit) are not here: they are the host's resource manager's
 * ({@link io.crossdial.upgrader.ResourceLimits#relay()}).
 *
 * @param reservationTtlSeconds how long a reservation lasts before the client must refresh it, s; &gt; 0
 * @param messageTimeoutMillis how long each hop or stop message may take to arrive, ms; &gt; 0
 */
public record RelayConfig(long reservationTtlSeconds, long messageTimeoutMillis) {
    /** @throws IllegalArgumentException if a value is not positive */
    public RelayConfig {
        if (reservationTtlSeconds < 1 || messageTimeoutMillis < 1) {
            throw new IllegalArgumentException("relay timing must be positive: " + reservationTtlSeconds + " s, "
                    + messageTimeoutMillis + " ms");
        }
    }

    /** @return reservations of 1 h (go-libp2p's and js-libp2p's default), 10 s per message */
    public static RelayConfig defaults() {
        return new RelayConfig(3600, 10_000);
    }

    /**
     * @param seconds the reservation lifetime, s
     * @return a copy with another reservation lifetime
     * @throws IllegalArgumentException if it is not positive
     */
    public RelayConfig withReservationTtlSeconds(long seconds) {
        return new RelayConfig(seconds, messageTimeoutMillis);
    }
}
