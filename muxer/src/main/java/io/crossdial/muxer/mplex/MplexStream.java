package io.crossdial.muxer.mplex;

import io.crossdial.muxer.AbstractMuxedStreamChannel;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelPromise;
import java.util.concurrent.ScheduledFuture;

/**
 * One mplex stream on top of {@link AbstractMuxedStreamChannel}. Runs on the connection's event loop only.
 *
 * <p>No flow control: the "send window" is unlimited while the connection is writable and 0 while it is
 * not, so writes wait in the stream while TCP pushes back. {@code unread} counts received bytes the
 * application has not consumed; above {@link MplexConfig#maxUnreadStreamBytes()} the stream asks the
 * session to stop reading the connection, and releases it once drained to the limit.
 */
final class MplexStream extends AbstractMuxedStreamChannel {
    private final MplexSession session;
    private final MplexConfig config;
    private long unread;
    private boolean blocking;
    /** Resets the stream when it blocks the connection for too long; null when not blocking. */
    ScheduledFuture<?> stallTimer;

    MplexStream(MplexSession session, long streamId, boolean outbound, MplexConfig config) {
        super(session.connection(), streamId, outbound, config.maxStreamWriteBufferBytes(),
                config.maxUnreadStreamBytes() + MplexFrame.MAX_MESSAGE_BYTES, config.streamCloseTimeoutMillis());
        this.session = session;
        this.config = config;
    }

    /** @param data payload of at most 1 MiB, ownership transferred */
    void onData(ByteBuf data) {
        unread += data.readableBytes();
        if (!dataReceived(data)) {
            // cannot happen: the session stops decoding once unread exceeds the limit
            reset();
            return;
        }
        if (!blocking && isOpen() && unread > config.maxUnreadStreamBytes()) {
            blocking = true;
            session.streamBlocking(this);
        }
    }

    void onClose() {
        remoteFinReceived();
    }

    void onRemoteReset() {
        remoteResetReceived();
    }

    void onParentWritability(boolean writable) {
        parentWritabilityChanged(writable);
        if (writable) {
            // the event may fire inside this stream's own flush (its frames drained the parent), where a
            // nested flush is ignored: resume writing once that flush has returned
            eventLoop().execute(this::sendWindowChanged);
        } else {
            sendWindowChanged();
        }
    }

    boolean isBlocking() {
        return blocking;
    }

    long unreadBytes() {
        return unread;
    }

    @Override
    protected long sendWindow() {
        return parent().isWritable() ? Long.MAX_VALUE : 0;
    }

    @Override
    protected int maxDataFrameBytes() {
        return config.maxDataFrameBytes();
    }

    @Override
    protected void writeDataFrame(ByteBuf data) {
        session.write(new MplexFrame.Message(streamId(), isOutbound(), data), null);
    }

    @Override
    protected void writeFinFrame(ChannelPromise promise) {
        session.write(new MplexFrame.Close(streamId(), isOutbound()), promise);
    }

    @Override
    protected void writeResetFrame(ChannelPromise promise) {
        session.write(new MplexFrame.Reset(streamId(), isOutbound()), promise);
    }

    @Override
    protected void flushFrames() {
        session.flush();
    }

    @Override
    protected void onBytesConsumed(int bytes) {
        unread = Math.max(0, unread - bytes);
        if (blocking && unread <= config.maxUnreadStreamBytes()) {
            blocking = false;
            session.streamDrained(this);
        }
    }

    @Override
    protected void onStreamClosed() {
        unread = 0;
        if (blocking) {
            blocking = false;
            session.streamDrained(this);
        }
        session.streamClosed(this);
    }
}
