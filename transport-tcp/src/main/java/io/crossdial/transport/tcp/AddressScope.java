package io.crossdial.transport.tcp;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The reach of an IP address, used to pick the listener a dial goes out from (specs/listeners.md, "Source
 * selection"): a destination is dialed from a listener of the same family and scope, so the remote sees an
 * address it can route back to.
 */
public enum AddressScope {
    /** 127.0.0.0/8, ::1 */
    LOOPBACK,
    /** 169.254.0.0/16, fe80::/10 */
    LINK_LOCAL,
    /** 10/8, 172.16/12, 192.168/16, 100.64/10 (shared address space), fc00::/7 (unique local), fec0::/10 */
    PRIVATE,
    /** everything else that is a unicast host address */
    GLOBAL;

    /**
     * @param ip an address, not a wildcard
     * @return its scope
     */
    public static AddressScope of(InetAddress ip) {
        if (ip.isLoopbackAddress()) {
            return LOOPBACK;
        }
        if (ip.isLinkLocalAddress()) {
            return LINK_LOCAL;
        }
        if (ip.isSiteLocalAddress()) {
            return PRIVATE;
        }
        byte[] b = ip.getAddress();
        if (ip instanceof Inet4Address && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64) {
            return PRIVATE;
        }
        if (ip instanceof Inet6Address && (b[0] & 0xfe) == 0xfc) {
            return PRIVATE;
        }
        return GLOBAL;
    }

    /**
     * How well a listener of scope {@code listener} fits a destination of scope {@code destination}; lower is
     * better, -1 means never: the same scope is 0; a private listener for a global destination (a host
     * behind NAT) 1; a global listener for a private destination 2. Loopback and link-local destinations
     * are dialed only from listeners of their own scope, and loopback listeners dial only loopback.
     *
     * @param listener the listener's scope
     * @param destination the destination's scope
     * @return the rank, or -1
     */
    public static int fit(AddressScope listener, AddressScope destination) {
        if (listener == destination) {
            return 0;
        }
        if (destination == GLOBAL && listener == PRIVATE) {
            return 1;
        }
        if (destination == PRIVATE && listener == GLOBAL) {
            return 2;
        }
        return -1;
    }
}
