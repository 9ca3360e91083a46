package io.crossdial.host.protocol;

import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.core.varint.VarintException;
import io.crossdial.host.protocol.StreamProtocolException.Reason;
import io.crossdial.host.protocol.pb.IdentifyProtos;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The asking side of identify ({@value ProtocolIds#IDENTIFY}, libp2p/specs {@code identify/README.md}) on
 * a stream where multistream-select has already agreed on identify: it reads the responder's
 * varint-length-prefixed {@code Identify} message until the responder's EOF and completes
 * {@link #result()} with its {@link IdentifyInfo}; then it closes the stream.
 *
 * <p>Every implementation sends one message; go-libp2p may send up to 10 parts (the signed peer record
 * apart), which are merged as protobuf merging does. Limits, checked before anything is buffered: at most
 * {@code maxBytes} in total (64 KiB by default, prefixes included; a length prefix announcing more fails at
 * once) and at most {@value #MAX_MESSAGES} messages. When the timeout strikes after at least one whole
 * message and nothing partial, the result completes with what arrived (the responder only forgot its
 * EOF); otherwise it fails with {@link Reason#TIMEOUT}.
 *
 * <p>The constructor adds a handler at the end of the stream's pipeline, turns {@code AUTO_READ} on and
 * starts the timeout. Bytes of an incomplete message are kept in one buffer of at most {@code maxBytes},
 * released when the client finishes. Thread-safe: the work runs on the stream's event loop.
 */
public final class IdentifyClient {
    /** The total-size limit of the two-argument constructor: 64 KiB. */
    public static final int DEFAULT_MAX_BYTES = 64 * 1024;
    /** The most messages merged into one result (go-libp2p's limit): {@value}. */
    public static final int MAX_MESSAGES = 10;

    private final Channel stream;
    private final int maxBytes;
    private final Duration timeout;
    private final Promise<IdentifyInfo> promise;
    private final CompletableFuture<IdentifyInfo> result;

    /**
     * @param stream a stream channel on which identify has been negotiated and nothing else reads
     * @param timeout how long to wait for the message and the responder's EOF
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public IdentifyClient(Channel stream, Duration timeout) {
        this(stream, timeout, DEFAULT_MAX_BYTES);
    }

    /**
     * @param stream a stream channel on which identify has been negotiated and nothing else reads
     * @param timeout how long to wait for the message and the responder's EOF
     * @param maxBytes the most bytes read from the stream, length prefixes included
     * @throws IllegalArgumentException if the timeout or {@code maxBytes} is not positive
     */
    public IdentifyClient(Channel stream, Duration timeout, int maxBytes) {
        long timeoutNanos = StreamSupport.positiveNanos(timeout, "timeout");
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
        }
        this.stream = stream;
        this.maxBytes = maxBytes;
        this.timeout = timeout;
        this.promise = stream.eventLoop().newPromise();
        this.result = io.crossdial.host.internal.Futures.toCompletable(promise);
        StreamSupport.installClient(stream, "crossdial-identify-client", new Handler(timeoutNanos));
    }

    /**
     * @return completes (on the stream's event loop) with the responder's info, or exceptionally with an
     *     {@link IdentifyException}:
     *     {@link Reason#TOO_LARGE} (over {@code maxBytes}), {@link Reason#MALFORMED} (bad varint, bad
     *     protobuf, invalid public key, more than {@value #MAX_MESSAGES} messages), {@link Reason#CLOSED}
     *     (EOF before a whole message, a closed stream), {@link Reason#TIMEOUT}
     */
    public CompletableFuture<IdentifyInfo> result() {
        return result;
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private final long timeoutNanos;
        private final IdentifyProtos.Identify.Builder merged = IdentifyProtos.Identify.newBuilder();
        private ByteBuf partial;
        private long totalBytes;
        private int messages;
        private boolean done;
        private ScheduledFuture<?> timer;

        Handler(long timeoutNanos) {
            this.timeoutNanos = timeoutNanos;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            timer = ctx.executor().schedule(this::onTimeout, timeoutNanos, TimeUnit.NANOSECONDS);
            if (!ctx.channel().isActive() && ctx.channel().isRegistered()) {
                fail(Reason.CLOSED, "identify: the stream is closed", null);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf in)) {
                ctx.fireChannelRead(msg);
                return;
            }
            try {
                if (done || !in.isReadable()) {
                    return;
                }
                totalBytes += in.readableBytes();
                if (totalBytes > maxBytes) {
                    fail(Reason.TOO_LARGE, "identify: more than " + maxBytes + " bytes received", null);
                    return;
                }
                if (partial == null) {
                    partial = ctx.alloc().heapBuffer(in.readableBytes(), maxBytes);
                }
                partial.writeBytes(in);
            } finally {
                in.release();
            }
            parseFrames();
        }

        private void parseFrames() {
            while (!done && partial.isReadable()) {
                int start = partial.readerIndex();
                long length;
                try {
                    length = UnsignedVarint.tryDecode(partial, UnsignedVarint.MAX_VALUE);
                } catch (VarintException e) {
                    fail(Reason.MALFORMED, "identify: bad length prefix", e);
                    return;
                }
                if (length == UnsignedVarint.INCOMPLETE) {
                    break;
                }
                if (length > maxBytes) {
                    fail(Reason.TOO_LARGE, "identify: message of " + length + " bytes announced, limit " + maxBytes,
                            null);
                    return;
                }
                if (partial.readableBytes() < length) {
                    partial.readerIndex(start);
                    break;
                }
                if (++messages > MAX_MESSAGES) {
                    fail(Reason.MALFORMED, "identify: more than " + MAX_MESSAGES + " messages", null);
                    return;
                }
                byte[] message = new byte[(int) length];
                partial.readBytes(message);
                try {
                    IdentifyCodec.mergeMessage(merged, message);
                } catch (IdentifyException e) {
                    fail(e);
                    return;
                }
            }
            if (!done) {
                partial.discardReadBytes();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ended("the responder half-closed");
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ended("the stream closed");
            ctx.fireChannelInactive();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            if (!done) {
                fail(Reason.CLOSED, "identify: the client handler was removed", null);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(Reason.CLOSED, "identify: the stream failed", cause);
        }

        private void ended(String how) {
            if (done) {
                return;
            }
            if (partial != null && partial.isReadable()) {
                fail(Reason.CLOSED, "identify: " + how + " inside a message (" + partial.readableBytes()
                        + " bytes pending)", null);
            } else if (messages == 0) {
                fail(Reason.CLOSED, "identify: " + how + " before any message", null);
            } else {
                complete();
            }
        }

        private void onTimeout() {
            timer = null;
            if (done) {
                return;
            }
            if (messages > 0 && (partial == null || !partial.isReadable())) {
                complete();
            } else {
                fail(Reason.TIMEOUT, "identify: no complete message within " + timeout + " (" + totalBytes
                        + " bytes received)", null);
            }
        }

        private void complete() {
            IdentifyInfo info;
            try {
                info = IdentifyCodec.fromMessage(merged.build());
            } catch (IdentifyException e) {
                fail(e);
                return;
            }
            finish();
            StreamSupport.finish(stream);
            promise.trySuccess(info);
        }

        private void fail(Reason reason, String message, Throwable cause) {
            fail(new IdentifyException(reason, message, cause));
        }

        private void fail(IdentifyException e) {
            if (done) {
                return;
            }
            finish();
            stream.close();
            promise.tryFailure(e);
        }

        private void finish() {
            done = true;
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            if (partial != null) {
                partial.release();
                partial = null;
            }
        }
    }
}
