package io.crossdial.core.spi;

import io.netty.channel.ChannelPipeline;

/**
 * A security transport (Noise, TLS, or a user's own), selected by multistream-select.
 *
 * <h2>Contract</h2>
 * The upgrader calls {@link #install} on the channel's event loop as soon as multistream-select agreed on
 * {@link #protocolId()}. The transport adds its handler(s) to {@code pipeline} before the handler named
 * {@code beforeName}. The first inbound messages it receives are {@code ByteBuf}s with any bytes the
 * negotiation stage read past its last message. The handler then:
 * <ul>
 *   <li>runs the handshake in {@code context.role()}, bounded by {@code context.handshakeTimeoutMillis()};</li>
 *   <li>on success fires one {@link SecureSession} as a user event and from then on passes decrypted
 *       {@code ByteBuf}s inbound and encrypts outbound {@code ByteBuf}s (it stays in the pipeline);</li>
 *   <li>on any failure (bad frame, bad signature, peer ID mismatch, timeout, EOF) fires
 *       {@code exceptionCaught} with a {@link io.crossdial.core.CrossdialException} subclass and closes
 *       the channel, releasing every buffer it holds.</li>
 * </ul>
 * Implementations are thread-safe and stateless between connections.
 */
public interface SecurityTransport {
    /** @return the multistream protocol ID, e.g. {@code /noise} */
    String protocolId();

    /**
     * Adds the handshake handler for one connection.
     *
     * @param pipeline the connection's pipeline
     * @param beforeName the name of the handler the new handler(s) go before
     * @param context role, keys, expected remote peer and timeout
     */
    void install(ChannelPipeline pipeline, String beforeName, SecurityContext context);
}
