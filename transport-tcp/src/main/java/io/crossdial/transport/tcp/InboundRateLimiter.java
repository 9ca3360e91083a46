package io.crossdial.transport.tcp;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The transport's {@link InboundRateLimit}: one token bucket per remote address (IPv4 address, IPv6 /56),
 * shared by all its listeners and shards. Thread-safe (one lock; an acquire is a map lookup and some arithmetic).
 * Memory is bounded: at most {@value #MAX_TRACKED} addresses are tracked. A full map first forgets the
 * addresses whose buckets have refilled (they are as good as new), and when that frees nothing the new
 * address goes untracked and is let through: a flood from that many addresses is the handshake limits' to bound,
 * and refusing a newcomer because others were seen would let them lock honest peers out.
 */
final class InboundRateLimiter {
    /** Most addresses tracked at once. */
    static final int MAX_TRACKED = 65_536;

    private final InboundRateLimit limit;
    private final List<InboundRateLimit.Prefix> exempt;
    private final Map<ByteBuffer, Bucket> buckets = new HashMap<>();

    private static final class Bucket {
        double tokens;
        long refilledNanos;

        Bucket(double tokens, long refilledNanos) {
            this.tokens = tokens;
            this.refilledNanos = refilledNanos;
        }
    }

    InboundRateLimiter(InboundRateLimit limit) {
        this.limit = limit;
        this.exempt = limit.exempt().stream().map(InboundRateLimit.Prefix::parse).toList();
    }

    /**
     * @param address the remote address; null (unknown) is let through
     * @param nowNanos {@link System#nanoTime()}
     * @return whether a connection from it may go on: false when its bucket is empty
     */
    boolean tryAcquire(InetAddress address, long nowNanos) {
        if (!limit.enabled() || address == null || InboundRateLimit.Prefix.anyContains(exempt, address)) {
            return true;
        }
        byte[] a = address.getAddress();
        ByteBuffer key = ByteBuffer.wrap(address instanceof Inet6Address ? java.util.Arrays.copyOf(a, 7) : a);
        synchronized (this) {
            Bucket b = buckets.get(key);
            if (b == null) {
                if (buckets.size() >= MAX_TRACKED && !forgetRefilled(nowNanos)) {
                    return true;
                }
                b = new Bucket(limit.burst(), nowNanos);
                buckets.put(key, b);
            } else {
                b.tokens = refilled(b, nowNanos);
                b.refilledNanos = nowNanos;
            }
            if (b.tokens < 1) {
                return false;
            }
            b.tokens -= 1;
            return true;
        }
    }

    /** @return whether any address was forgotten */
    private boolean forgetRefilled(long nowNanos) {
        int before = buckets.size();
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            if (refilled(it.next(), nowNanos) >= limit.burst()) {
                it.remove();
            }
        }
        return buckets.size() < before;
    }

    private double refilled(Bucket b, long nowNanos) {
        return Math.min(limit.burst(), b.tokens + Math.max(0, nowNanos - b.refilledNanos) * limit.perSecond() / 1e9);
    }

    /** @return the settings */
    InboundRateLimit limit() {
        return limit;
    }

    /** @return addresses tracked now */
    synchronized int tracked() {
        return buckets.size();
    }
}
