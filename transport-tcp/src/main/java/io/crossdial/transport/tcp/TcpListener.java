package io.crossdial.transport.tcp;

import io.crossdial.core.multiaddr.Multiaddr;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One listen address and port, bound as one or more shards: listen sockets with SO_REUSEPORT, each on its
 * own accept event loop (specs/listeners.md). All shards share one handshake limit. Thread-safe.
 */
public final class TcpListener {
    private static final Path MIGRATE_REQ = Path.of("/proc/sys/net/ipv4/tcp_migrate_req");

    private final List<Shard> shards;
    private final HandshakeGate gate;
    private final Multiaddr multiaddr;
    private final Multiaddr requested;
    private final InetSocketAddress localAddress;

    TcpListener(List<Shard> shards, HandshakeGate gate, Multiaddr requested) {
        this.shards = List.copyOf(shards);
        this.gate = gate;
        this.localAddress = shards.get(0).channel.localAddress();
        this.multiaddr = Multiaddr.fromSocketAddress(localAddress);
        this.requested = requested;
    }

    /** @return the bound address as a multiaddr, with the real port when 0 was asked for */
    public Multiaddr multiaddr() {
        return multiaddr;
    }

    /** @return the listen address this listener was made for, e.g. {@code /ip4/0.0.0.0/tcp/0} */
    public Multiaddr requested() {
        return requested;
    }

    /** @return the bound socket address */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** @return the first shard's listen channel */
    public Channel channel() {
        return shards.get(0).channel;
    }

    /** @return how many shards were bound (closed ones included) */
    public int shardCount() {
        return shards.size();
    }

    /** @return whether any shard still accepts */
    public boolean isActive() {
        for (Shard s : shards) {
            if (s.channel.isActive()) {
                return true;
            }
        }
        return false;
    }

    /** @return a snapshot of the counters */
    public ListenerStats stats() {
        List<Long> accepts = new ArrayList<>();
        long rejected = 0;
        for (Shard s : shards) {
            accepts.add(s.accepted.get());
            rejected += s.rejected.get();
        }
        return new ListenerStats(multiaddr, accepts, gate.inProgress(), gate.peak(), gate.limit(), rejected);
    }

    /**
     * Closes one shard without losing the connections in its accept queue: where the kernel migrates them
     * to the other shards ({@code net.ipv4.tcp_migrate_req = 1}, Linux 5.14+) the socket is simply closed;
     * otherwise the shard first accepts everything queued (ignoring the handshake limit), then closes. The
     * fallback still loses connections whose TCP handshake is not complete when the socket closes, and
     * those completing between the last accept and the close.
     *
     * @param index the shard, 0 .. {@link #shardCount()} - 1
     * @return completes when the shard's socket is closed
     * @throws IndexOutOfBoundsException for a bad index
     */
    public Future<Void> closeShard(int index) {
        Shard shard = shards.get(index);
        if (kernelMigratesRequests()) {
            return shard.channel.close();
        }
        shard.eventLoop.execute(shard.channel::drainAndClose);
        return shard.channel.closeFuture();
    }

    /** @return whether this network namespace has {@code net.ipv4.tcp_migrate_req} set to 1 */
    public static boolean kernelMigratesRequests() {
        return "1".equals(readSysctl(MIGRATE_REQ.toString()));
    }

    /**
     * Reads the first line of a /proc/sys file (line by line: the JDK's whole-file reads can truncate these
     * files, whose reported size is 0).
     *
     * @return the trimmed value, or null when absent or unreadable
     */
    static String readSysctl(String path) {
        try (java.io.BufferedReader r = Files.newBufferedReader(Path.of(path))) {
            String line = r.readLine();
            return line == null ? null : line.trim();
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Stops accepting on every shard; established connections stay open.
     *
     * @return completes when every listen socket is closed
     */
    public Future<Void> close() {
        for (Shard s : shards) {
            s.channel.close();
        }
        return closeFuture();
    }

    /** @return a future that completes when every shard is closed */
    Future<Void> closeFuture() {
        Promise<Void> all = GlobalEventExecutor.INSTANCE.newPromise();
        java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger(shards.size());
        for (Shard s : shards) {
            s.channel.closeFuture().addListener(f -> {
                if (open.decrementAndGet() == 0) {
                    all.trySuccess(null);
                }
            });
        }
        return all;
    }

    @Override
    public String toString() {
        return "TcpListener" + multiaddr + (shards.size() > 1 ? "x" + shards.size() : "");
    }
}
