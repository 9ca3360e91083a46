package io.crossdial.transport.tcp;

import io.crossdial.core.multiaddr.Multiaddr;
import io.netty.channel.ChannelHandler;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One wildcard listen address ({@code /ip4/0.0.0.0/tcp/P}, {@code /ip6/::/tcp/P}) and the per-address
 * listeners it expands to (specs/listeners.md, section 1): one per address of its family that
 * {@link InterfaceAddresses} enumerates, less those bound explicitly on the same port, all on one port (with port
 * 0 the port the first address got). {@link #refresh()} binds new addresses and closes vanished ones; when
 * enumeration fails at bind time the wildcard itself is bound and never refreshed. Events go to the
 * {@link ListenerSet}. Not thread-safe: the listener set calls it under its lock.
 */
final class WildcardListener {
    private static final Logger log = LoggerFactory.getLogger(WildcardListener.class);
    /** How many ports a wildcard on port 0 tries before it reports the addresses that found the port taken. */
    static final int PORT_ATTEMPTS = 4;

    private final ListenerSet owner;
    private final Multiaddr requested;
    private final boolean v6;
    private final ChannelHandler handler;
    private final Set<String> explicitKeys;
    private final int requestedPort;
    private int port;
    private TcpListener wildcardFallback;
    private final Map<InetAddress, TcpListener> byAddress = new LinkedHashMap<>();
    private final Set<InetAddress> reportedFailures = new HashSet<>();

    /**
     * @param owner binds, registers and reports
     * @param requested the wildcard listen address
     * @param wildcard its socket address
     * @param handler each accepted connection's child handler
     * @param explicitKeys {@link #key} of each address the same call bound explicitly
     */
    WildcardListener(ListenerSet owner, Multiaddr requested, InetSocketAddress wildcard, ChannelHandler handler,
            Set<String> explicitKeys) {
        this.owner = owner;
        this.requested = requested;
        this.v6 = wildcard.getAddress() instanceof Inet6Address;
        this.handler = handler;
        this.explicitKeys = explicitKeys;
        this.requestedPort = wildcard.getPort();
        this.port = wildcard.getPort();
    }

    /** @return how an explicitly bound address and port is recorded, to leave it out of the expansion */
    static String key(InetAddress ip, int port) {
        return ip.getHostAddress() + "|" + port;
    }

    /** @return this family's addresses, without those bound explicitly; null when enumeration fails */
    private List<InetAddress> enumerate() {
        List<InetAddress> all;
        try {
            all = owner.interfaceAddresses().addresses();
        } catch (SocketException | RuntimeException e) {
            log.debug("cannot enumerate interfaces: {}", e.toString());
            return null;
        }
        List<InetAddress> out = new ArrayList<>();
        for (InetAddress ip : all) {
            if ((ip instanceof Inet6Address) == v6 && !ip.isAnyLocalAddress()
                    && !explicitKeys.contains(key(ip, requestedPort))) {
                out.add(ip);
            }
        }
        return out;
    }

    /**
     * Binds every enumerated address (or the wildcard itself when enumeration fails). An address that fails is
     * reported as {@link ListenerEvent.Kind#FAILED} and skipped; no address of the family yet is reported too.
     * With port 0, an address after the first that finds the chosen port taken ({@code EADDRINUSE}: another
     * socket holds that ephemeral port on that address) makes the whole set start over on a new port, up to
     * {@value #PORT_ATTEMPTS} times, so that one port serves every address.
     *
     * @return the listeners bound
     * @throws TcpBindException the first failure, when every address failed
     */
    List<TcpListener> bindInitial() {
        List<InetAddress> ips = enumerate();
        if (ips == null) {
            InetSocketAddress wildcard = ListenerSet.resolvedListenAddress(requested);
            wildcardFallback = owner.bind(requested, wildcard, requested, handler);
            return List.of(wildcardFallback);
        }
        List<TcpListener> out = new ArrayList<>();
        Map<InetAddress, TcpBindException> failures = new LinkedHashMap<>();
        for (int attempt = 1; ; attempt++) {
            for (InetAddress ip : ips) {
                try {
                    out.add(bindAddress(ip));
                } catch (TcpBindException e) {
                    failures.put(ip, e);
                }
            }
            boolean portTaken = requestedPort == 0 && !out.isEmpty() && failures.values().stream()
                    .anyMatch(e -> e.reason() == TcpBindException.Reason.ADDRESS_IN_USE);
            if (!portTaken || attempt == PORT_ATTEMPTS) {
                break;
            }
            log.debug("port {} is taken on {} of {}'s addresses; binding them all on another port", port,
                    failures.size(), requested);
            for (TcpListener l : out) {
                owner.forget(l);
                l.close();
            }
            out.clear();
            failures.clear();
            byAddress.clear();
            port = 0;
        }
        for (Map.Entry<InetAddress, TcpBindException> f : failures.entrySet()) {
            reportedFailures.add(f.getKey());
            owner.emit(new ListenerEvent(ListenerEvent.Kind.FAILED, addressOf(f.getKey()), requested, f.getValue()));
        }
        if (out.isEmpty() && !failures.isEmpty()) {
            throw failures.values().iterator().next();
        }
        if (ips.isEmpty()) {
            owner.emit(new ListenerEvent(ListenerEvent.Kind.FAILED, requested, requested, new TcpBindException(
                    TcpBindException.Reason.ADDRESS_NOT_AVAILABLE, "cannot listen on " + requested
                            + ": no interface that is up has an " + (v6 ? "IPv6" : "IPv4")
                            + " address yet; waiting for one", null)));
        }
        return out;
    }

    private Multiaddr addressOf(InetAddress ip) {
        return Multiaddr.fromSocketAddress(new InetSocketAddress(ip, port));
    }

    private TcpListener bindAddress(InetAddress ip) {
        InetSocketAddress sa = new InetSocketAddress(ip, port);
        TcpListener l = owner.bind(Multiaddr.fromSocketAddress(sa), sa, requested, handler);
        if (port == 0) {
            port = l.localAddress().getPort();
        }
        byAddress.put(ip, l);
        return l;
    }

    /**
     * Re-enumerates: binds each new address on the wildcard's port ({@link ListenerEvent.Kind#ADDED}; a
     * failure is reported once per address as {@link ListenerEvent.Kind#FAILED}) and closes the listeners of
     * addresses that went away ({@link ListenerEvent.Kind#REMOVED}).
     */
    void refresh() {
        if (wildcardFallback != null) {
            return;
        }
        List<InetAddress> ips = enumerate();
        if (ips == null) {
            return;
        }
        for (InetAddress ip : ips) {
            if (byAddress.containsKey(ip)) {
                continue;
            }
            try {
                TcpListener l = bindAddress(ip);
                reportedFailures.remove(ip);
                owner.emit(new ListenerEvent(ListenerEvent.Kind.ADDED, l.multiaddr(), requested, null));
            } catch (TcpBindException e) {
                if (reportedFailures.add(ip)) {
                    owner.emit(new ListenerEvent(ListenerEvent.Kind.FAILED, addressOf(ip), requested, e));
                }
            }
        }
        Set<InetAddress> current = new HashSet<>(ips);
        for (InetAddress ip : List.copyOf(byAddress.keySet())) {
            if (!current.contains(ip)) {
                TcpListener l = byAddress.remove(ip);
                owner.forget(l);
                l.close();
                owner.emit(new ListenerEvent(ListenerEvent.Kind.REMOVED, l.multiaddr(), requested, null));
            }
        }
        reportedFailures.retainAll(current);
    }
}
