package io.crossdial.security.noise;

import io.crossdial.core.spi.SecurityContext;
import io.crossdial.core.spi.SecurityTransport;
import io.netty.channel.ChannelPipeline;

/**
 * The libp2p Noise security transport, protocol ID {@value #PROTOCOL_ID} (libp2p/specs noise/README.md):
 * {@code Noise_XX_25519_ChaChaPoly_SHA256} with an empty prologue, 2-byte big-endian length-prefixed frames,
 * identity keys authenticated by the signed handshake payload, and inlined muxer negotiation through the
 * {@code stream_muxers} extension.
 *
 * <p>{@link #install} adds one handler named {@value #HANDLER_NAME} before {@code beforeName}. It follows the
 * {@link SecurityTransport} contract: the initiator sends message 1 as soon as the channel is active; on
 * success it fires one {@link io.crossdial.core.spi.SecureSession} user event (with {@code earlyMuxer} the
 * first muxer of the initiator's list that the responder also lists, or null) and then converts inbound
 * ciphertext frames to plaintext {@code ByteBuf}s and outbound plaintext {@code ByteBuf}s to frames of at most
 * 65519 plaintext bytes; on any failure it fires {@code exceptionCaught} with a {@link NoiseException} (message
 * starting {@code "noise: "}), closes the channel and releases its buffers. The handshake is bounded by
 * {@link SecurityContext#handshakeTimeoutMillis()}.
 *
 * <p>Stateless and thread-safe; {@link #install} must run on the channel's event loop.
 */
public final class NoiseSecurityTransport implements SecurityTransport {
    /** The multistream-select protocol ID. */
    public static final String PROTOCOL_ID = "/noise";
    /** The name of the handler {@link #install} adds. */
    public static final String HANDLER_NAME = "noise";

    /** Creates the transport. */
    public NoiseSecurityTransport() {}

    @Override
    public String protocolId() {
        return PROTOCOL_ID;
    }

    /**
     * @param pipeline the connection's pipeline
     * @param beforeName the handler the Noise handler goes before
     * @param context role, identity key, expected remote peer, muxers to advertise, handshake timeout
     * @throws IllegalArgumentException if the pipeline already has a handler named {@value #HANDLER_NAME}
     * @throws java.util.NoSuchElementException if there is no handler named {@code beforeName}
     */
    @Override
    public void install(ChannelPipeline pipeline, String beforeName, SecurityContext context) {
        pipeline.addBefore(beforeName, HANDLER_NAME, new NoiseHandler(context, NoiseFrames.MAX_MESSAGE_BYTES));
    }
}
