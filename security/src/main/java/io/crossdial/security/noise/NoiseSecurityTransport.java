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
 * <p>Static keys (spec, "Static Key Authentication"): by default the transport generates one X25519 static
 * keypair per identity key when it first needs it, signs it once, and uses it for every session, as the spec
 * allows and rust-libp2p does (js-libp2p keeps its static key but signs per handshake; go-libp2p makes a new
 * one per session); that saves one X25519 key generation and one identity signature per handshake and side
 * (about 15 % of the handshake's public-key work). The key lives in memory only and is never written
 * anywhere. Forward secrecy comes from the ephemeral keys either way.
 * {@link #withStaticKeyPerSession()} gives a transport that generates and signs a fresh static keypair for
 * every session instead.
 *
 * <p>Thread-safe; {@link #install} must run on the channel's event loop.
 */
public final class NoiseSecurityTransport implements SecurityTransport {
    /** The multistream-select protocol ID. */
    public static final String PROTOCOL_ID = "/noise";
    /** The name of the handler {@link #install} adds. */
    public static final String HANDLER_NAME = "noise";

    private final boolean reuseStaticKey;
    /** The static keypair of the identity key last used; replaced when another identity key comes. */
    private volatile StaticIdentity cached;

    /** Creates the transport: one static keypair per identity key, for all sessions. */
    public NoiseSecurityTransport() {
        this(true);
    }

    private NoiseSecurityTransport(boolean reuseStaticKey) {
        this.reuseStaticKey = reuseStaticKey;
    }

    /**
     * @return a transport that generates and signs a new static keypair for every session (costs one X25519
     *     key generation and one identity signature per handshake more than the default)
     */
    public static NoiseSecurityTransport withStaticKeyPerSession() {
        return new NoiseSecurityTransport(false);
    }

    /** @return the signed static keypair for {@code identity}, or null for a per-session one */
    StaticIdentity staticIdentity(io.crossdial.core.crypto.PrivateKey identity) {
        if (!reuseStaticKey) {
            return null;
        }
        StaticIdentity s = cached;
        if (s == null || s.identity != identity) {
            // racing first handshakes may each make one; the last stored wins, every one is valid
            s = StaticIdentity.generate(identity);
            cached = s;
        }
        return s;
    }

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
        pipeline.addBefore(beforeName, HANDLER_NAME, new NoiseHandler(context, NoiseFrames.MAX_MESSAGE_BYTES,
                staticIdentity(context.localKey())));
    }
}
