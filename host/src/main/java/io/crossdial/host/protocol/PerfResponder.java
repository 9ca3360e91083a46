package io.crossdial.host.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of perf ({@value ProtocolIds#PERF}, libp2p/specs {@code perf/perf.md}).
 *
 * <pre>
 *   client -> server:  +--------------------------------+-------------------+-----
 *                      | bytes to send back, u64 BE (8) | upload (any size) | EOF
 *                      +--------------------------------+-------------------+-----
 *   server -> client:  (after the client's EOF)  that many bytes, then EOF and close
 * </pre>
 *
 * <p>The server reads the 8-byte count, discards the upload until EOF (never concurrently with sending,
 * as the spec requires), then writes the requested count in 64 KiB chunks, only while the stream is
 * writable, from one 64 KiB buffer (the full amount is never allocated). The count is an unsigned 64-bit
 * number; the spec allows up to 2^64 - 1, which the server sends until the client closes the stream.
 * EOF before 8 bytes closes the stream. A stream without progress (no byte read, no chunk written) for
 * {@code idleTimeout} is closed. The spec says perf SHOULD NOT be enabled by default on public nodes.
 *
 * <p>Reference counting: inbound buffers are released here; the 64 KiB chunk is allocated from the
 * channel's allocator on the first send and released when the handler finishes or is removed; each write
 * is a retained slice of it. One instance per stream; event-loop confined.
 */
public final class PerfResponder extends ChannelInboundHandlerAdapter {
    /** The idle timeout of {@link #PerfResponder()}: 60 s. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    /** Size of the request header: an unsigned 64-bit big-endian count. */
    public static final int HEADER_BYTES = 8;

    private static final Logger LOG = LoggerFactory.getLogger(PerfResponder.class);

    private enum State { READ_COUNT, DRAIN_UPLOAD, SEND, DONE }

    private final Duration idleTimeout;
    private final StreamSupport.IdleTimer idle;
    private ChannelHandlerContext ctx;
    private State state = State.READ_COUNT;
    private int headerBytes;
    private long count;
    /** Bytes still to send, an unsigned 64-bit number. */
    private long remaining;
    private ByteBuf chunk;
    private boolean writing;

    /** A responder that closes a stream without progress for {@link #DEFAULT_IDLE_TIMEOUT}. */
    public PerfResponder() {
        this(DEFAULT_IDLE_TIMEOUT);
    }

    /**
     * @param idleTimeout how long the stream may go without progress before it is closed
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public PerfResponder(Duration idleTimeout) {
        long nanos = StreamSupport.positiveNanos(idleTimeout, "idleTimeout");
        this.idleTimeout = idleTimeout;
        this.idle = new StreamSupport.IdleTimer(nanos, this::onIdle);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ctx.channel().config().setAutoRead(true);
        if (ctx.channel().isActive()) {
            idle.start(ctx.executor());
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        idle.start(ctx.executor());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (!in.isReadable()) {
                return;
            }
            idle.progress();
            while (state == State.READ_COUNT && in.isReadable()) {
                count = (count << 8) | in.readUnsignedByte();
                if (++headerBytes == HEADER_BYTES) {
                    state = State.DRAIN_UPLOAD;
                }
            }
            // The upload (and anything after our state changed) is discarded.
        } finally {
            in.release();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            if (state == State.READ_COUNT) {
                LOG.debug("perf stream {}: EOF after {} of 8 header bytes, closing", ctx.channel(), headerBytes);
                finish(true);
            } else if (state == State.DRAIN_UPLOAD) {
                state = State.SEND;
                remaining = count;
                sendMore();
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (state == State.SEND) {
            sendMore();
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void sendMore() {
        // A write can fire a writability change that calls back in here: never run nested.
        if (writing) {
            return;
        }
        writing = true;
        if (chunk == null && remaining != 0) {
            chunk = ctx.alloc().directBuffer(StreamSupport.CHUNK_BYTES).writeZero(StreamSupport.CHUNK_BYTES);
        }
        ChannelFuture last = null;
        while (state == State.SEND && remaining != 0 && ctx.channel().isWritable()) {
            int n = Long.compareUnsigned(remaining, StreamSupport.CHUNK_BYTES) < 0
                    ? (int) remaining : StreamSupport.CHUNK_BYTES;
            remaining -= n;
            last = ctx.write(chunk.retainedSlice(0, n));
            last.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            last.addListener(f -> idle.progress());
        }
        if (state == State.SEND && remaining == 0) {
            state = State.DONE;
            idle.stop();
            releaseChunk();
            ChannelFuture eofAfter = last != null ? last : ctx.write(io.netty.buffer.Unpooled.EMPTY_BUFFER);
            eofAfter.addListener(f -> StreamSupport.finish(ctx.channel()));
        }
        writing = false;
        ctx.flush();
    }

    private void onIdle() {
        LOG.debug("perf stream {}: no progress for {} in state {}, closing", ctx.channel(), idleTimeout, state);
        finish(true);
    }

    private void finish(boolean close) {
        state = State.DONE;
        idle.stop();
        releaseChunk();
        if (close) {
            ctx.close();
        }
    }

    private void releaseChunk() {
        if (chunk != null) {
            chunk.release();
            chunk = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        finish(false);
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        finish(false);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("perf stream {} failed, closing", ctx.channel(), cause);
        finish(true);
    }
}
