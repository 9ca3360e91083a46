package io.crossdial.upgrader;

/**
 * The limits a circuit relay v2 server takes from its host's {@link ResourceManager}
 * ({@link ResourceManager#reserveRelayReservation}, {@link ResourceManager#reserveRelayCircuit}): how many
 * reservations and relayed connections ("circuits") it holds at once, and how long and how much each circuit may
 * carry (libp2p/specs {@code relay/circuit-v2.md}, "Reservation", "Limit"). A component of
 * {@link ResourceLimits}, so that a relay has one set of limits, the resource manager's, beside the connection,
 * stream and memory limits its circuits' streams count against. Immutable and thread-safe.
 *
 * <p>{@link #DEFAULT} is go-libp2p's relay {@code DefaultResources} (and js-libp2p's defaults): 128
 * reservations, 8 per IP address, 1024 circuits, 16 per peer, 2 minutes and 128 KiB in each direction per
 * circuit.
 *
 * @param maxReservations reservations held at once, all peers; &gt; 0
 * @param maxReservationsPerIp reservations held at once by peers connected from one IP address;
 *     1..maxReservations
 * @param maxCircuits circuits open at once, all peers; &gt; 0
 * @param maxCircuitsPerPeer circuits open at once that one peer initiates or is the target of; 1..maxCircuits
 * @param circuitDurationSeconds how long a circuit may stay open, s; 0 for no limit, at most 2^32 - 1
 * @param circuitDataBytes bytes a circuit may carry in each direction; 0 for no limit
 */
public record RelayResourceLimits(int maxReservations, int maxReservationsPerIp, int maxCircuits,
        int maxCircuitsPerPeer, long circuitDurationSeconds, long circuitDataBytes) {
    /** go-libp2p's relay defaults: 128 reservations, 8 per IP, 1024 circuits, 16 per peer, 120 s and 128 KiB. */
    public static final RelayResourceLimits DEFAULT = new RelayResourceLimits(128, 8, 1024, 16, 120, 128 * 1024);
    /** No bound worth the name and no per-circuit limit: what {@link ResourceManager#UNLIMITED} reports. */
    public static final RelayResourceLimits UNLIMITED = new RelayResourceLimits(Integer.MAX_VALUE,
            Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, 0, 0);

    /**
     * Validates every limit.
     *
     * @throws IllegalArgumentException naming the first limit that is out of its range
     */
    public RelayResourceLimits {
        if (maxReservations < 1) {
            throw new IllegalArgumentException("maxReservations must be > 0: " + maxReservations);
        }
        if (maxReservationsPerIp < 1 || maxReservationsPerIp > maxReservations) {
            throw new IllegalArgumentException("maxReservationsPerIp must be within 1.." + maxReservations
                    + " (maxReservations): " + maxReservationsPerIp);
        }
        if (maxCircuits < 1) {
            throw new IllegalArgumentException("maxCircuits must be > 0: " + maxCircuits);
        }
        if (maxCircuitsPerPeer < 1 || maxCircuitsPerPeer > maxCircuits) {
            throw new IllegalArgumentException("maxCircuitsPerPeer must be within 1.." + maxCircuits
                    + " (maxCircuits): " + maxCircuitsPerPeer);
        }
        if (circuitDurationSeconds < 0 || circuitDurationSeconds > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("circuitDurationSeconds must be within 0..4294967295: "
                    + circuitDurationSeconds);
        }
        if (circuitDataBytes < 0) {
            throw new IllegalArgumentException("circuitDataBytes must be >= 0: " + circuitDataBytes);
        }
    }

    /**
     * @param max reservations at once
     * @param perIp reservations from one IP address at once
     * @return a copy with these reservation bounds
     * @throws IllegalArgumentException if they are out of range
     */
    public RelayResourceLimits withReservations(int max, int perIp) {
        return new RelayResourceLimits(max, perIp, maxCircuits, maxCircuitsPerPeer, circuitDurationSeconds,
                circuitDataBytes);
    }

    /**
     * @param max circuits at once
     * @param perPeer circuits one peer is part of at once
     * @return a copy with these circuit bounds
     * @throws IllegalArgumentException if they are out of range
     */
    public RelayResourceLimits withCircuits(int max, int perPeer) {
        return new RelayResourceLimits(maxReservations, maxReservationsPerIp, max, perPeer, circuitDurationSeconds,
                circuitDataBytes);
    }

    /**
     * @param durationSeconds each circuit's duration limit, s; 0 for none
     * @param dataBytes each circuit's data limit per direction, bytes; 0 for none
     * @return a copy with this per-circuit limit
     * @throws IllegalArgumentException if they are out of range
     */
    public RelayResourceLimits withCircuitLimit(long durationSeconds, long dataBytes) {
        return new RelayResourceLimits(maxReservations, maxReservationsPerIp, maxCircuits, maxCircuitsPerPeer,
                durationSeconds, dataBytes);
    }
}
