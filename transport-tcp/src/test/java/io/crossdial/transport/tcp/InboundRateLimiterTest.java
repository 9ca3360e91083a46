package io.crossdial.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link InboundRateLimiter} and {@link InboundRateLimit} (specs/listeners.md, section 4), on a made-up clock. */
class InboundRateLimiterTest {
    private static final long SECOND = 1_000_000_000L;

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void aBurstThenTheRefillRate() throws Exception {
        InboundRateLimiter r = new InboundRateLimiter(new InboundRateLimit(2, 3, List.of()));
        InetAddress a = ip("192.0.2.1");
        long t = 5 * SECOND;
        assertTrue(r.tryAcquire(a, t));
        assertTrue(r.tryAcquire(a, t));
        assertTrue(r.tryAcquire(a, t));
        assertFalse(r.tryAcquire(a, t), "the burst of 3 is spent");
        assertFalse(r.tryAcquire(a, t + SECOND / 2 - 1), "not yet one token at 2 a second");
        assertTrue(r.tryAcquire(a, t + SECOND / 2), "one token after 500 ms");
        assertFalse(r.tryAcquire(a, t + SECOND / 2));
        assertTrue(r.tryAcquire(ip("192.0.2.2"), t), "another address has its own bucket");
        // a long quiet spell refills to the burst, not beyond
        long later = t + 3600 * SECOND;
        for (int i = 0; i < 3; i++) {
            assertTrue(r.tryAcquire(a, later));
        }
        assertFalse(r.tryAcquire(a, later));
        assertFalse(r.tryAcquire(a, later - SECOND), "a clock going back adds nothing");
    }

    @Test
    void ipv6IsLimitedPerSlash56AndExemptPrefixesAreNot() throws Exception {
        InboundRateLimiter r = new InboundRateLimiter(new InboundRateLimit(1, 1, List.of("10.1.0.0/16", "::1/128")));
        assertTrue(r.tryAcquire(ip("2001:db8:0:ff00::1"), 0));
        assertFalse(r.tryAcquire(ip("2001:db8:0:ffff::2"), 0), "same /56");
        assertTrue(r.tryAcquire(ip("2001:db8:0:100::1"), 0), "another /56");
        for (int i = 0; i < 100; i++) {
            assertTrue(r.tryAcquire(ip("10.1.200.3"), 0), "within 10.1.0.0/16");
            assertTrue(r.tryAcquire(ip("::1"), 0));
        }
        assertTrue(r.tryAcquire(ip("10.2.0.1"), 0));
        assertFalse(r.tryAcquire(ip("10.2.0.1"), 0), "outside the exempt prefix");
        assertTrue(r.tryAcquire(null, 0), "an unknown address is let through");
        assertEquals(3, r.tracked(), "exempt addresses are not tracked");
    }

    @Test
    void theDefaultsExemptLoopbackAndOffLimitsNothing() throws Exception {
        InboundRateLimit d = InboundRateLimit.defaults();
        assertEquals(8, d.perSecond());
        assertEquals(64, d.burst());
        assertTrue(d.exempts(ip("127.0.0.3")));
        assertTrue(d.exempts(ip("::1")));
        assertFalse(d.exempts(ip("198.18.1.2")));
        assertEquals(d, TcpTransportConfig.defaults().inboundRateLimit());
        InboundRateLimiter off = new InboundRateLimiter(InboundRateLimit.off());
        for (int i = 0; i < 1000; i++) {
            assertTrue(off.tryAcquire(ip("192.0.2.9"), 0));
        }
        assertEquals(0, off.tracked());
    }

    @Test
    void aFullTableForgetsRefilledAddressesAndOtherwiseLetsNewOnesThrough() throws Exception {
        InboundRateLimiter r = new InboundRateLimiter(new InboundRateLimit(1, 1, List.of()));
        for (int i = 0; i < InboundRateLimiter.MAX_TRACKED; i++) {
            assertTrue(r.tryAcquire(InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8),
                    (byte) i}), 0));
        }
        assertEquals(InboundRateLimiter.MAX_TRACKED, r.tracked());
        InetAddress late = ip("192.0.2.77");
        assertTrue(r.tryAcquire(late, 0), "nothing refilled yet: let through untracked");
        assertTrue(r.tryAcquire(late, 0), "still untracked");
        assertEquals(InboundRateLimiter.MAX_TRACKED, r.tracked());
        assertTrue(r.tryAcquire(late, 2 * SECOND), "every bucket refilled: the table is swept");
        assertEquals(1, r.tracked());
        assertFalse(r.tryAcquire(late, 2 * SECOND), "and the new address is limited");
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new InboundRateLimit(-1, 1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new InboundRateLimit(Double.NaN, 1, List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new InboundRateLimit(Double.POSITIVE_INFINITY, 1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new InboundRateLimit(1, 0, List.of()));
        for (String bad : List.of("10.0.0.0", "10.0.0.0/33", "::1/129", "localhost/8", "10.0.0.0/x", "/8",
                "10.0.0.0/-1")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new InboundRateLimit(1, 1, List.of(bad)), bad);
            assertTrue(e.getMessage().endsWith(bad), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class,
                () -> TcpTransportConfig.defaults().withInboundRateLimit(null));
        assertEquals(InboundRateLimit.off(), TcpTransportConfig.builder().inboundRateLimit(InboundRateLimit.off())
                .build().inboundRateLimit());
    }
}
