package io.crossdial.muxer;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;

/**
 * What one stream received and its application has not read yet, bounded by {@code maxBytes}, and whether
 * the application still takes data ({@link Mode}). The stream channel decides when to deliver; this class
 * only holds. Event loop only.
 *
 * <h2>Reference counting</h2>
 * {@link #offer(ByteBuf)} takes ownership of a buffer it accepts; {@link #poll()} hands ownership to the
 * caller; {@link #discard()} and {@link #releaseAll()} release what waits.
 */
final class InboundQueue {
    /** What happens to received data. */
    enum Mode {
        /** Data is queued for the application. */
        RECEIVING,
        /** The application closed the stream: data is dropped; it has not seen EOF. */
        DISCARDING,
        /** The application saw EOF or shut its input down: data is dropped. Terminal. */
        SHUT_DOWN
    }

    private final ArrayDeque<ByteBuf> buffers = new ArrayDeque<>();
    private final long maxBytes;
    private long bytes;
    private Mode mode = Mode.RECEIVING;

    /** @param maxBytes the most bytes that may wait; greater than 0 */
    InboundQueue(long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be > 0: " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /**
     * @param data a non-empty buffer; ownership transferred when accepted
     * @return false, leaving {@code data} with the caller, when it would make more than {@code maxBytes} wait
     * @throws IllegalStateException when not {@link Mode#RECEIVING}
     */
    boolean offer(ByteBuf data) {
        if (mode != Mode.RECEIVING) {
            throw new IllegalStateException("inbound queue is " + mode + ": no data is queued");
        }
        int length = data.readableBytes();
        if (bytes + length > maxBytes) {
            return false;
        }
        buffers.add(data);
        bytes += length;
        return true;
    }

    /** @return the oldest buffer, owned by the caller, or null when empty */
    ByteBuf poll() {
        ByteBuf data = buffers.poll();
        if (data != null) {
            bytes -= data.readableBytes();
        }
        return data;
    }

    boolean isEmpty() {
        return buffers.isEmpty();
    }

    /** @return the bytes waiting */
    long bytes() {
        return bytes;
    }

    Mode mode() {
        return mode;
    }

    boolean isReceiving() {
        return mode == Mode.RECEIVING;
    }

    boolean isShutDown() {
        return mode == Mode.SHUT_DOWN;
    }

    /**
     * Stops queueing ({@link Mode#RECEIVING} becomes {@link Mode#DISCARDING}) and releases what waits.
     *
     * @return the bytes released
     */
    long discard() {
        if (mode == Mode.RECEIVING) {
            mode = Mode.DISCARDING;
        }
        return releaseAll();
    }

    /** The application saw EOF or shut its input down: {@link Mode#SHUT_DOWN}. Nothing is released. */
    void shutDown() {
        mode = Mode.SHUT_DOWN;
    }

    /** @return the bytes released; the mode stays */
    long releaseAll() {
        long released = bytes;
        ByteBuf data;
        while ((data = buffers.poll()) != null) {
            data.release();
        }
        bytes = 0;
        return released;
    }
}
