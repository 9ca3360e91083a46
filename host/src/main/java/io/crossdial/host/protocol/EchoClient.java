package io.crossdial.host.protocol;

import io.crossdial.host.protocol.StreamProtocolException.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The initiating side of echo ({@value ProtocolIds#ECHO}) on a stream where multistream-select has
 * already agreed on echo: {@link #echo(byte[])} sends the bytes, half-closes, reads the echo until the
 * responder's EOF and checks it byte for byte. One exchange per client (and per stream).
 *
 * <p>Writes go out in 64 KiB chunks, only while the stream is writable. The echo is collected into one
 * array of exactly the sent length; a byte beyond it fails the exchange at once. The timeout is an idle
 * timeout: the exchange fails when no byte was read or written for that long.
 *
 * <p>The constructor adds a handler at the end of the stream's pipeline and turns {@code AUTO_READ} on.
 * Methods may be called from any thread. Inbound buffers are copied and released. The stream is closed
 * when the exchange ends, successfully or not.
 */
public final class EchoClient {
    private enum State { NEW, RUNNING, DONE }

    private final Channel stream;
    private final Duration idleTimeout;
    private final long idleTimeoutNanos;
    private final Handler handler = new Handler();

    /**
     * @param stream a stream channel on which echo has been negotiated and nothing else reads
     * @param idleTimeout how long the exchange may go without progress
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public EchoClient(Channel stream, Duration idleTimeout) {
        this.idleTimeoutNanos = StreamSupport.positiveNanos(idleTimeout, "idleTimeout");
        this.idleTimeout = idleTimeout;
        this.stream = stream;
        StreamSupport.installClient(stream, "crossdial-echo-client", handler);
    }

    /**
     * Sends {@code data} (copied first), half-closes, and awaits the echo and the responder's EOF.
     *
     * @param data the bytes to send; empty is allowed
     * @return completes (on the stream's event loop) with the echoed bytes (equal to {@code data}), or
     *     exceptionally with an {@link EchoException}: {@link Reason#MISMATCH} (names the first differing offset),
     *     {@link Reason#TOO_LARGE} (more bytes than sent), {@link Reason#CLOSED} (EOF or close before all
     *     bytes came back, or a failed write), {@link Reason#TIMEOUT}, {@link Reason#ILLEGAL_STATE}
     *     (called twice)
     */
    public CompletableFuture<byte[]> echo(byte[] data) {
        byte[] copy = data.clone();
        return StreamSupport.startOnLoop(stream, promise -> handler.start(copy, promise),
                () -> new EchoException(Reason.CLOSED, "echo: the stream's event loop is shut down"));
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private State state = State.NEW;
        private EchoException failure;
        private Promise<byte[]> promise;
        private byte[] sent;
        private byte[] received;
        private int writtenBytes;
        private boolean allWritten;
        private boolean writing;
        private int receivedBytes;
        private StreamSupport.IdleTimer idle;

        void start(byte[] data, Promise<byte[]> p) {
            if (state != State.NEW) {
                // A stream that failed or ended before the first call reports that failure.
                p.tryFailure(failure != null ? failure
                        : new EchoException(Reason.ILLEGAL_STATE, "echo: one exchange per client"));
                return;
            }
            state = State.RUNNING;
            promise = p;
            if (!stream.isActive()) {
                fail(Reason.CLOSED, "echo: the stream is closed", null);
                return;
            }
            sent = data;
            received = new byte[data.length];
            idle = new StreamSupport.IdleTimer(idleTimeoutNanos,
                    () -> fail(Reason.TIMEOUT, "echo: no progress for " + idleTimeout + " (sent " + writtenBytes
                            + ", received " + receivedBytes + " of " + sent.length + " bytes)", null));
            idle.start(stream.eventLoop());
            writeMore();
        }

        private void writeMore() {
            // A write can fire a writability change that calls back in here: never run nested.
            if (state != State.RUNNING || allWritten || writing) {
                return;
            }
            writing = true;
            ChannelFuture last = null;
            while (state == State.RUNNING && writtenBytes < sent.length && stream.isWritable()) {
                int offset = writtenBytes;
                int n = Math.min(StreamSupport.CHUNK_BYTES, sent.length - offset);
                writtenBytes += n;
                last = stream.write(Unpooled.wrappedBuffer(sent, offset, n));
                last.addListener(f -> {
                    if (f.isSuccess()) {
                        idle.progress();
                    } else {
                        fail(Reason.CLOSED, "echo: writing failed", f.cause());
                    }
                });
            }
            if (state == State.RUNNING && writtenBytes == sent.length) {
                allWritten = true;
                // Half-close once the last chunk is written (writes complete in order).
                ChannelFuture eofAfter = last != null ? last : stream.write(Unpooled.EMPTY_BUFFER);
                eofAfter.addListener(f -> {
                    if (f.isSuccess() && state == State.RUNNING) {
                        StreamSupport.halfClose(stream);
                    }
                });
            }
            writing = false;
            stream.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (state == State.RUNNING && !allWritten) {
                writeMore();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf in)) {
                ctx.fireChannelRead(msg);
                return;
            }
            try {
                int n = in.readableBytes();
                if (n == 0 || state == State.DONE) {
                    return;
                }
                if (state == State.NEW || n > received.length - receivedBytes) {
                    fail(Reason.TOO_LARGE, "echo: " + n + " more bytes after " + receivedBytes + " in " + state + ", more than the " + (sent == null ? 0 : sent.length)
                            + " bytes sent", null);
                    return;
                }
                in.readBytes(received, receivedBytes, n);
                receivedBytes += n;
                idle.progress();
            } finally {
                in.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                remoteEnded();
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            remoteEnded();
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(Reason.CLOSED, "echo: the stream failed", cause);
        }

        private void remoteEnded() {
            if (state == State.NEW) {
                fail(Reason.CLOSED, "echo: the stream ended before the exchange started", null);
                return;
            }
            if (state != State.RUNNING) {
                return;
            }
            if (receivedBytes < received.length) {
                fail(Reason.CLOSED, "echo: the stream ended after " + receivedBytes + " of " + received.length
                        + " bytes", null);
                return;
            }
            for (int i = 0; i < received.length; i++) {
                if (received[i] != sent[i]) {
                    fail(Reason.MISMATCH, "echo: byte " + i + " is " + (received[i] & 0xFF) + ", sent "
                            + (sent[i] & 0xFF), null);
                    return;
                }
            }
            state = State.DONE;
            idle.stop();
            StreamSupport.finish(stream);
            promise.trySuccess(received);
        }

        private void fail(Reason reason, String message, Throwable cause) {
            if (state == State.DONE) {
                return;
            }
            state = State.DONE;
            if (idle != null) {
                idle.stop();
            }
            stream.close();
            failure = new EchoException(reason, message, cause);
            if (promise != null) {
                promise.tryFailure(failure);
            }
        }
    }
}
