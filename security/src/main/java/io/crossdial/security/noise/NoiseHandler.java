package io.crossdial.security.noise;

import io.crossdial.security.noise.NoiseException.Reason;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.crossdial.core.CrossdialException;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.spi.PeerIdMismatchException;
import io.crossdial.core.crypto.PublicKey;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecureSession;
import io.crossdial.core.spi.SecurityContext;
import io.crossdial.core.spi.StageTimer;
import io.crossdial.security.noise.pb.NoiseProtos.NoiseExtensions;
import io.crossdial.security.noise.pb.NoiseProtos.NoiseHandshakePayload;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.CoalescingBufferQueue;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.UnsupportedMessageTypeException;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-connection Noise handler: runs the libp2p XX handshake, then stays in the pipeline as the
 * transport codec (libp2p/specs noise/README.md).
 *
 * <h2>Handshake</h2>
 * <pre>
 * initiator                                        responder
 *   message 1: e                             -&gt;
 *                                            &lt;-   message 2: e, ee, s, es, payload(identity, muxers)
 *   message 3: s, se, payload(identity, muxers) -&gt;
 * </pre>
 * The payload is a {@code NoiseHandshakePayload} whose {@code identity_sig} signs
 * {@code "noise-libp2p-static-key:" || static X25519 public key} with the libp2p identity key. The remote
 * signature is verified, its peer ID compared with {@link SecurityContext#expectedRemotePeer()}, and on
 * success one {@link SecureSession} user event is fired. Its {@code earlyMuxer} is the first of the
 * initiator's {@code stream_muxers} that the responder also lists, or null when either list is empty or
 * they share none (the muxer is then negotiated with multistream-select).
 *
 * <h2>Transport</h2>
 * Inbound frames are decrypted and fired as plaintext {@code ByteBuf}s (one per non-empty frame). Outbound
 * {@code ByteBuf}s are gathered until {@code flush()}, which encrypts the gathered plaintext as one byte
 * stream into as few frames as possible, each carrying at most {@value NoiseFrames#MAX_PLAINTEXT_BYTES}
 * bytes (so a 12-byte yamux header and its 65536-byte body become two frames, not three). Frame boundaries
 * therefore need not match write boundaries; the wire format is unchanged. Gathering is bounded: once more
 * than {@value #EAGER_ENCRYPT_BYTES} bytes are pending, full frames are encrypted and written (unflushed)
 * at once. Each write's promise completes when the frame carrying its last byte has been written, and fails
 * if that frame fails; gathered writes are counted as pending outbound bytes (channel writability). Writes
 * issued before the handshake completes are queued and sent encrypted (and flushed) after it. Writes
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
 * write fails). Each plaintext buffer fired
 * inbound and each frame written outbound is a new buffer owned by its receiver.
 *
 * <p>Not thread-safe: Netty calls it on the channel's event loop only.
 */
final class NoiseHandler extends ChannelDuplexHandler {
    private static final Logger LOG = LoggerFactory.getLogger(NoiseHandler.class);
    /** What {@code identity_sig} signs, before the 32-byte static key. */
    static final byte[] STATIC_KEY_SIGNATURE_PREFIX =
            "noise-libp2p-static-key:".getBytes(StandardCharsets.UTF_8);
    private static final byte[] EMPTY = new byte[0];
    /** Pending outbound plaintext above which full frames are encrypted before {@code flush()}: 1 MiB. */
    static final int EAGER_ENCRYPT_BYTES = 1 << 20;

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

    private record RemoteIdentity(PublicKey key, PeerId peer, List<String> muxers) {}

    private final SecurityContext context;
    private final int maxFrameBytes;
    private final ArrayDeque<PendingWrite> pendingWrites = new ArrayDeque<>();
    /** Plaintext written after the handshake and not yet encrypted, with its promises; null until then. */
    private CoalescingBufferQueue gathered;
    private boolean closed;
    private State state = State.NEW;
    private HandshakeState handshake;
    private CipherState sendCipher;
    private CipherState receiveCipher;
    private ByteBuf cumulation;
    private final StageTimer timeout;
    /** The signed static keypair; given by the transport, or generated in {@link #begin}. */
    private StaticIdentity staticIdentity;
    private NoiseException failure;
    private boolean firedRead;

    /**
     * @param context role, identity key, expected remote peer, muxers and handshake timeout
     * @param maxFrameBytes the largest inbound frame body accepted, 1..65535 (the spec's limit is 65535)
     */
    NoiseHandler(SecurityContext context, int maxFrameBytes) {
        this(context, maxFrameBytes, null);
    }

    /**
     * @param context role, identity key, expected remote peer, muxers and handshake timeout
     * @param maxFrameBytes the largest inbound frame body accepted, 1..65535 (the spec's limit is 65535)
     * @param staticIdentity the signed static keypair to use, made for {@code context.localKey()}; null to
     *     generate one for this session
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
            handshake = new HandshakeState(context.role() == Role.INITIATOR, EMPTY, staticIdentity.staticPrivate,
                    staticIdentity.staticPublic, null);
            if (context.role() == Role.INITIATOR) {
                sendHandshakeMessage(ctx, EMPTY);
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
        int stage = handshake.messagesProcessed() + 1;
        byte[] payload = handshake.readMessage(ByteBufUtil.getBytes(frame));
        switch (stage) {
            case 1 -> sendHandshakeMessage(ctx, localPayload()); // responder: message 1's payload is empty
            case 2 -> {
                RemoteIdentity remote = verifyRemote(payload, stage);
                sendHandshakeMessage(ctx, localPayload());
                complete(ctx, remote);
            }
            default -> complete(ctx, verifyRemote(payload, stage));
        }
    }

    private void sendHandshakeMessage(ChannelHandlerContext ctx, byte[] payload) {
        int stage = handshake.messagesProcessed() + 1;
        byte[] message = handshake.writeMessage(payload);
        if (message.length > NoiseFrames.MAX_MESSAGE_BYTES) {
            throw new NoiseException(Reason.LOCAL_FAILURE,
                    "noise: message " + stage + " would be " + message.length + " bytes, over 65535");
        }
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

    private byte[] localPayload() {
        NoiseHandshakePayload.Builder payload = NoiseHandshakePayload.newBuilder()
                .setIdentityKey(ByteString.copyFrom(staticIdentity.identityKey))
                .setIdentitySig(ByteString.copyFrom(staticIdentity.identitySig));
        if (!context.muxerProtocols().isEmpty()) {
            payload.setExtensions(NoiseExtensions.newBuilder().addAllStreamMuxers(context.muxerProtocols()));
        }
        return payload.build().toByteArray();
    }

    private RemoteIdentity verifyRemote(byte[] payloadBytes, int stage) {
        NoiseHandshakePayload payload;
        try {
            payload = NoiseHandshakePayload.parseFrom(payloadBytes);
        } catch (InvalidProtocolBufferException e) {
            throw new NoiseException(Reason.MALFORMED_MESSAGE,
                    "noise: message " + stage + ": malformed handshake payload", e);
        }
        if (payload.getIdentityKey().isEmpty()) {
            throw new NoiseException(Reason.MALFORMED_MESSAGE,
                    "noise: message " + stage + ": handshake payload carries no identity key");
        }
        PublicKey key;
        PeerId peer;
        try {
            key = Keys.unmarshalPublicKey(payload.getIdentityKey().toByteArray());
            peer = PeerId.fromPublicKey(key);
        } catch (CrossdialException e) {
            throw new NoiseException(Reason.MALFORMED_MESSAGE,
                    "noise: message " + stage + ": bad identity key: " + e.getMessage(), e);
        }
        byte[] signed = concat(STATIC_KEY_SIGNATURE_PREFIX, handshake.remoteStaticPublicKey());
        if (!key.verify(signed, payload.getIdentitySig().toByteArray())) {
            throw new NoiseException(Reason.BAD_SIGNATURE,
                    "noise: message " + stage + ": identity signature of peer " + peer
                    + " does not match its Noise static key");
        }
        PeerId expected = context.expectedRemotePeer();
        if (expected != null && !expected.equals(peer)) {
            PeerIdMismatchException mismatch = new PeerIdMismatchException("noise: ", expected, peer);
            throw new NoiseException(Reason.PEER_ID_MISMATCH, mismatch.getMessage(), mismatch);
        }
        List<String> muxers = payload.hasExtensions() ? payload.getExtensions().getStreamMuxersList() : List.of();
        return new RemoteIdentity(key, peer, muxers);
    }

    private void complete(ChannelHandlerContext ctx, RemoteIdentity remote) {
        CipherState[] ciphers = handshake.split();
        sendCipher = ciphers[0];
        receiveCipher = ciphers[1];
        handshake = null;
        state = State.TRANSPORT;
        gathered = new CoalescingBufferQueue(ctx.channel(), 4, true);
        timeout.cancel();
        List<String> local = context.muxerProtocols();
        String earlyMuxer = context.role() == Role.INITIATOR
                ? selectMuxer(local, remote.muxers())
                : selectMuxer(remote.muxers(), local);
        ctx.fireUserEventTriggered(new SecureSession(
                NoiseSecurityTransport.PROTOCOL_ID, staticIdentity.localPeer, remote.peer(), remote.key(), earlyMuxer));
        if (!pendingWrites.isEmpty()) {
            PendingWrite w;
            while (state == State.TRANSPORT && (w = pendingWrites.poll()) != null) {
                write(ctx, w.msg(), w.promise());
            }
            flush(ctx);
        }
    }

    /**
     * Inlined muxer negotiation (libp2p/specs connections/inlined-muxer-negotiation.md).
     *
     * @return the first of {@code initiator}'s muxers that {@code responder} also lists, or null
     */
    static String selectMuxer(List<String> initiator, List<String> responder) {
        for (String muxer : initiator) {
            if (responder.contains(muxer)) {
                return muxer;
            }
        }
        return null;
    }

    private void onTransportMessage(ChannelHandlerContext ctx, ByteBuf frame) {
        int length = frame.readableBytes();
        if (length < CipherState.TAG_BYTES) {
            throw new NoiseException(Reason.MALFORMED_MESSAGE,
                    "noise: transport message of " + length + " bytes is shorter than the 16-byte tag");
        }
        // heap: CipherState decrypts heap buffers in place without the JDK's per-message temporary array
        ByteBuf plaintext = ctx.alloc().heapBuffer(length);
        try {
            receiveCipher.decrypt(frame, plaintext);
        } catch (RuntimeException e) {
            plaintext.release();
            throw e;
        }
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
                    gathered.add(buf, promise);
                    if (gathered.readableBytes() > EAGER_ENCRYPT_BYTES) {
                        encryptGathered(ctx, false);
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

    /**
     * Encrypts gathered plaintext into frames of at most {@value NoiseFrames#MAX_PLAINTEXT_BYTES} bytes and
     * writes them (without flushing).
     *
     * @param all true: everything gathered (the last frame may be short); false: only full frames
     */
    private void encryptGathered(ChannelHandlerContext ctx, boolean all) {
        while (state == State.TRANSPORT && !gathered.isEmpty()
                && (all || gathered.readableBytes() >= NoiseFrames.MAX_PLAINTEXT_BYTES)) {
            ChannelPromise promise = ctx.newPromise();
            ByteBuf plaintext = gathered.remove(NoiseFrames.MAX_PLAINTEXT_BYTES, promise);
            ByteBuf frame = null;
            try {
                int n = plaintext.readableBytes();
                if (n == 0) {
                    ctx.write(Unpooled.EMPTY_BUFFER, promise);
                    continue;
                }
                frame = ctx.alloc().heapBuffer(NoiseFrames.LENGTH_BYTES + n + CipherState.TAG_BYTES);
                NoiseFrames.writeLength(frame, n + CipherState.TAG_BYTES);
                sendCipher.encrypt(plaintext, plaintext.readerIndex(), n, frame);
                ByteBuf out = frame;
                frame = null;
                ctx.write(out, promise);
            } catch (RuntimeException e) {
                if (frame != null) {
                    frame.release();
                }
                NoiseException cause = wrap(e);
                promise.tryFailure(cause);
                fail(ctx, cause);
            } finally {
                plaintext.release();
            }
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        // During the handshake queued writes are flushed once it completes; handshake messages flush themselves.
        if (state == State.TRANSPORT || state == State.FAILED) {
            if (state == State.TRANSPORT && !closed) {
                encryptGathered(ctx, true);
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
        if (gathered != null && !gathered.isEmpty()) {
            failGathered(new ClosedChannelException());
        }
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
        sendCipher = null;
        receiveCipher = null;
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
        if (gathered != null && !gathered.isEmpty()) {
            gathered.releaseAndFailAll(cause);
        }
    }

    private void releaseCumulation() {
        if (cumulation != null) {
            ByteBuf c = cumulation;
            cumulation = null;
            c.release();
        }
    }

    /** @return {@code a} followed by {@code b}, a new array */
    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
