package io.crossdial.core.spi;

import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DuplexChannel;

/**
 * One stream of a muxed connection, as a Netty child channel whose pipeline reads and writes
 * {@code ByteBuf}s.
 *
 * <ul>
 *   <li>{@link #shutdownOutput()} half-closes: the remote reads EOF (yamux FIN); reads go on.</li>
 *   <li>{@link #close()} half-closes and stops delivering reads; the stream is forgotten once both sides
 *       closed.</li>
 *   <li>{@link #reset()} aborts both directions at once (yamux RST); unsent data is dropped.</li>
 *   <li>Remote EOF fires {@code ChannelInputShutdownEvent} (then {@code ChannelInputShutdownReadComplete});
 *       a remote reset closes the channel with a {@code StreamResetException}-style cause.</li>
 *   <li>Writability follows the send window; inbound credit is returned as the application reads
 *       (with {@code AUTO_READ} off, only as fast as it calls {@code read()}).</li>
 * </ul>
 */
public interface MuxedStream extends DuplexChannel {
    /** @return the stream ID on the wire */
    long streamId();

    /** @return true when the local side opened this stream */
    boolean isOutbound();

    /**
     * Aborts the stream in both directions.
     *
     * @return completes when the reset is written
     */
    ChannelFuture reset();
}
