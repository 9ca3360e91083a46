package io.crossdial.transport.tcp;

import io.crossdial.core.multiaddr.Multiaddr;
import io.netty.channel.ChannelHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transport's listeners: the multi-home plan that binds them (specs/listeners.md, section 1; explicit
 * addresses first, then each wildcard as a {@link WildcardListener}), the interface poll that keeps the
 * wildcards' expansions current, and the set of listeners bound and not closed, which dials choose their source
 * address from. Binding runs on the calling thread or on the listen control thread, never on an event loop.
 * Thread-safe.
 */
final class ListenerSet {
    private static final Logger log = LoggerFactory.getLogger(ListenerSet.class);

    private final ShardedBinder binder;
    private final long interfacePollMillis;
    private final List<TcpListener> listeners = new CopyOnWriteArrayList<>();
    private final List<WildcardListener> wildcards = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService control;
    private volatile InterfaceAddresses interfaceAddresses = InterfaceAddresses.system();
    private volatile Consumer<ListenerEvent> listenerEvents = e -> {};
    private boolean watching;

    /**
     * @param binder binds one address and port
     * @param interfacePollMillis how often wildcards re-enumerate interfaces, in ms; 0 = never
     */
    ListenerSet(ShardedBinder binder, long interfacePollMillis) {
        this.binder = binder;
        this.interfacePollMillis = interfacePollMillis;
        this.control = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("crossdial-listen", true));
    }

    /** @return the listeners bound and not closed, as a live view (iteration sees a snapshot) */
    List<TcpListener> live() {
        return listeners;
    }

    InterfaceAddresses interfaceAddresses() {
        return interfaceAddresses;
    }

    void interfaceAddresses(InterfaceAddresses source) {
        this.interfaceAddresses = source;
    }

    void onListenerEvent(Consumer<ListenerEvent> listener) {
        this.listenerEvents = listener;
    }

    /** Binds one listen address as it is, on the listen control thread; see {@link TcpTransport#listen}. */
    Future<TcpListener> listen(Multiaddr address, ChannelHandler childHandler, Promise<TcpListener> promise) {
        InetSocketAddress socketAddress;
        try {
            socketAddress = resolvedListenAddress(address);
        } catch (RuntimeException e) {
            return promise.setFailure(e);
        }
        control.execute(() -> {
            try {
                promise.trySuccess(bind(address, socketAddress, address, childHandler));
            } catch (RuntimeException e) {
                promise.tryFailure(e);
            }
        });
        return promise;
    }

    /** The multi-home plan, on the calling thread; see {@link TcpTransport#listenAll}. */
    List<TcpListener> listenAll(List<Multiaddr> addresses, ChannelHandler childHandler) {
        List<Multiaddr> explicit = new ArrayList<>();
        List<Multiaddr> wildcardAddresses = new ArrayList<>();
        for (Multiaddr a : addresses) {
            (resolvedListenAddress(a).getAddress().isAnyLocalAddress() ? wildcardAddresses : explicit).add(a);
        }
        List<TcpListener> bound = new ArrayList<>();
        List<WildcardListener> added = new ArrayList<>();
        Set<String> explicitKeys = new HashSet<>();
        try {
            for (Multiaddr a : explicit) {
                InetSocketAddress sa = resolvedListenAddress(a);
                bound.add(bind(a, sa, a, childHandler));
                explicitKeys.add(WildcardListener.key(sa.getAddress(), sa.getPort()));
            }
            for (Multiaddr a : wildcardAddresses) {
                WildcardListener w = new WildcardListener(this, a, resolvedListenAddress(a), childHandler, explicitKeys);
                added.add(w);
                bound.addAll(w.bindInitial());
            }
        } catch (RuntimeException e) {
            for (TcpListener l : bound) {
                listeners.remove(l);
                l.close().awaitUninterruptibly(TcpTransport.BIND_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            }
            throw e;
        }
        if (bound.isEmpty()) {
            throw new TcpBindException(TcpBindException.Reason.ADDRESS_NOT_AVAILABLE, "cannot listen on "
                    + addresses + ": no interface has an address of the requested family", null);
        }
        wildcards.addAll(added);
        startWatching();
        return bound;
    }

    /** Re-enumerates interfaces for every wildcard now; see {@link TcpTransport#refreshInterfaces}. */
    void refresh() {
        synchronized (wildcards) {
            for (WildcardListener w : wildcards) {
                w.refresh();
            }
        }
    }

    private synchronized void startWatching() {
        if (watching || interfacePollMillis == 0 || wildcards.isEmpty()) {
            return;
        }
        watching = true;
        control.scheduleWithFixedDelay(() -> {
            try {
                refresh();
            } catch (RuntimeException e) {
                log.warn("interface refresh failed", e);
            }
        }, interfacePollMillis, interfacePollMillis, TimeUnit.MILLISECONDS);
    }

    /** Binds one address and port and keeps the listener in the set until it closes. */
    TcpListener bind(Multiaddr shown, InetSocketAddress address, Multiaddr requested, ChannelHandler childHandler) {
        TcpListener listener = binder.bind(shown, address, requested, childHandler);
        listeners.add(listener);
        listener.closeFuture().addListener(c -> listeners.remove(listener));
        return listener;
    }

    /** Drops a listener from the set before closing it (its address went away). */
    void forget(TcpListener listener) {
        listeners.remove(listener);
    }

    void emit(ListenerEvent event) {
        try {
            listenerEvents.accept(event);
        } catch (RuntimeException e) {
            log.warn("listener event consumer failed", e);
        }
    }

    /**
     * @param address a listen multiaddr
     * @return its socket address
     * @throws TcpBindException for a DNS name
     */
    static InetSocketAddress resolvedListenAddress(Multiaddr address) {
        InetSocketAddress socketAddress = address.toSocketAddress();
        if (socketAddress.isUnresolved()) {
            throw new TcpBindException(TcpBindException.Reason.ADDRESS_NOT_AVAILABLE,
                    "cannot listen on " + address + ": listen addresses must be IP addresses, not DNS names", null);
        }
        return socketAddress;
    }

    /** Stops the interface poll and closes every listener (without waiting). */
    void close() {
        control.shutdownNow();
        for (TcpListener listener : listeners) {
            listener.close();
        }
    }
}
