package io.crossdial.host.relay;

import io.crossdial.host.relay.pb.CircuitProtos.Limit;

/**
 * The limits of one relayed connection (libp2p/specs {@code relay/circuit-v2.md}, "Limit"): after
 * {@code durationSeconds} or once {@code dataBytes} passed in either direction the relay resets both streams.
 *
 * @param durationSeconds at most this long, seconds; 0 for no limit
 * @param dataBytes at most this many bytes in each direction; 0 for no limit
 */
public record RelayLimit(long durationSeconds, long dataBytes) {
    /** No limit at all: the relay sends no {@code limit} field. */
    public static final RelayLimit NONE = new RelayLimit(0, 0);
    /** go-libp2p's and js-libp2p's default: 2 minutes and 128 KiB in each direction. */
    public static final RelayLimit DEFAULT = new RelayLimit(120, 128 * 1024);

    /** @throws IllegalArgumentException if a value is negative or the duration exceeds a uint32 */
    public RelayLimit {
        if (durationSeconds < 0 || durationSeconds > 0xFFFF_FFFFL || dataBytes < 0) {
            throw new IllegalArgumentException("relay limit out of range: " + durationSeconds + " s, " + dataBytes + " B");
        }
    }

    /** @return whether neither limit applies */
    public boolean isNone() {
        return durationSeconds == 0 && dataBytes == 0;
    }

    Limit toMessage() {
        Limit.Builder b = Limit.newBuilder();
        if (durationSeconds > 0) {
            b.setDuration((int) durationSeconds);
        }
        if (dataBytes > 0) {
            b.setData(dataBytes);
        }
        return b.build();
    }

    /** @return the limit a message carries; {@link #NONE} when absent */
    static RelayLimit of(boolean present, Limit limit) {
        if (!present) {
            return NONE;
        }
        long data = limit.getData();
        return new RelayLimit(Integer.toUnsignedLong(limit.getDuration()), data < 0 ? Long.MAX_VALUE : data);
    }
}
