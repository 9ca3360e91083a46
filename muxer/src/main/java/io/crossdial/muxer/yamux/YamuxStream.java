package io.crossdial.muxer.yamux;

import io.crossdial.muxer.AbstractMuxedStreamChannel;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelPromise;

/**
 * One yamux stream: the frame and window bookkeeping on top of {@link AbstractMuxedStreamChannel}. Runs
 * on the connection's event loop only.
 *
 * <h2>Windows</h2>
 * Send window: starts at 256 KiB, grows with the remote's WindowUpdate deltas, shrinks with every Data
 * byte sent. Receive window: {@code recvCredit} is what the remote may still send; {@code unconsumed} is
 * what arrived but the application has not read. A WindowUpdate returns {@code window - recvCredit -
 * unconsumed} once that reaches half the window, so memory per stream stays within {@code window}.
 * The window doubles (up to {@code maxWindowBytes}) when updates follow each other within two round
 * trips.
 *
 * <h2>Flags</h2>
 * An outbound stream is announced at open with WindowUpdate(SYN, delta = window - 256 KiB). An inbound
 * stream is acknowledged with ACK on its first outbound frame (Data, WindowUpdate, FIN or RST), as the
 * spec asks: not implicitly, but when the application first writes or reads.
 */
final class YamuxStream extends AbstractMuxedStreamChannel {
    private final YamuxSession session;
    private final YamuxConfig config;
    private long sendWindow = YamuxFrame.INITIAL_WINDOW_BYTES;
    private long recvCredit = YamuxFrame.INITIAL_WINDOW_BYTES;
    private long unconsumed;
    private int window;
    private long lastUpdateNanos;
    private boolean ackToSend;
    private boolean ackReceived;

    YamuxStream(YamuxSession session, long streamId, boolean outbound, YamuxConfig config) {
        super(session.connection(), streamId, outbound, config.maxStreamWriteBufferBytes(),
                config.maxWindowBytes(), config.streamCloseTimeoutMillis());
        this.session = session;
        this.config = config;
        this.window = config.initialWindowBytes();
        this.ackToSend = !outbound;
        this.lastUpdateNanos = System.nanoTime();
    }

    /** @return the SYN frame announcing this outbound stream; grants the configured window */
    YamuxFrame.WindowUpdate synFrame() {
        long delta = window - recvCredit;
        recvCredit = window;
        return new YamuxFrame.WindowUpdate(streamId(), YamuxFrame.FLAG_SYN, delta);
    }

    boolean ackPending() {
        return ackToSend;
    }

    boolean ackReceived() {
        return ackReceived;
    }

    long recvCredit() {
        return recvCredit;
    }

    void onAck() {
        if (isOutbound() && !ackReceived) {
            ackReceived = true;
            session.outboundAcked();
        }
    }

    void onWindowUpdate(long delta) {
        sendWindow += delta;
        sendWindowChanged();
    }

    /** @param data payload no longer than {@link #recvCredit()}, ownership transferred */
    void onData(ByteBuf data) {
        int bytes = data.readableBytes();
        recvCredit -= bytes;
        unconsumed += bytes;
        if (!dataReceived(data)) {
            // cannot happen while the window is enforced; reset rather than buffer without bound
            session.streamOverflow(this);
        }
    }

    void onFin() {
        remoteFinReceived();
    }

    void onRemoteReset() {
        remoteResetReceived();
    }

    void onParentWritability(boolean writable) {
        parentWritabilityChanged(writable);
    }

    void onParentClosed() {
        parentClosed();
    }

    private int takeAckFlag() {
        if (ackToSend) {
            ackToSend = false;
            session.inboundAcked();
            return YamuxFrame.FLAG_ACK;
        }
        return 0;
    }

    @Override
    protected long sendWindow() {
        return sendWindow;
    }

    @Override
    protected int maxDataFrameBytes() {
        return config.maxDataFrameBytes();
    }

    @Override
    protected void writeDataFrame(ByteBuf data) {
        sendWindow -= data.readableBytes();
        session.write(new YamuxFrame.Data(streamId(), takeAckFlag(), data), null);
    }

    @Override
    protected void writeFinFrame(ChannelPromise promise) {
        session.write(new YamuxFrame.WindowUpdate(streamId(), takeAckFlag() | YamuxFrame.FLAG_FIN, 0), promise);
    }

    @Override
    protected void writeResetFrame(ChannelPromise promise) {
        if (ackToSend) {
            ackToSend = false;
            session.inboundAcked();
        }
        session.write(new YamuxFrame.WindowUpdate(streamId(), YamuxFrame.FLAG_RST, 0), promise);
    }

    @Override
    protected void flushFrames() {
        session.flush();
    }

    @Override
    protected void onBytesConsumed(int bytes) {
        unconsumed = Math.max(0, unconsumed - bytes);
        if (isRemoteFinReceived() || !isOpen()) {
            return;
        }
        long owed = window - recvCredit - unconsumed;
        if (owed < window / 2) {
            return;
        }
        long now = System.nanoTime();
        long rtt = session.rttNanos();
        if (rtt > 0 && now - lastUpdateNanos < 2 * rtt && window < config.maxWindowBytes()) {
            window = (int) Math.min(2L * window, config.maxWindowBytes());
            owed = window - recvCredit - unconsumed;
        }
        lastUpdateNanos = now;
        recvCredit += owed;
        session.write(new YamuxFrame.WindowUpdate(streamId(), takeAckFlag(), owed), null);
        session.flush();
    }

    @Override
    protected void onStreamClosed() {
        session.streamClosed(this);
    }
}
