package io.crossdial.security.noise;

import io.crossdial.core.spi.SecureSession;
import io.crossdial.core.spi.SecurityContext;
import io.crossdial.core.spi.StageTimer;
import io.crossdial.security.noise.NoiseException.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.UnsupportedMessageTypeException;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-connection Noise handler (libp2p/specs noise/README.md): frames inbound bytes, feeds each Noise
 * message to the stage of the handler's life it belongs to, and owns the life cycle (timeout, failure,
 * close). It wires two parts that know no Netty life cycle of their own:
 * <ul>
 *   <li>{@link NoiseHandshake}, the XX handshake driver (messages 1 to 3, the libp2p payload and its
 *       checks). On success one {@link SecureSession} user event is fired; its {@code earlyMuxer} is the first
 *       of the initiator's {@code stream_muxers} that the responder also lists, or null.</li>
 *   <li>{@link NoiseRecordLayer}, the transport messages after it: inbound frames are decrypted and fired as
 *       plaintext {@code ByteBuf}s (one per non-empty frame); outbound {@code ByteBuf}s are gathered until
 *       {@code flush()} and encrypted into as few frames of at most
 *       {@value NoiseFrames#MAX_PLAINTEXT_BYTES} plaintext bytes as possible (see there).</li>
 * </ul>
 * Writes issued before the handshake completes are queued and sent encrypted (and flushed) after it. Writes
 * gathered but not flushed when the channel is closed fail with {@code ClosedChannelException}.
 *
 * <h2>Failures</h2>
 * Every failure (malformed or oversized frame, authentication failure, bad payload, signature or peer ID,
 * timeout, EOF or I/O error during the handshake) ends in state {@code FAILED}: buffers are released, queued
 * writes fail, {@code exceptionCaught} is fired once with a {@link NoiseException} and the channel closes.
 *
 * <h2>Reference counting</h2>
 * The handler takes ownership of every inbound {@code ByteBuf} (accumulated until a frame is complete, then
 * released) and of every outbound {@code ByteBuf} (released once all its bytes are encrypted, or when its
 * write fails). Each plaintext buffer fired inbound and each frame written outbound is a new buffer owned by
 * its receiver.
 *
 * <p>Not thread-safe: Netty calls it on the channel's event loop only.
 */
final class NoiseHandler extends ChannelDuplexHandler {
    private static final Logger LOG = LoggerFactory.getLogger(NoiseHandler.class);

    /** Handler life cycle; {@code FAILED} is terminal. */
    enum State {
        /** added, channel not yet active */
        NEW,
        /** handshake messages flowing */
        HANDSHAKING,
        /** handshake done, encrypting and decrypting */
        TRANSPORT,
        /** failed and closed */
        FAILED
    }

    private record PendingWrite(Object msg, ChannelPromise promise) {}

    private final SecurityContext context;
    private final int maxFrameBytes;
    private final ArrayDeque<PendingWrite> pendingWrites = new ArrayDeque<>();
    private boolean closed;
    private State state = State.NEW;
    /** The handshake driver while {@code HANDSHAKING}, else null. */
    private NoiseHandshake handshake;
    /** The record layer from {@code TRANSPORT} on, else null. */
    private NoiseRecordLayer records;
    private ByteBuf cumulation;
    private final StageTimer timeout;
    /** The signed static keypair; given by the transport, or generated in {@link #begin}. */
    private StaticIdentity staticIdentity;
    private NoiseException failure;
    private boolean firedRead;

    /**
     * @param context role, identity key, expected remote peer, muxers and handshake timeout
     * @param maxFrameBytes the largest inbound frame body accepted, 1..65535 (the spec's limit is 65535)
     * @throws IllegalArgumentException if {@code maxFrameBytes} is out of range
     */
    NoiseHandler(SecurityContext context, int maxFrameBytes) {
        this(context, maxFrameBytes, null);
    }

    /**
     * @param context role, identity key, expected remote peer, muxers and handshake timeout
     * @param maxFrameBytes the largest inbound frame body accepted, 1..65535 (the spec's limit is 65535)
     * @param staticIdentity the signed static keypair to use, made for {@code context.localKey()}; null to
     *     generate one for this session
     * @throws IllegalArgumentException if {@code maxFrameBytes} is out of range or {@code staticIdentity} was
     *     made for another identity key
     */
    NoiseHandler(SecurityContext context, int maxFrameBytes, StaticIdentity staticIdentity) {
        if (maxFrameBytes < 1 || maxFrameBytes > NoiseFrames.MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("maxFrameBytes must be 1..65535: " + maxFrameBytes);
        }
        if (staticIdentity != null && staticIdentity.identity != context.localKey()) {
            throw new IllegalArgumentException("the static identity was made for another identity key");
        }
        this.context = context;
        this.maxFrameBytes = maxFrameBytes;
        this.staticIdentity = staticIdentity;
        this.timeout = new StageTimer(context.handshakeTimeoutMillis(), "handshakeTimeoutMillis");
    }

    /** @return the current state (for tests) */
    State state() {
        return state;
    }

    /** @return the signed static keypair this handler uses, null before the handshake began (for tests) */
    StaticIdentity staticIdentity() {
        return staticIdentity;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            begin(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (state == State.NEW) {
            begin(ctx);
        }
        ctx.fireChannelActive();
    }

    private void begin(ChannelHandlerContext ctx) {
        state = State.HANDSHAKING;
        timeout.start(ctx, () -> fail(ctx, new NoiseException(Reason.TIMEOUT, "noise: handshake timed out after "
                + timeout.timeoutMillis() + " ms (" + messagesProcessed() + " of 3 messages exchanged)")));
        try {
            if (staticIdentity == null) {
                staticIdentity = StaticIdentity.generate(context.localKey());
            }
            handshake = new NoiseHandshake(context, staticIdentity);
            byte[] first = handshake.start();
            if (first != null) {
                sendHandshakeMessage(ctx, first);
            }
        } catch (RuntimeException e) {
            fail(ctx, wrap(e));
            return;
        }
        if (!ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
        if (cumulation != null) {
            decodeFrames(ctx);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (state == State.FAILED) {
            in.release();
            return;
        }
        cumulation = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(
                ctx.alloc(), cumulation == null ? Unpooled.EMPTY_BUFFER : cumulation, in);
        if (state != State.NEW) {
            decodeFrames(ctx);
        }
    }

    private void decodeFrames(ChannelHandlerContext ctx) {
        try {
            while (cumulation != null && (state == State.HANDSHAKING || state == State.TRANSPORT)) {
                ByteBuf frame = NoiseFrames.readFrame(cumulation, maxFrameBytes);
                if (frame == null) {
                    break;
                }
                try {
                    if (state == State.HANDSHAKING) {
                        onHandshakeMessage(ctx, frame);
                    } else {
                        onTransportMessage(ctx, frame);
                    }
                } finally {
                    frame.release();
                }
            }
        } catch (RuntimeException e) {
            fail(ctx, wrap(e));
        }
        if (cumulation != null) {
            if (!cumulation.isReadable()) {
                releaseCumulation();
            } else {
                cumulation.discardSomeReadBytes();
            }
        }
    }

    private void onHandshakeMessage(ChannelHandlerContext ctx, ByteBuf frame) {
        NoiseHandshake.Step step = handshake.read(ByteBufUtil.getBytes(frame));
        if (step.reply() != null) {
            sendHandshakeMessage(ctx, step.reply());
        }
        if (step.result() != null && state == State.HANDSHAKING) { // not when writing the reply failed at once
            complete(ctx, step.result());
        }
    }

    /** Frames and sends one handshake message (message numbers as the driver counts them, after writing). */
    private void sendHandshakeMessage(ChannelHandlerContext ctx, byte[] message) {
        int stage = handshake.messagesProcessed();
        ByteBuf frame = ctx.alloc().buffer(NoiseFrames.LENGTH_BYTES + message.length);
        NoiseFrames.writeLength(frame, message.length);
        frame.writeBytes(message);
        ctx.writeAndFlush(frame).addListener(f -> {
            if (!f.isSuccess()) {
                fail(ctx, new NoiseException(Reason.LOCAL_FAILURE,
                        "noise: writing message " + stage + " failed: " + f.cause(), f.cause()));
            }
        });
    }

    private void complete(ChannelHandlerContext ctx, NoiseHandshake.Result result) {
        records = new NoiseRecordLayer(ctx, result.send(), result.receive());
        handshake = null;
        state = State.TRANSPORT;
        timeout.cancel();
        ctx.fireUserEventTriggered(result.session());
        if (!pendingWrites.isEmpty()) {
            PendingWrite w;
            while (state == State.TRANSPORT && (w = pendingWrites.poll()) != null) {
                write(ctx, w.msg(), w.promise());
            }
            flush(ctx);
        }
    }

    private void onTransportMessage(ChannelHandlerContext ctx, ByteBuf frame) {
        ByteBuf plaintext = records.decrypt(ctx, frame);
        if (plaintext.isReadable()) {
            firedRead = true;
            ctx.fireChannelRead(plaintext);
        } else {
            plaintext.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        boolean fired = firedRead;
        firedRead = false;
        if (!fired && state != State.FAILED && !ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        switch (state) {
            case TRANSPORT -> {
                if (closed) {
                    ReferenceCountUtil.safeRelease(msg);
                    promise.tryFailure(new ClosedChannelException());
                } else if (msg instanceof ByteBuf buf) {
                    try {
                        records.write(ctx, buf, promise);
                    } catch (NoiseException e) {
                        fail(ctx, e);
                    }
                } else {
                    ReferenceCountUtil.safeRelease(msg);
                    promise.tryFailure(new UnsupportedMessageTypeException(msg, ByteBuf.class));
                }
            }
            case FAILED -> {
                ReferenceCountUtil.safeRelease(msg);
                promise.tryFailure(failure);
            }
            default -> pendingWrites.add(new PendingWrite(msg, promise));
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        // During the handshake queued writes are flushed once it completes; handshake messages flush themselves.
        if (state == State.TRANSPORT || state == State.FAILED) {
            if (state == State.TRANSPORT && !closed) {
                try {
                    records.encrypt(ctx, true);
                } catch (NoiseException e) {
                    fail(ctx, e);
                }
            }
            ctx.flush();
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        closed = true;
        failGathered(new ClosedChannelException());
        ctx.close(promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (state == State.NEW || state == State.HANDSHAKING) {
            fail(ctx, new NoiseException(Reason.CONNECTION_CLOSED, "noise: connection closed during the handshake ("
                    + messagesProcessed() + " of 3 messages exchanged)"));
        } else {
            releaseCumulation();
        }
        closed = true;
        failGathered(new ClosedChannelException());
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        switch (state) {
            case NEW, HANDSHAKING -> fail(ctx, cause instanceof NoiseException ne ? ne
                    : new NoiseException(cause instanceof java.io.IOException ? Reason.IO_ERROR : Reason.LOCAL_FAILURE,
                            "noise: handshake failed: " + cause, cause));
            case FAILED -> LOG.debug("noise: exception after failure on {}", ctx.channel(), cause);
            default -> ctx.fireExceptionCaught(cause);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        timeout.cancel();
        releaseCumulation();
        handshake = null;
        NoiseException cause = failure != null ? failure : new NoiseException(Reason.LOCAL_FAILURE,
                "noise: handler removed");
        failPendingWrites(cause);
        failGathered(cause);
    }

    private void fail(ChannelHandlerContext ctx, NoiseException cause) {
        if (state == State.FAILED) {
            return;
        }
        state = State.FAILED;
        failure = cause;
        timeout.cancel();
        releaseCumulation();
        handshake = null;
        failPendingWrites(cause);
        failGathered(cause);
        ctx.fireExceptionCaught(cause);
        ctx.close();
    }

    private NoiseException wrap(RuntimeException e) {
        if (e instanceof NoiseException ne) {
            return ne;
        }
        String stage = state == State.TRANSPORT ? "transport" : "handshake message " + (messagesProcessed() + 1);
        return new NoiseException(Reason.LOCAL_FAILURE, "noise: " + stage + " failed: " + e, e);
    }

    private int messagesProcessed() {
        if (state == State.TRANSPORT) {
            return HandshakeState.MESSAGE_COUNT;
        }
        return handshake == null ? 0 : handshake.messagesProcessed();
    }

    private void failPendingWrites(Throwable cause) {
        PendingWrite w;
        while ((w = pendingWrites.poll()) != null) {
            ReferenceCountUtil.safeRelease(w.msg());
            w.promise().tryFailure(cause);
        }
    }

    private void failGathered(Throwable cause) {
        if (records != null) {
            records.failGathered(cause);
        }
    }

    private void releaseCumulation() {
        if (cumulation != null) {
            ByteBuf c = cumulation;
            cumulation = null;
            c.release();
        }
    }
}
