package io.crossdial.transport.tcp;

import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The handshake limit of one listener (all its shards): a counting semaphore taken before each accept and
 * given back when the connection's handshake finishes, successfully or not, or the connection closes.
 * When no slot is free a shard pauses (autoRead off on its server channel, so the kernel keeps queueing)
 * and every release resumes the paused shards. Thread-safe.
 *
 * <p>Per remote IP address a second limit may apply ({@link TcpTransportConfig#maxHandshakesPerAddress()}):
 * it is checked after the accept, when the address is known, and a connection over it is closed at once
 * ({@link #tryAcquireAddress}), so one address that keeps its handshakes slow cannot take every slot.
 *
 * <p>No lost wake-up: a shard sets {@code paused} and then re-reads the count; a release decrements the
 * count and then reads {@code paused}; both are volatile, so one of them sees the other.
 */
final class HandshakeGate {
    /** The handshake slot of an accepted connection, released by {@link TcpTransport#handshakeFinished}. */
    static final AttributeKey<Slot> SLOT = AttributeKey.valueOf("crossdial.handshakeSlot");

    private final int limit;
    private final int perAddressLimit;
    private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
    private final AtomicInteger inProgress = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final List<Shard> shards = new CopyOnWriteArrayList<>();

    /**
     * @param limit handshakes at once, > 0
     * @param perAddressLimit handshakes at once from one remote IP address; 0 = no per-address limit
     */
    HandshakeGate(int limit, int perAddressLimit) {
        this.limit = limit;
        this.perAddressLimit = perAddressLimit;
    }

    /** @return the per-address limit; 0 = none */
    int perAddressLimit() {
        return perAddressLimit;
    }

    /**
     * Counts one more handshake from {@code address} on {@code slot} (which gives it back on release) if the
     * per-address limit allows it.
     *
     * @return false when {@code address} already has {@link #perAddressLimit()} handshakes in progress; nothing
     *     is counted then
     */
    boolean tryAcquireAddress(Slot slot, InetAddress address) {
        if (perAddressLimit == 0 || address == null) {
            return true;
        }
        boolean[] taken = new boolean[1];
        perAddress.compute(address, (a, n) -> {
            int count = n == null ? 0 : n;
            if (count >= perAddressLimit) {
                return n;
            }
            taken[0] = true;
            return count + 1;
        });
        if (taken[0]) {
            slot.address = address;
        }
        return taken[0];
    }

    /** @return handshakes in progress from {@code address} (for tests) */
    int inProgress(InetAddress address) {
        return perAddress.getOrDefault(address, 0);
    }

    void add(Shard shard) {
        shards.add(shard);
    }

    int limit() {
        return limit;
    }

    int inProgress() {
        return inProgress.get();
    }

    int peak() {
        return peak.get();
    }

    boolean hasRoom() {
        return inProgress.get() < limit;
    }

    /** Takes a slot if one is free. */
    boolean tryAcquire() {
        while (true) {
            int n = inProgress.get();
            if (n >= limit) {
                return false;
            }
            if (inProgress.compareAndSet(n, n + 1)) {
                peak.accumulateAndGet(n + 1, Math::max);
                return true;
            }
        }
    }

    /** Takes a slot even when none is free (draining a closing shard's accept queue). */
    void forceAcquire() {
        peak.accumulateAndGet(inProgress.incrementAndGet(), Math::max);
    }

    void release() {
        inProgress.decrementAndGet();
        for (Shard s : shards) {
            if (s.paused) {
                s.resumeLater();
            }
        }
    }

    /** One accepted connection's slot; released at most once. */
    final class Slot {
        private final AtomicBoolean released = new AtomicBoolean();
        private volatile InetAddress address;

        void release() {
            if (released.compareAndSet(false, true)) {
                InetAddress a = address;
                if (a != null) {
                    perAddress.computeIfPresent(a, (k, n) -> n <= 1 ? null : n - 1);
                }
                HandshakeGate.this.release();
            }
        }
    }
}
