package io.crossdial.host.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening side of ping ({@value ProtocolIds#PING}, libp2p/specs {@code ping/ping.md}): every 32-byte
 * payload read from the stream is written back unchanged, for as many pings as the initiator sends.
 *
 * <pre>
 *   initiator                    responder
 *     32 random bytes  ------->
 *                      <-------  the same 32 bytes
 *     ... repeated on the same stream ...
 *     EOF (half-close) ------->
 *                      <-------  EOF, stream closed
 * </pre>
 *
 * <p>Install it as the last handler of a stream channel on which multistream-select has agreed on ping;
 * it sees only ping bytes. Partial payloads are buffered in a fixed 32-byte array (nothing else is
 * buffered). It turns {@code AUTO_READ} off and reads only while the stream is writable, so a peer that
 * sends pings without reading the answers stalls instead of growing a queue. When no complete ping
 * arrives within {@code idleTimeout} (go-libp2p uses 60 s) the stream is closed. After the remote's EOF
 * the responder half-closes and closes the stream; a partial payload at EOF is dropped.
 *
 * <p>Reference counting: every inbound {@code ByteBuf} is released here; each echo is a new 32-byte
 * buffer handed to the channel. One instance per stream (not {@code @Sharable}); event-loop confined.
 */
public final class PingResponder extends EchoingResponder {
    /** The ping payload size fixed by the spec: 32 bytes. */
    public static final int PAYLOAD_BYTES = 32;
    /** The idle timeout of {@link #PingResponder()}: 60 s, as go-libp2p. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(PingResponder.class);

    private final byte[] payload = new byte[PAYLOAD_BYTES];
    private int filled;

    /** A responder that closes the stream after {@link #DEFAULT_IDLE_TIMEOUT} without a ping. */
    public PingResponder() {
        this(DEFAULT_IDLE_TIMEOUT);
    }

    /**
     * @param idleTimeout how long to wait for the next complete ping before closing the stream
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public PingResponder(Duration idleTimeout) {
        super(idleTimeout, LOG, "ping", "no ping");
    }

    @Override
    void answer(ChannelHandlerContext ctx, ByteBuf in) {
        try {
            while (in.isReadable() && !ending()) {
                int n = Math.min(in.readableBytes(), PAYLOAD_BYTES - filled);
                in.readBytes(payload, filled, n);
                filled += n;
                if (filled == PAYLOAD_BYTES) {
                    filled = 0;
                    progress();
                    ctx.write(ctx.alloc().buffer(PAYLOAD_BYTES).writeBytes(payload), ctx.voidPromise());
                }
            }
        } finally {
            in.release();
        }
    }
}
