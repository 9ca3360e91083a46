package io.crossdial.security.noise;

import io.crossdial.security.noise.NoiseException.Reason;
import io.netty.buffer.ByteBuf;

/**
 * The libp2p Noise wire format (libp2p/specs noise/README.md, "Wire Format"): every Noise message, handshake
 * or transport, travels as
 * <pre>
 * +----------------------------+--------------------------------------+
 * | noise_message_len (2 bytes)| noise_message (noise_message_len)    |
 * | unsigned, big-endian       | at most 65535 bytes                  |
 * +----------------------------+--------------------------------------+
 * </pre>
 * A transport message is an AEAD ciphertext: plaintext plus a 16-byte tag, so one frame carries at most
 * {@value #MAX_PLAINTEXT_BYTES} plaintext bytes. This class only knows bytes and limits; the meaning of a
 * body is {@link NoiseHandler}'s business. Stateless.
 */
final class NoiseFrames {
    /** Bytes of the length prefix. */
    static final int LENGTH_BYTES = 2;
    /** The largest Noise message (frame body) the spec allows. */
    static final int MAX_MESSAGE_BYTES = 65535;
    /** The most plaintext one transport message carries: 65535 - 16. */
    static final int MAX_PLAINTEXT_BYTES = MAX_MESSAGE_BYTES - CipherState.TAG_BYTES;

    private NoiseFrames() {}

    /**
     * Takes one complete frame body off the front of {@code in}.
     *
     * <p>Reference counting: the result is a retained slice of {@code in}, owned by the caller; {@code in}
     * keeps its own reference.
     *
     * @param in accumulated bytes; its reader index advances past the frame when one is returned
     * @param maxFrameBytes the largest body accepted, at most {@value #MAX_MESSAGE_BYTES}
     * @return the body, or null when {@code in} does not yet hold a complete frame (nothing consumed)
     * @throws NoiseException as soon as the length prefix announces more than {@code maxFrameBytes}, before
     *     the body is waited for
     */
    static ByteBuf readFrame(ByteBuf in, int maxFrameBytes) {
        if (in.readableBytes() < LENGTH_BYTES) {
            return null;
        }
        int length = in.getUnsignedShort(in.readerIndex());
        if (length > maxFrameBytes) {
            throw new NoiseException(Reason.FRAME_TOO_LONG,
                    "noise: frame of " + length + " bytes exceeds the limit of " + maxFrameBytes);
        }
        if (in.readableBytes() < LENGTH_BYTES + length) {
            return null;
        }
        in.skipBytes(LENGTH_BYTES);
        return in.readRetainedSlice(length);
    }

    /**
     * Writes a length prefix.
     *
     * @param out destination
     * @param bodyLength the body length, 0..{@value #MAX_MESSAGE_BYTES}
     */
    static void writeLength(ByteBuf out, int bodyLength) {
        if (bodyLength < 0 || bodyLength > MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("Noise message length out of range: " + bodyLength);
        }
        out.writeShort(bodyLength);
    }
}
