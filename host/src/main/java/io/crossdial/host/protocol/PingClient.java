package io.crossdial.host.protocol;

import io.crossdial.host.protocol.StreamProtocolException.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The initiating side of ping ({@value ProtocolIds#PING}, libp2p/specs {@code ping/ping.md}) on a stream
 * where multistream-select has already agreed on ping.
 *
 * <p>Each {@link #ping()} writes 32 random bytes and completes with the round-trip time when the same 32
 * bytes come back. Pings run one after another on the same stream; at most one is in flight. Any
 * failure (timeout, different bytes, extra bytes, EOF) fails the ping with a {@link PingException} and
 * closes the stream, after which every ping fails. {@link #close()} ends the stream (half-close, as the
 * spec asks of the initiator, then close).
 *
 * <p>The constructor adds a handler at the end of the stream's pipeline and turns {@code AUTO_READ} on.
 * Methods may be called from any thread; the work runs on the stream's event loop. Inbound buffers are
 * copied into a fixed 32-byte array and released.
 */
public final class PingClient {
    private static final SecureRandom RANDOM = new SecureRandom();

    private enum State { IDLE, AWAITING, FAILED, CLOSED }

    private final Channel stream;
    private final long timeoutNanos;
    private final Duration timeout;
    private final Handler handler = new Handler();

    /**
     * @param stream a stream channel on which ping has been negotiated and nothing else reads
     * @param timeout how long each ping may take before it fails with {@link Reason#TIMEOUT}
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public PingClient(Channel stream, Duration timeout) {
        this.timeoutNanos = StreamSupport.positiveNanos(timeout, "timeout");
        this.timeout = timeout;
        this.stream = stream;
        StreamSupport.installClient(stream, "crossdial-ping-client", handler);
    }

    /**
     * Sends one ping.
     *
     * @return completes (on the stream's event loop) with the round-trip time in nanoseconds (from handing the
     *     payload to the stream until its 32nd byte came back), or exceptionally with a {@link PingException}: {@link Reason#TIMEOUT},
     *     {@link Reason#MISMATCH} (other bytes came back), {@link Reason#TOO_LARGE} (more than 32 bytes),
     *     {@link Reason#CLOSED} (EOF or a closed stream), {@link Reason#ILLEGAL_STATE} (a ping is in
     *     flight, or the client failed or was closed)
     */
    public CompletableFuture<Long> ping() {
        byte[] payload = new byte[PingResponder.PAYLOAD_BYTES];
        RANDOM.nextBytes(payload);
        return ping(payload);
    }

    /** Sends a ping with a given payload (tests). */
    CompletableFuture<Long> ping(byte[] payload) {
        return StreamSupport.startOnLoop(stream, promise -> handler.start(payload, promise),
                () -> new PingException(Reason.CLOSED, "ping: the stream's event loop is shut down"));
    }

    /**
     * Ends the ping stream: fails a ping in flight with {@link Reason#CLOSED}, half-closes, then closes.
     *
     * @return the stream's close future
     */
    public ChannelFuture close() {
        StreamSupport.runOnLoop(stream, handler::closeByUser);
        return stream.closeFuture();
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private final byte[] received = new byte[PingResponder.PAYLOAD_BYTES];
        private State state = State.IDLE;
        private byte[] expected;
        private int filled;
        private long sentAtNanos;
        private Promise<Long> pending;
        private ScheduledFuture<?> timer;

        void start(byte[] payload, Promise<Long> promise) {
            if (state != State.IDLE) {
                Reason reason = state == State.AWAITING ? Reason.ILLEGAL_STATE : Reason.CLOSED;
                promise.tryFailure(new PingException(reason, "ping: cannot ping, client is " + state));
                return;
            }
            if (!stream.isActive()) {
                state = State.CLOSED;
                promise.tryFailure(new PingException(Reason.CLOSED, "ping: the stream is closed"));
                return;
            }
            state = State.AWAITING;
            expected = payload;
            filled = 0;
            pending = promise;
            timer = stream.eventLoop().schedule(
                    () -> fail(Reason.TIMEOUT, "ping: no answer within " + timeout, null),
                    timeoutNanos, TimeUnit.NANOSECONDS);
            sentAtNanos = System.nanoTime();
            stream.writeAndFlush(stream.alloc().buffer(payload.length).writeBytes(payload)).addListener(f -> {
                if (!f.isSuccess()) {
                    fail(Reason.CLOSED, "ping: writing the payload failed", f.cause());
                }
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf in)) {
                ctx.fireChannelRead(msg);
                return;
            }
            try {
                if (!in.isReadable()) {
                    return;
                }
                if (state != State.AWAITING) {
                    if (state == State.IDLE) {
                        fail(Reason.TOO_LARGE, "ping: " + in.readableBytes() + " bytes arrived with no ping in flight",
                                null);
                    }
                    return;
                }
                int n = Math.min(in.readableBytes(), received.length - filled);
                in.readBytes(received, filled, n);
                filled += n;
                if (filled < received.length) {
                    return;
                }
                long rtt = System.nanoTime() - sentAtNanos;
                if (in.isReadable()) {
                    fail(Reason.TOO_LARGE, "ping: " + in.readableBytes() + " bytes beyond the 32-byte answer", null);
                } else if (!Arrays.equals(received, expected)) {
                    fail(Reason.MISMATCH, "ping: answer " + HexFormat.of().formatHex(received)
                            + " differs from payload " + HexFormat.of().formatHex(expected), null);
                } else {
                    cancelTimer();
                    state = State.IDLE;
                    Promise<Long> p = pending;
                    pending = null;
                    p.trySuccess(rtt);
                }
            } finally {
                in.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                remoteEnded("ping: the responder closed the stream");
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            remoteEnded("ping: the stream closed");
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(Reason.CLOSED, "ping: the stream failed", cause);
        }

        private void remoteEnded(String message) {
            if (state == State.AWAITING) {
                fail(Reason.CLOSED, message, null);
            } else if (state == State.IDLE) {
                state = State.CLOSED;
                stream.close();
            }
        }

        void closeByUser() {
            if (state == State.AWAITING) {
                failPending(new PingException(Reason.CLOSED, "ping: client closed with a ping in flight"));
            }
            if (state != State.FAILED) {
                state = State.CLOSED;
            }
            StreamSupport.finish(stream);
        }

        private void fail(Reason reason, String message, Throwable cause) {
            if (state == State.FAILED) {
                return;
            }
            state = State.FAILED;
            failPending(new PingException(reason, message, cause));
            stream.close();
        }

        private void failPending(PingException e) {
            cancelTimer();
            Promise<Long> p = pending;
            pending = null;
            if (p != null) {
                p.tryFailure(e);
            }
        }

        private void cancelTimer() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }
    }
}
