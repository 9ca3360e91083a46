package io.crossdial.core.spi;

import io.netty.channel.ChannelPipeline;

/**
 * A stream muxer (yamux, mplex, or a user's own), selected by multistream-select on a secured connection.
 *
 * <h2>Contract</h2>
 * The upgrader calls {@link #install} on the channel's event loop once the muxer is agreed. The muxer adds
 * its session handler before the handler named {@code beforeName}; the first inbound messages it
 * receives are plaintext {@code ByteBuf}s, starting with any bytes the previous stage read ahead. The
 * returned session is usable at once. Streams are Netty child channels ({@link MuxedStream}) whose
 * pipelines carry {@code ByteBuf}s. A muxer:
 * <ul>
 *   <li>has bounded buffers: inbound data beyond what the application has consumed is limited by the
 *       protocol's flow control, outbound writes beyond the send window make the stream unwritable;</li>
 *   <li>answers a protocol error with its goodbye (yamux GoAway code 1), then closes the connection, and
 *       fires {@code exceptionCaught} with its own {@link io.crossdial.core.CrossdialException} subclass;</li>
 *   <li>closes every stream channel when the connection closes.</li>
 * </ul>
 * Implementations are thread-safe and stateless between connections.
 *
 * <h2>Registration</h2>
 * Register an implementation with the host builder, or, for the {@code crossdial} command, through
 * {@link java.util.ServiceLoader}: a public no-argument constructor and a line naming the class in
 * {@code META-INF/services/io.crossdial.core.spi.StreamMuxer}. The CLI then picks it by
 * {@link #name()} or by protocol ID.
 */
public interface StreamMuxer {
    /** @return the multistream protocol ID, e.g. {@code /yamux/1.0.0} */
    String protocolId();

    /**
     * The short name the CLI accepts for this stream muxer: by default the first segment of the
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
     * Adds the session handler for one connection.
     *
     * @param pipeline the secured connection's pipeline
     * @param beforeName the name of the handler the session handler goes before
     * @param context role and the handler for inbound streams
     * @return the session, usable at once
     */
    MuxedSession install(ChannelPipeline pipeline, String beforeName, MuxerContext context);
}
