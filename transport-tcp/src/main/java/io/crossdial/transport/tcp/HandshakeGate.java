package io.crossdial.transport.tcp;

import io.netty.util.AttributeKey;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The handshake limit of one listener (all its shards): a counting semaphore taken before each accept and
 * given back when the connection's handshake finishes, successfully or not, or the connection closes.
 * When no slot is free a shard pauses (autoRead off on its server channel, so the kernel keeps queueing)
 * and every release resumes the paused shards. Thread-safe.
 *
 * <p>No lost wake-up: a shard sets {@code paused} and then re-reads the count; a release decrements the
 * count and then reads {@code paused}; both are volatile, so one of them sees the other.
 */
final class HandshakeGate {
    /** The handshake slot of an accepted connection, released by {@link TcpTransport#handshakeFinished}. */
    static final AttributeKey<Slot> SLOT = AttributeKey.valueOf("crossdial.handshakeSlot");

    private final int limit;
    private final AtomicInteger inProgress = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final List<Shard> shards = new CopyOnWriteArrayList<>();

    HandshakeGate(int limit) {
        this.limit = limit;
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

        void release() {
            if (released.compareAndSet(false, true)) {
                HandshakeGate.this.release();
            }
        }
    }
}
