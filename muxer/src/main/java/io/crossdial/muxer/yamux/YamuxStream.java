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
 * spec asks: not implicitly, but when the application first writes or reads. {@link Handshake} tracks it;
 * the half-closes and resets are the base class's {@code StreamState}.
 */
final class YamuxStream extends AbstractMuxedStreamChannel {
    private final YamuxSession session;
    private final YamuxConfig config;
    private long sendWindow = YamuxFrame.INITIAL_WINDOW_BYTES;
    private long recvCredit = YamuxFrame.INITIAL_WINDOW_BYTES;
    private long unconsumed;
    private int window;
    private long lastUpdateNanos;
    private Handshake handshake;

    /**
     * The opening handshake, as hashicorp/yamux's {@code streamSYNSent}, {@code streamSYNReceived} and
     * {@code streamEstablished}.
     */
    enum Handshake {
        /** Outbound: our SYN is sent, the remote's ACK has not arrived; counts against the ACK backlog. */
        SYN_SENT,
        /** Inbound: the remote's SYN arrived, our ACK is not sent yet; counts against the ACK backlog. */
        SYN_RECEIVED,
        /** ACK sent or received. */
        ESTABLISHED
    }

    YamuxStream(YamuxSession session, long streamId, boolean outbound, YamuxConfig config) {
        super(session.connection(), streamId, outbound, config.maxStreamWriteBufferBytes(),
                config.maxWindowBytes(), config.streamCloseTimeoutMillis());
        this.session = session;
        this.config = config;
        this.window = config.initialWindowBytes();
        this.handshake = outbound ? Handshake.SYN_SENT : Handshake.SYN_RECEIVED;
        this.lastUpdateNanos = System.nanoTime();
    }

    /** @return the SYN frame announcing this outbound stream; grants the configured window */
    YamuxFrame.WindowUpdate synFrame() {
        long delta = window - recvCredit;
        recvCredit = window;
        return new YamuxFrame.WindowUpdate(streamId(), YamuxFrame.FLAG_SYN, delta);
    }

    /** @return true for an outbound stream the remote has not acknowledged yet */
    boolean awaitsAck() {
        return handshake == Handshake.SYN_SENT;
    }

    /** @return true for an inbound stream this side has not acknowledged yet */
    boolean owesAck() {
        return handshake == Handshake.SYN_RECEIVED;
    }

    /** @return the bytes the remote may still send before it must wait for a WindowUpdate */
    long recvCredit() {
        return recvCredit;
    }

    /** @return the bytes this side may still send */
    long sendWindowBytes() {
        return sendWindow;
    }

    /** An ACK arrived: establishes an outbound stream; a repeated or misplaced ACK is ignored. */
    void onAck() {
        if (handshake == Handshake.SYN_SENT) {
            handshake = Handshake.ESTABLISHED;
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

    /** @return {@code FLAG_ACK} on the first outbound frame of an inbound stream, which it establishes; else 0 */
    private int takeAckFlag() {
        if (handshake == Handshake.SYN_RECEIVED) {
            handshake = Handshake.ESTABLISHED;
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
        if (sendWindow <= 0 && parent() != null) {
            io.crossdial.muxer.WindowStallListener stalls = parent().attr(io.crossdial.muxer.WindowStallListener.ATTRIBUTE).get();
            if (stalls != null) {
                stalls.sendWindowExhausted(this);
            }
        }
    }

    @Override
    protected void writeFinFrame(ChannelPromise promise) {
        session.write(new YamuxFrame.WindowUpdate(streamId(), takeAckFlag() | YamuxFrame.FLAG_FIN, 0), promise);
    }

    @Override
    protected void writeResetFrame(ChannelPromise promise) {
        takeAckFlag(); // the reset ends the handshake; its frame carries RST alone
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
