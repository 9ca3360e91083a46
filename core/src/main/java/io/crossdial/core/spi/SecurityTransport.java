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
 *
 * <h2>Registration</h2>
 * Register an implementation with the host builder, or, for the {@code crossdial} command, through
 * {@link java.util.ServiceLoader}: a public no-argument constructor and a line naming the class in
 * {@code META-INF/services/io.crossdial.core.spi.SecurityTransport}. The CLI then picks it by
 * {@link #name()} or by protocol ID.
 */
public interface SecurityTransport {
    /** @return the multistream protocol ID, e.g. {@code /noise} */
    String protocolId();

    /**
     * The short name the CLI accepts for this security transport: by default the first segment of the
     * protocol ID ({@code /noise} -> {@code noise}, {@code /yamux/1.0.0} -> {@code yamux}).
     *
     * @return the short name
     */
    default String name() {
        String id = protocolId();
        int end = id.indexOf('/', 1);
        return end < 0 ? id.substring(1) : id.substring(1, end);
    }

    /**
     * Adds the handshake handler for one connection.
     *
     * @param pipeline the connection's pipeline
     * @param beforeName the name of the handler the new handler(s) go before
     * @param context role, keys, expected remote peer and timeout
     */
    void install(ChannelPipeline pipeline, String beforeName, SecurityContext context);
}
