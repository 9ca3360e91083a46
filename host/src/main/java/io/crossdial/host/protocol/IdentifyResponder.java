package io.crossdial.host.protocol;

import io.crossdial.core.multiaddr.Multiaddr;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answering side of identify ({@value ProtocolIds#IDENTIFY}, libp2p/specs {@code identify/README.md}):
 * as soon as the stream is active it writes ONE varint-length-prefixed {@code Identify} message (see
 * {@link IdentifyCodec}), then half-closes and closes the stream. Bytes the initiator sends are discarded.
 *
 * <p>What peers expect, and why there is exactly one message of at most 8 KiB: js-libp2p 3 reads exactly
 * one length-prefixed message with {@code it-protobuf-stream} ({@code maxDataLength} 8 KiB, 5 s timeout)
 * and then closes its stream; it rejects the identify when {@code publicKey} is missing or does not match
 * the connection's peer ID, and when any {@code listenAddrs} entry fails to parse. go-libp2p reads up to
 * 10 length-prefixed messages of at most 8 KiB each until EOF and merges them (it splits its own message
 * in two when a signed peer record makes it larger than 2 KiB). rust-libp2p reads one length-prefixed
 * message. So the message is refused (the stream is closed, nothing is sent) when it exceeds
 * {@link #MAX_MESSAGE_BYTES}; no {@code signedPeerRecord} is sent.
 *
 * <p>The local info comes from a {@link Supplier} called once per stream on the stream's event loop (it
 * must not block); {@code observedAddr} is the remote address of the connection as this side sees it,
 * given by whoever installs the handler. When the message has not been written within the timeout (the
 * initiator does not read) the stream is closed.
 *
 * <p>Reference counting: inbound buffers are released; the framed message is a new buffer handed to the
 * channel. One instance per stream; event-loop confined.
 */
public final class IdentifyResponder extends ChannelInboundHandlerAdapter {
    /** The largest message this side sends: 8 KiB, the limit of js-libp2p and go-libp2p readers. */
    public static final int MAX_MESSAGE_BYTES = 8 * 1024;
    /** The timeout of the two-argument constructor: 10 s. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(IdentifyResponder.class);

    private final Supplier<IdentifyInfo> localInfo;
    private final Multiaddr observedAddr;
    private final Duration timeout;
    private final long timeoutNanos;
    private boolean sent;
    private ScheduledFuture<?> timer;

    /**
     * @param localInfo gives this peer's info (its {@code observedAddr} is ignored)
     * @param observedAddr the connection's remote address as seen here, or null to send none
     */
    public IdentifyResponder(Supplier<IdentifyInfo> localInfo, Multiaddr observedAddr) {
        this(localInfo, observedAddr, DEFAULT_TIMEOUT);
    }

    /**
     * @param localInfo gives this peer's info (its {@code observedAddr} is ignored)
     * @param observedAddr the connection's remote address as seen here, or null to send none
     * @param timeout how long writing the message may take before the stream is closed
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public IdentifyResponder(Supplier<IdentifyInfo> localInfo, Multiaddr observedAddr, Duration timeout) {
        this.localInfo = Objects.requireNonNull(localInfo, "localInfo");
        this.observedAddr = observedAddr;
        this.timeoutNanos = StreamSupport.positiveNanos(timeout, "timeout");
        this.timeout = timeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            send(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        send(ctx);
        ctx.fireChannelActive();
    }

    private void send(ChannelHandlerContext ctx) {
        if (sent) {
            return;
        }
        sent = true;
        ByteBuf frame;
        try {
            frame = IdentifyCodec.encodeFrame(localInfo.get().withObservedAddr(observedAddr), ctx.alloc(),
                    MAX_MESSAGE_BYTES);
        } catch (RuntimeException e) {
            LOG.warn("identify: cannot answer on {}: {}", ctx.channel(), e.getMessage());
            ctx.close();
            return;
        }
        timer = ctx.executor().schedule(() -> {
            LOG.debug("identify: message not written within {} on {}, closing", timeout, ctx.channel());
            ctx.close();
        }, timeoutNanos, TimeUnit.NANOSECONDS);
        ctx.writeAndFlush(frame).addListener(f -> {
            cancelTimer();
            if (f.isSuccess()) {
                StreamSupport.finish(ctx.channel());
            } else {
                ctx.close();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg); // the initiator has nothing to say on identify
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("identify stream {} failed, closing", ctx.channel(), cause);
        ctx.close();
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
