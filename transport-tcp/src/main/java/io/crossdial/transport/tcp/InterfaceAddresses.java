package io.crossdial.transport.tcp;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * Where a wildcard listen address ({@code 0.0.0.0}, {@code ::}) gets the addresses it expands to. The
 * transport asks at bind time and again every {@link TcpTransportConfig#interfacePollMillis()} ms.
 * Implementations must be thread-safe.
 */
@FunctionalInterface
public interface InterfaceAddresses {
    /**
     * @return this host's unicast addresses of interfaces that are up, in a stable order
     * @throws SocketException when the interfaces cannot be enumerated (the listener then binds the wildcard)
     */
    List<InetAddress> addresses() throws SocketException;

    /**
     * The JDK's enumeration ({@link NetworkInterface#getNetworkInterfaces()}): interfaces that are up, loopback
     * first, then by address text. IPv6 addresses with a scope (link-local {@code fe80::/10}) are left out:
     * a multiaddr cannot carry their zone, so no peer could dial them.
     *
     * @return the system's enumeration
     */
    static InterfaceAddresses system() {
        return () -> {
            List<InetAddress> out = new ArrayList<>();
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp()) {
                    continue;
                }
                for (InetAddress ip : Collections.list(nif.getInetAddresses())) {
                    if (ip instanceof Inet6Address v6 && (v6.getScopeId() != 0 || v6.isLinkLocalAddress())) {
                        continue;
                    }
                    if (ip.isAnyLocalAddress() || ip.isMulticastAddress()) {
                        continue;
                    }
                    out.add(ip);
                }
            }
            out.sort(Comparator.comparing((InetAddress ip) -> !ip.isLoopbackAddress())
                    .thenComparing(InetAddress::getHostAddress));
            return out;
        };
    }
}
