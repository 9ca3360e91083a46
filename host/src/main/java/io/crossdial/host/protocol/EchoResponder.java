package io.crossdial.host.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening side of echo ({@value ProtocolIds#ECHO}, a crossdial test protocol): every byte read is
 * written back in order; after the remote's EOF, once every echoed byte has been written, the responder
 * half-closes and closes the stream.
 *
 * <p>Backpressure: {@code AUTO_READ} is turned off and the next read is requested only while the stream
 * is writable, so when the remote does not read its echo the responder stops reading instead of
 * buffering (at most one read's worth of bytes is queued beyond the writability limit). A stream with no
 * inbound bytes for {@code idleTimeout} is closed.
 *
 * <p>Reference counting: each inbound {@code ByteBuf} is handed to the channel as the echo, so its
 * ownership passes to the outbound side unchanged. One instance per stream; event-loop confined.
 */
public final class EchoResponder extends EchoingResponder {
    /** The idle timeout of {@link #EchoResponder()}: 60 s. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(EchoResponder.class);

    /** A responder that closes a stream idle for {@link #DEFAULT_IDLE_TIMEOUT}. */
    public EchoResponder() {
        this(DEFAULT_IDLE_TIMEOUT);
    }

    /**
     * @param idleTimeout how long to wait for inbound bytes (or for the remote to read its echo) before
     *     closing the stream
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public EchoResponder(Duration idleTimeout) {
        super(idleTimeout, LOG, "echo", "idle");
    }

    @Override
    void answer(ChannelHandlerContext ctx, ByteBuf in) {
        if (ending() || !in.isReadable()) {
            in.release();
            return;
        }
        progress();
        ctx.write(in, ctx.voidPromise());
    }
}
