package io.crossdial.transport.tcp;

import io.netty.channel.EventLoop;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One listen socket of a listener: listeners with several shards bind the same address and port with
 * SO_REUSEPORT, one socket per accept event loop, and the kernel spreads new connections over them by a
 * hash of the 4-tuple. Counters are thread-safe; {@link #paused} changes only on the shard's event loop.
 */
final class Shard {
    final int index;
    final HandshakeGate gate;
    final ConnectionCounter connections;
    final InboundRateLimiter rate;
    final EventLoop eventLoop;
    final AtomicLong accepted = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    volatile boolean paused;
    volatile OobNioServerSocketChannel channel;

    Shard(int index, HandshakeGate gate, ConnectionCounter connections, InboundRateLimiter rate, EventLoop eventLoop) {
        this.index = index;
        this.gate = gate;
        this.connections = connections;
        this.rate = rate;
        this.eventLoop = eventLoop;
    }

    /** On the event loop, when no handshake slot is free: stop reading the listen socket. */
    void pause() {
        paused = true;
        channel.config().setAutoRead(false);
        if (gate.hasRoom()) {
            resume(); // a release raced with us and saw paused == false
        }
    }

    void resumeLater() {
        eventLoop.execute(this::resume);
    }

    private void resume() {
        if (paused && gate.hasRoom() && channel.isOpen()) {
            paused = false;
            channel.config().setAutoRead(true);
        }
    }
}
