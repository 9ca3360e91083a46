package io.crossdial.transport.tcp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The per-address rate of new inbound connections (specs/listeners.md, section 4): a token bucket per remote
 * address that holds at most {@code burst} connections and refills at {@code perSecond}; a connection that
 * finds its address's bucket empty is reset at accept, before any handshake work. The address is the IPv4
 * address, or the IPv6 address's /56 prefix (one subscriber's allocation, as go-libp2p's limiter keys it).
 * Addresses within one of the {@code exempt} prefixes are never limited. Immutable and thread-safe.
 *
 * <p>The defaults ({@link #defaults()}): {@value #DEFAULT_PER_SECOND} a second, a burst of
 * {@value #DEFAULT_BURST} (the default per-address handshake limit, so a new address can fill its handshake
 * slots at once), loopback ({@code 127.0.0.0/8}, {@code ::1/128}) exempt, as go-libp2p's resource manager
 * exempts it. For comparison: go-libp2p allows 0.2 a second with a burst of 16 per IPv4 address, js-libp2p
 * 5 a second per host ({@code inboundConnectionThreshold}).
 *
 * @param perSecond tokens added per second, &gt;= 0 and finite; 0 = no rate limit
 * @param burst the bucket's size: connections one address may open at once after a quiet spell, &gt;= 1
 * @param exempt CIDR prefixes never limited, e.g. {@code 127.0.0.0/8} or {@code ::1/128}
 */
public record InboundRateLimit(double perSecond, int burst, List<String> exempt) {
    /** Default refill: connections per second from one address. */
    public static final double DEFAULT_PER_SECOND = 8;
    /** Default burst: connections at once from one address. */
    public static final int DEFAULT_BURST = 64;
    /** Loopback, exempt by default. */
    public static final List<String> LOOPBACK = List.of("127.0.0.0/8", "::1/128");

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException for a negative or non-finite rate, a burst below 1 or a prefix that is not
     *     {@code ADDRESS/LENGTH} with a literal IPv4 or IPv6 address and a length within its family's width
     */
    public InboundRateLimit {
        if (!(perSecond >= 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("perSecond must be >= 0 and finite (0 = no limit): " + perSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be >= 1: " + burst);
        }
        exempt = List.copyOf(exempt);
        for (String p : exempt) {
            Prefix.parse(p);
        }
    }

    /** @return the defaults: {@value #DEFAULT_PER_SECOND} a second, burst {@value #DEFAULT_BURST}, loopback exempt */
    public static InboundRateLimit defaults() {
        return new InboundRateLimit(DEFAULT_PER_SECOND, DEFAULT_BURST, LOOPBACK);
    }

    /** @return no rate limit */
    public static InboundRateLimit off() {
        return new InboundRateLimit(0, DEFAULT_BURST, List.of());
    }

    /** @return whether a rate is set */
    public boolean enabled() {
        return perSecond > 0;
    }

    /**
     * @param address a remote address
     * @return whether it lies within one of the exempt prefixes
     */
    public boolean exempts(InetAddress address) {
        return Prefix.anyContains(exempt.stream().map(Prefix::parse).toList(), address);
    }

    /** A parsed CIDR prefix. */
    record Prefix(byte[] network, int length) {
        static Prefix parse(String cidr) {
            int slash = cidr.indexOf('/');
            if (slash < 0) {
                throw new IllegalArgumentException("not a prefix (ADDRESS/LENGTH): " + cidr);
            }
            String host = cidr.substring(0, slash);
            if (host.isEmpty() || !(host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0'
                    && c <= '9')))) {
                throw new IllegalArgumentException("not a literal IP address: " + cidr);
            }
            byte[] network;
            try {
                network = InetAddress.getByName(host).getAddress(); // literal only: checked above, no lookup
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not a literal IP address: " + cidr, e);
            }
            int length;
            try {
                length = Integer.parseInt(cidr.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a prefix length: " + cidr, e);
            }
            if (length < 0 || length > network.length * 8) {
                throw new IllegalArgumentException("prefix length out of range: " + cidr);
            }
            return new Prefix(network, length);
        }

        /** @return whether one of {@code prefixes} contains {@code address} */
        static boolean anyContains(List<Prefix> prefixes, InetAddress address) {
            byte[] a = address.getAddress();
            for (Prefix p : prefixes) {
                if (p.contains(a)) {
                    return true;
                }
            }
            return false;
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = length / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = length % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }
}
