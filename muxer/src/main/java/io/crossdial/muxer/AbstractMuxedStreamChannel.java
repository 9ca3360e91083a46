package io.crossdial.muxer;

import io.crossdial.core.spi.MuxedStream;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.ChannelOutputShutdownException;
import io.netty.util.internal.StringUtil;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A muxed stream as a Netty child channel of the connection channel; the muxer-specific part (frames,
 * flags, windows) lives in a subclass. It must be registered with the parent's event loop, and every
 * method of this class and of its subclass's hooks runs on that loop.
 *
 * <h2>Inbound</h2>
 * The muxer hands received data to {@link #dataReceived(ByteBuf)}; it waits in a queue (bounded by
 * {@code maxQueuedReadBytes}, and in practice by the protocol's receive window) until the application
 * reads: with {@code AUTO_READ} on it is delivered at once, with it off only when {@link #read()} is
 * called, at most the configured {@link MaxMessagesRecvByteBufAllocator#maxMessagesPerRead()} buffers per
 * read. Every delivered byte
 * counts as consumed and is reported to {@link #onBytesConsumed(int)}, so the muxer can return credit.
 * After the remote's half-close ({@link #remoteFinReceived()}) and once the queue is drained, a read fires
 * {@link ChannelInputShutdownEvent#INSTANCE} then {@link ChannelInputShutdownReadComplete#INSTANCE}.
 *
 * <h2>Outbound</h2>
 * Writes accept {@code ByteBuf}s only. On flush they are cut into data frames of at most {@link
 * #maxDataFrameBytes()} bytes, each no larger than {@link #sendWindow()}. What does not fit waits; the
 * stream is unwritable while the send window is exhausted, while the parent is unwritable, or while more
 * than the configured high water mark is waiting. A write that would make more than {@code
 * maxQueuedWriteBytes} bytes wait fails with {@link MuxerException}. A write's promise completes when
 * its last byte has been written to the parent channel.
 *
 * <h2>Closing</h2>
 * <ul>
 *   <li>{@link #shutdownOutput()} sends the half-close after everything already written (flushing it).</li>
 *   <li>{@link #close()} stops reading (queued and later data is dropped, its credit returned), flushes,
 *       waits for pending writes to fit into the send window, sends the half-close and closes the
 *       channel. If the writes do not drain within {@code closeTimeoutMillis} the stream is reset.</li>
 *   <li>{@link #reset()} sends a reset and closes at once; waiting writes fail with {@link
 *       StreamResetException}.</li>
 *   <li>A remote reset ({@link #remoteResetReceived()}) fails waiting writes with {@link
 *       StreamResetException}, fires it as {@code exceptionCaught} and closes the channel.</li>
 *   <li>When both sides have half-closed and the application has seen EOF, the channel closes.</li>
 *   <li>{@link #parentClosed()} closes the channel without any frame.</li>
 * </ul>
 *
 * <h2>State</h2>
 * The stream's life is a {@link StreamState} (open, half-closed either way or both, reset, closed); what
 * waits for the application and whether it still reads is the {@link InboundQueue}'s {@link
 * InboundQueue.Mode}. A FIN or close requested while writes wait are held promises, sent from {@code
 * afterFlush} once the writes are out.
 *
 * <h2>Reference counting</h2>
 * {@link #dataReceived(ByteBuf)} takes ownership of its buffer; the channel passes it on to the pipeline
 * (which must release it) or releases it. {@link #writeDataFrame(ByteBuf)} hands the subclass a retained
 * slice it must release or pass on. Written buffers are released by the channel once written or failed.
 */
public abstract class AbstractMuxedStreamChannel extends AbstractChannel implements MuxedStream {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);
    /** User-defined writability bit: the send window has room. */
    private static final int WINDOW_WRITABILITY = 1;
    /** User-defined writability bit: the parent channel is writable. */
    private static final int PARENT_WRITABILITY = 2;

    private final long streamId;
    private final boolean outbound;
    private final StreamConfig config;
    private final long maxQueuedWriteBytes;
    private final long closeTimeoutMillis;

    private final InboundQueue inbound;

    private StreamState state = StreamState.OPEN;
    /** The application asked for data (read() or AUTO_READ) and has not been given any since. */
    private boolean readRequested;
    /** The read loop is running: a nested call returns at once. */
    private boolean delivering;
    /** shutdownOutput was requested and waits for pending writes. */
    private ChannelPromise pendingFin;
    /** close was requested and waits for pending writes. */
    private ChannelPromise pendingClose;
    private ScheduledFuture<?> closeTimer;

    /**
     * @param parent the connection channel
     * @param streamId the stream ID on the wire
     * @param outbound true when the local side opened the stream
     * @param maxQueuedWriteBytes the most bytes that may wait to be written; greater than 0
     * @param maxQueuedReadBytes the most received bytes that may wait for the application; greater than 0
     * @param closeTimeoutMillis how long {@link #close()} waits for pending writes before resetting
     */
    protected AbstractMuxedStreamChannel(
            Channel parent,
            long streamId,
            boolean outbound,
            long maxQueuedWriteBytes,
            long maxQueuedReadBytes,
            long closeTimeoutMillis) {
        super(parent);
        if (maxQueuedWriteBytes <= 0 || maxQueuedReadBytes <= 0 || closeTimeoutMillis <= 0) {
            throw new IllegalArgumentException("limits and timeout must be > 0");
        }
        this.streamId = streamId;
        this.outbound = outbound;
        this.maxQueuedWriteBytes = maxQueuedWriteBytes;
        this.inbound = new InboundQueue(maxQueuedReadBytes);
        this.closeTimeoutMillis = closeTimeoutMillis;
        this.config = new StreamConfig(this);
    }

    // ---- hooks for the muxer ----

    /** @return how many data bytes may be sent now (the send window); 0 or less stalls writing */
    protected abstract long sendWindow();

    /** @return the largest data frame payload to send, greater than 0 */
    protected abstract int maxDataFrameBytes();

    /**
     * Writes one data frame to the parent (without flushing) and charges the send window.
     *
     * @param data the payload, owned by the callee; never longer than {@link #sendWindow()} or
     *     {@link #maxDataFrameBytes()}
     */
    protected abstract void writeDataFrame(ByteBuf data);

    /**
     * Writes the half-close (yamux FIN) to the parent, without flushing.
     *
     * @param promise completes when written, or null when nobody waits
     */
    protected abstract void writeFinFrame(ChannelPromise promise);

    /**
     * Writes the reset (yamux RST) to the parent, without flushing.
     *
     * @param promise completes when written
     */
    protected abstract void writeResetFrame(ChannelPromise promise);

    /** Flushes the frames written by the hooks above to the parent (possibly batched). */
    protected abstract void flushFrames();

    /**
     * The application consumed {@code bytes} received bytes (or they were dropped): credit to return.
     * Called only while the stream is neither reset nor closed.
     *
     * @param bytes greater than 0
     */
    protected abstract void onBytesConsumed(int bytes);

    /** The channel closed; the muxer forgets the stream. Called once. */
    protected abstract void onStreamClosed();

    // ---- calls from the muxer ----

    /**
     * Queues received data for the application.
     *
     * @param data the data, ownership transferred
     * @return false when the data exceeds {@code maxQueuedReadBytes} (the data is released; the muxer
     *     should reset the stream), true otherwise
     */
    protected final boolean dataReceived(ByteBuf data) {
        int bytes = data.readableBytes();
        if (!state.canReceive() || !inbound.isReceiving()) {
            data.release();
            if (state.isLive() && bytes > 0) {
                onBytesConsumed(bytes);
            }
            return true;
        }
        if (bytes == 0) {
            data.release();
            return true;
        }
        if (!inbound.offer(data)) {
            data.release();
            return false;
        }
        if (readRequested) {
            readLoop();
        }
        return true;
    }

    /** The remote half-closed: EOF is delivered after the queued data. */
    protected final void remoteFinReceived() {
        if (!state.canReceive()) {
            return;
        }
        state = state.finReceived();
        if (!inbound.isReceiving()) {
            inbound.shutDown();
            closeIfBothSidesDone();
        } else if (readRequested) {
            readLoop();
        }
    }

    /** The remote reset the stream: fail waiting writes, fire the cause and close. */
    protected final void remoteResetReceived() {
        if (!state.isOpen()) {
            return;
        }
        state = state.reset();
        StreamResetException cause = new StreamResetException(streamId, true);
        failPendingWrites(cause);
        pipeline().fireExceptionCaught(cause);
        forceClose();
    }

    /** The send window grew: write what waits and re-evaluate writability. */
    protected final void sendWindowChanged() {
        if (!state.isOpen()) {
            return;
        }
        ((StreamUnsafe) unsafe()).writePending();
        updateWindowWritability();
    }

    /** @param writable the parent channel's writability */
    protected final void parentWritabilityChanged(boolean writable) {
        ChannelOutboundBuffer buffer = unsafe().outboundBuffer();
        if (buffer != null) {
            buffer.setUserDefinedWritability(PARENT_WRITABILITY, writable);
        }
    }

    /** The connection is gone: close without sending anything. */
    protected final void parentClosed() {
        if (!state.isOpen()) {
            return;
        }
        state = state.reset();
        forceClose();
    }

    /** @return true once the remote half-closed, until the stream is reset or closed */
    protected final boolean isRemoteFinReceived() {
        return state.isFinReceived();
    }

    // ---- MuxedStream ----

    @Override
    public long streamId() {
        return streamId;
    }

    @Override
    public boolean isOutbound() {
        return outbound;
    }

    @Override
    public ChannelFuture reset() {
        ChannelPromise promise = newPromise();
        runOnLoop(() -> reset0(promise));
        return promise;
    }

    private void reset0(ChannelPromise promise) {
        if (!state.isLive()) {
            promise.setFailure(new ClosedChannelException());
            return;
        }
        state = state.reset();
        failPendingWrites(new StreamResetException(streamId, false));
        writeResetFrame(promise);
        flushFrames();
        forceClose();
    }

    @Override
    public boolean isInputShutdown() {
        return inbound.isShutDown() || !state.isOpen();
    }

    @Override
    public ChannelFuture shutdownInput() {
        return shutdownInput(newPromise());
    }

    /**
     * Stops delivering data: queued and later data is dropped (its credit is returned). Nothing is sent.
     */
    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        runOnLoop(() -> {
            if (!state.isOpen()) {
                promise.setFailure(new ClosedChannelException());
                return;
            }
            inbound.shutDown();
            discardInput();
            promise.setSuccess();
            closeIfBothSidesDone();
        });
        return promise;
    }

    @Override
    public boolean isOutputShutdown() {
        return !state.canWrite();
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    /** Flushes what was written and sends the half-close after it; later writes fail. */
    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        runOnLoop(() -> shutdownOutput0(promise));
        return promise;
    }

    private void shutdownOutput0(ChannelPromise promise) {
        if (!state.isLive()) {
            promise.setFailure(new ClosedChannelException());
        } else if (state.isFinSent()) {
            promise.setSuccess();
        } else if (pendingFin != null) {
            pendingFin.addListener(f -> {
                if (f.isSuccess()) {
                    promise.trySuccess();
                } else {
                    promise.tryFailure(f.cause());
                }
            });
        } else {
            pendingFin = promise;
            unsafe().flush();
        }
    }

    @Override
    public boolean isShutdown() {
        return isInputShutdown() && isOutputShutdown();
    }

    @Override
    public ChannelFuture shutdown() {
        return shutdown(newPromise());
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        shutdownInput();
        return shutdownOutput(promise);
    }

    // ---- Channel ----

    @Override
    public ChannelConfig config() {
        return config;
    }

    @Override
    public boolean isOpen() {
        return state.isOpen();
    }

    @Override
    public boolean isActive() {
        return state.isOpen();
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new StreamUnsafe();
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return true;
    }

    @Override
    protected SocketAddress localAddress0() {
        return parent().localAddress();
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return parent().remoteAddress();
    }

    @Override
    protected void doRegister() {
        updateWindowWritability();
        parentWritabilityChanged(parent().isWritable());
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("a muxed stream cannot be bound");
    }

    @Override
    protected void doDisconnect() throws Exception {
        doClose();
    }

    @Override
    protected void doClose() {
        if (!state.isOpen()) {
            return;
        }
        boolean sendFin = state.canWrite();
        state = state.closed();
        cancelCloseTimer();
        inbound.releaseAll();
        ChannelPromise fin = pendingFin;
        pendingFin = null;
        if (sendFin) {
            writeFinFrame(fin);
            flushFrames();
        } else if (fin != null) {
            fin.tryFailure(new ClosedChannelException());
        }
        onStreamClosed();
    }

    @Override
    protected void doBeginRead() {
        if (!state.isOpen()) {
            return;
        }
        readRequested = true;
        readLoop();
    }

    @Override
    protected Object filterOutboundMessage(Object msg) throws Exception {
        if (!(msg instanceof ByteBuf)) {
            throw new UnsupportedOperationException(
                    "unsupported message type: " + StringUtil.simpleClassName(msg) + " (expected ByteBuf)");
        }
        if (!state.canWrite() || pendingFin != null || pendingClose != null) {
            throw new ChannelOutputShutdownException("stream " + streamId + " output is shut down");
        }
        ChannelOutboundBuffer buffer = unsafe().outboundBuffer();
        long queued = buffer == null ? 0 : buffer.totalPendingWriteBytes();
        int bytes = ((ByteBuf) msg).readableBytes();
        if (queued + bytes > maxQueuedWriteBytes) {
            throw new MuxerException("stream " + streamId + " write buffer full: " + queued + " bytes wait, "
                    + bytes + " more would exceed " + maxQueuedWriteBytes + "; respect isWritable()");
        }
        return msg;
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        boolean wrote = false;
        for (;;) {
            Object msg = in.current();
            if (msg == null) {
                break;
            }
            ByteBuf buf = (ByteBuf) msg;
            int readable = buf.readableBytes();
            if (readable == 0) {
                in.remove();
                continue;
            }
            long window = sendWindow();
            if (window <= 0 || !state.isLive()) {
                break;
            }
            int bytes = (int) Math.min(Math.min(readable, window), maxDataFrameBytes());
            writeDataFrame(buf.retainedSlice(buf.readerIndex(), bytes));
            in.removeBytes(bytes);
            wrote = true;
        }
        updateWindowWritability();
        if (wrote) {
            flushFrames();
        }
    }

    /** Runs after every flush attempt, outside Netty's flush guard: sends a waiting FIN or close. */
    private void afterFlush() {
        ChannelOutboundBuffer buffer = unsafe().outboundBuffer();
        if (!state.isLive() || (buffer != null && !buffer.isEmpty())) {
            return;
        }
        if (pendingFin != null) {
            ChannelPromise p = pendingFin;
            pendingFin = null;
            state = state.finSent();
            writeFinFrame(p);
            flushFrames();
            closeIfBothSidesDone();
        }
        if (pendingClose != null && state.isOpen()) {
            ChannelPromise p = pendingClose;
            pendingClose = null;
            ((StreamUnsafe) unsafe()).closeNow(p);
        }
    }

    // ---- internals ----

    private void readLoop() {
        if (delivering) {
            return;
        }
        delivering = true;
        try {
            while (readRequested && state.isOpen()) {
                if (inbound.isEmpty()) {
                    if (state.isFinReceived() && !inbound.isShutDown()) {
                        readRequested = false;
                        signalEof();
                    }
                    break;
                }
                readRequested = false;
                int maxMessages = maxMessagesPerRead();
                int consumed = 0;
                for (int i = 0; i < maxMessages && state.isOpen() && !inbound.isEmpty(); i++) {
                    ByteBuf data = inbound.poll();
                    consumed += data.readableBytes();
                    pipeline().fireChannelRead(data);
                }
                if (consumed > 0 && state.isLive()) {
                    onBytesConsumed(consumed);
                }
                pipeline().fireChannelReadComplete();
            }
        } finally {
            delivering = false;
        }
    }

    private int maxMessagesPerRead() {
        RecvByteBufAllocator allocator = config.getRecvByteBufAllocator();
        return allocator instanceof MaxMessagesRecvByteBufAllocator max ? Math.max(1, max.maxMessagesPerRead()) : 16;
    }

    private void signalEof() {
        inbound.shutDown();
        pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        pipeline().fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
        closeIfBothSidesDone();
    }

    private void closeIfBothSidesDone() {
        if (state == StreamState.BOTH_CLOSED && inbound.isShutDown()) {
            unsafe().close(voidPromise());
        }
    }

    /** The application no longer reads: drop what waits (returning its credit) and what comes. */
    private void discardInput() {
        int bytes = (int) inbound.discard();
        if (bytes > 0 && state.isLive()) {
            onBytesConsumed(bytes);
        }
        if (state.isFinReceived()) {
            inbound.shutDown();
        }
    }

    private void failPendingWrites(Throwable cause) {
        ChannelOutboundBuffer buffer = unsafe().outboundBuffer();
        if (buffer != null) {
            buffer.addFlush();
            while (buffer.current() != null) {
                buffer.remove(cause);
            }
        }
        if (pendingFin != null) {
            pendingFin.tryFailure(cause);
            pendingFin = null;
        }
    }

    private void forceClose() {
        ChannelPromise p = pendingClose;
        pendingClose = null;
        ((StreamUnsafe) unsafe()).closeNow(p == null ? voidPromise() : p);
    }

    private void updateWindowWritability() {
        ChannelOutboundBuffer buffer = unsafe().outboundBuffer();
        if (buffer != null) {
            buffer.setUserDefinedWritability(WINDOW_WRITABILITY, sendWindow() > 0);
        }
    }

    private void cancelCloseTimer() {
        if (closeTimer != null) {
            closeTimer.cancel(false);
            closeTimer = null;
        }
    }

    private void runOnLoop(Runnable task) {
        if (eventLoop().inEventLoop()) {
            task.run();
        } else {
            eventLoop().execute(task);
        }
    }

    private final class StreamUnsafe extends AbstractUnsafe {
        @Override
        public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            promise.setFailure(new UnsupportedOperationException("a muxed stream cannot connect"));
        }

        @Override
        public void close(ChannelPromise promise) {
            if (!state.canWrite()) {
                if (state.isLive()) {
                    discardInput();
                }
                super.close(promise);
                return;
            }
            if (pendingClose != null) {
                pendingClose.addListener(f -> promise.trySuccess());
                return;
            }
            discardInput();
            ChannelOutboundBuffer buffer = outboundBuffer();
            if (buffer != null) {
                buffer.addFlush();
                flush0();
            }
            if (!state.isOpen()) {
                promise.trySuccess();
                return;
            }
            buffer = outboundBuffer();
            if (buffer == null || buffer.isEmpty()) {
                super.close(promise);
                return;
            }
            pendingClose = promise;
            closeTimer = eventLoop().schedule(() -> {
                closeTimer = null;
                if (state.isLive()) {
                    state = state.reset();
                    failPendingWrites(new MuxerException("stream " + streamId
                            + " could not write its pending data within " + closeTimeoutMillis + " ms of close"));
                    writeResetFrame(newPromise());
                    flushFrames();
                    forceClose();
                }
            }, closeTimeoutMillis, TimeUnit.MILLISECONDS);
        }

        void closeNow(ChannelPromise promise) {
            cancelCloseTimer();
            super.close(promise);
        }

        void writePending() {
            flush0();
        }

        @Override
        protected void flush0() {
            super.flush0();
            afterFlush();
        }
    }

    private final class StreamConfig extends DefaultChannelConfig {
        StreamConfig(Channel channel) {
            super(channel);
        }

        @Override
        protected void autoReadCleared() {
            readRequested = false;
        }
    }
}
