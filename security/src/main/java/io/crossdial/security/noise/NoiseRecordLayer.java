package io.crossdial.security.noise;

import io.crossdial.security.noise.NoiseException.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.CoalescingBufferQueue;

/**
 * The Noise record layer after the handshake (libp2p/specs noise/README.md, "Wire Format"): transport
 * messages in, plaintext out; plaintext in, transport messages out. {@link NoiseHandler} owns the framing of
 * inbound bytes and hands each transport message body here.
 *
 * <h2>Outbound</h2>
 * Written {@code ByteBuf}s are gathered until {@link #encrypt}{@code (ctx, true)} (the handler's
 * {@code flush()}), which encrypts the gathered plaintext as one byte stream into as few frames as possible,
 * each carrying at most {@value NoiseFrames#MAX_PLAINTEXT_BYTES} bytes (a 12-byte yamux header and its
 * 65536-byte body become two frames, not three):
 * <pre>
 * +------------------------+----------------------------------------+-----------------+
 * | length n + 16 (2 bytes)| ChaCha20-Poly1305(plaintext, n bytes)  | tag (16 bytes)  |
 * +------------------------+----------------------------------------+-----------------+
 * </pre>
 * Once more than {@value #EAGER_ENCRYPT_BYTES} bytes are gathered, full frames are encrypted and written
 * (unflushed) at once. Each write's promise completes when the frame carrying its last byte has been
 * written, and fails if that frame fails; gathered writes count as pending outbound bytes (channel
 * writability).
 *
 * <h2>Inbound</h2>
 * {@link #decrypt} turns one transport message body into its plaintext (the nonce advances by one).
 *
 * <h2>Failures</h2>
 * {@link #decrypt} and {@link #encrypt} throw {@link NoiseException} ({@code MALFORMED_MESSAGE} for a body
 * shorter than the tag, {@code DECRYPTION_FAILED} for a failed authentication, {@code LOCAL_FAILURE} for an
 * encryption failure or an exhausted nonce); the record layer is then unusable, and its owner fails the
 * connection and calls {@link #failGathered}.
 *
 * <h2>Reference counting</h2>
 * Every gathered {@code ByteBuf} is owned by the record layer: released once all its bytes are encrypted, or
 * by {@link #failGathered}. {@link #decrypt} neither retains nor releases its input; the plaintext it returns
 * is a new buffer owned by the caller. Each frame written is a new buffer owned by the pipeline.
 *
 * <p>Not thread-safe: the channel's event loop only.
 */
final class NoiseRecordLayer {
    /** Gathered outbound plaintext above which full frames are encrypted before a flush: 1 MiB. */
    static final int EAGER_ENCRYPT_BYTES = 1 << 20;

    private final CipherState sendCipher;
    private final CipherState receiveCipher;
    /** Plaintext written and not yet encrypted, with its promises. */
    private final CoalescingBufferQueue gathered;

    /**
     * @param ctx the Noise handler's context (its channel counts the gathered bytes as pending)
     * @param sendCipher the outbound cipher from the handshake's split
     * @param receiveCipher the inbound cipher from the handshake's split
     */
    NoiseRecordLayer(ChannelHandlerContext ctx, CipherState sendCipher, CipherState receiveCipher) {
        this.sendCipher = sendCipher;
        this.receiveCipher = receiveCipher;
        this.gathered = new CoalescingBufferQueue(ctx.channel(), 4, true);
    }

    /**
     * Decrypts one transport message.
     *
     * @param frame the message body (ciphertext and tag); not released
     * @return the plaintext, a new heap buffer owned by the caller, possibly empty
     * @throws NoiseException if the body is shorter than the tag or fails authentication
     */
    ByteBuf decrypt(ChannelHandlerContext ctx, ByteBuf frame) {
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
        return plaintext;
    }

    /**
     * Gathers one outbound plaintext buffer; encrypts full frames at once when more than
     * {@value #EAGER_ENCRYPT_BYTES} bytes are gathered.
     *
     * @param buf the plaintext, owned by the record layer from now on
     * @param promise completed when the frame carrying the last byte of {@code buf} is written
     * @throws NoiseException if an eager encryption fails (that frame's promise is failed first)
     */
    void write(ChannelHandlerContext ctx, ByteBuf buf, ChannelPromise promise) {
        gathered.add(buf, promise);
        if (gathered.readableBytes() > EAGER_ENCRYPT_BYTES) {
            encrypt(ctx, false);
        }
    }

    /**
     * Encrypts gathered plaintext into frames of at most {@value NoiseFrames#MAX_PLAINTEXT_BYTES} bytes and
     * writes them (without flushing).
     *
     * @param all true: everything gathered (the last frame may be short); false: only full frames
     * @throws NoiseException if an encryption fails (that frame's promise is failed first)
     */
    void encrypt(ChannelHandlerContext ctx, boolean all) {
        while (!gathered.isEmpty() && (all || gathered.readableBytes() >= NoiseFrames.MAX_PLAINTEXT_BYTES)) {
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
                NoiseException cause = e instanceof NoiseException ne ? ne
                        : new NoiseException(Reason.LOCAL_FAILURE, "noise: transport failed: " + e, e);
                promise.tryFailure(cause);
                throw cause;
            } finally {
                plaintext.release();
            }
        }
    }

    /** @return whether gathered plaintext waits for encryption */
    boolean hasGathered() {
        return !gathered.isEmpty();
    }

    /** Releases the gathered plaintext and fails its promises with {@code cause}. */
    void failGathered(Throwable cause) {
        if (!gathered.isEmpty()) {
            gathered.releaseAndFailAll(cause);
        }
    }
}
