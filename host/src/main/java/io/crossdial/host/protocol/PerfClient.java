package io.crossdial.host.protocol;

import io.crossdial.host.protocol.StreamProtocolException.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The client side of perf ({@value ProtocolIds#PERF}, libp2p/specs {@code perf/perf.md}) on a stream where
 * multistream-select has already agreed on perf; see {@link PerfResponder} for the byte layout.
 * {@link #run(long, long)} writes the 8-byte big-endian count of bytes wanted back, uploads the given
 * number of bytes, half-closes, then counts the download until the server's EOF. One run per client (and
 * per stream).
 *
 * <p>Uploads are written in 64 KiB chunks (retained slices of one zero-filled 64 KiB buffer), only while
 * the stream is writable; downloads are counted and released, never stored. The timeout is an idle
 * timeout: the run fails when no byte was read or written for that long.
 *
 * <p>The constructor adds a handler at the end of the stream's pipeline and turns {@code AUTO_READ} on.
 * Methods may be called from any thread. The stream is closed when the run ends.
 */
public final class PerfClient {
    private enum State { NEW, UPLOAD, DOWNLOAD, DONE }

    private final Channel stream;
    private final Duration idleTimeout;
    private final long idleTimeoutNanos;
    private final Handler handler = new Handler();

    /**
     * @param stream a stream channel on which perf has been negotiated and nothing else reads
     * @param idleTimeout how long the run may go without progress
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public PerfClient(Channel stream, Duration idleTimeout) {
        this.idleTimeoutNanos = StreamSupport.positiveNanos(idleTimeout, "idleTimeout");
        this.idleTimeout = idleTimeout;
        this.stream = stream;
        StreamSupport.installClient(stream, "crossdial-perf-client", handler);
    }

    /**
     * Opens {@code streams} perf streams on {@code connection} at once and runs them in parallel with the same
     * amounts (what {@code crossdial perf --streams N} and the benchmark harness do).
     *
     * @param connection an upgraded connection to a perf server
     * @param streams how many parallel streams, at least 1
     * @param uploadBytes bytes each stream uploads, at least 0
     * @param downloadBytes bytes each stream asks for, at least 0
     * @param idleTimeout how long one stream may go without progress
     * @param openTimeoutMillis how long opening one stream may take, ms
     * @param runTimeoutMillis how long each stream's run may take from its start, ms
     * @return completes (on the connection's event loop) with the bytes summed over the streams and the phase
     *     times of the slowest stream, or exceptionally with the failure of the first stream (in opening order)
     *     that failed: its opening's or its run's failure (for example a {@link PerfException}), or an
     *     {@link IllegalStateException} naming the step that timed out (that step is cancelled)
     * @throws IllegalArgumentException (nothing opened) if {@code streams} is below 1 or a count is negative
     */
    public static CompletableFuture<PerfResult> runParallel(io.crossdial.host.Connection connection, int streams,
            long uploadBytes, long downloadBytes, Duration idleTimeout, long openTimeoutMillis,
            long runTimeoutMillis) {
        if (streams < 1) {
            throw new IllegalArgumentException("streams must be at least 1: " + streams);
        }
        if (uploadBytes < 0 || downloadBytes < 0) {
            throw new IllegalArgumentException("perf byte counts must be at least 0: " + uploadBytes + ", "
                    + downloadBytes);
        }
        io.netty.channel.EventLoop loop = connection.channel().eventLoop();
        java.util.List<CompletableFuture<PerfResult>> runs = new java.util.ArrayList<>(streams);
        for (int i = 0; i < streams; i++) {
            runs.add(io.crossdial.host.internal.Futures.within(loop, connection.newStream(s -> new PerfClient(s, idleTimeout),
                    ProtocolIds.PERF), openTimeoutMillis, "opening a perf stream")
                    .thenCompose(client -> io.crossdial.host.internal.Futures.within(loop, client.run(uploadBytes, downloadBytes),
                            runTimeoutMillis, "perf run")));
        }
        CompletableFuture<PerfResult> sum = CompletableFuture.completedFuture(new PerfResult(0, 0, 0, 0));
        for (CompletableFuture<PerfResult> run : runs) {
            sum = sum.thenCompose(acc -> run.thenApply(r -> new PerfResult(acc.uploadBytes() + r.uploadBytes(),
                    acc.downloadBytes() + r.downloadBytes(), Math.max(acc.uploadNanos(), r.uploadNanos()),
                    Math.max(acc.downloadNanos(), r.downloadNanos()))));
        }
        return sum;
    }

    /**
     * Runs one perf exchange.
     *
     * @param uploadBytes bytes to upload, at least 0
     * @param downloadBytes bytes to ask the server for, at least 0
     * @return completes (on the stream's event loop) with the counts and phase times, or exceptionally with a
     *     {@link PerfException}:
     *     {@link Reason#TOO_LARGE} (the server sent more than asked), {@link Reason#MALFORMED} (the
     *     server sent before the upload ended), {@link Reason#CLOSED} (EOF before all bytes, or a failed
     *     write), {@link Reason#TIMEOUT}, {@link Reason#ILLEGAL_STATE} (called twice)
     * @throws IllegalArgumentException if a count is negative
     */
    public CompletableFuture<PerfResult> run(long uploadBytes, long downloadBytes) {
        if (uploadBytes < 0 || downloadBytes < 0) {
            throw new IllegalArgumentException("perf byte counts must be at least 0: " + uploadBytes + ", "
                    + downloadBytes);
        }
        return StreamSupport.startOnLoop(stream, promise -> handler.start(uploadBytes, downloadBytes, promise),
                () -> new PerfException(Reason.CLOSED, "perf: the stream's event loop is shut down"));
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private State state = State.NEW;
        private PerfException failure;
        private Promise<PerfResult> promise;
        private long upload;
        private long download;
        private long uploaded;
        private long downloaded;
        private long startNanos;
        private long uploadEndNanos;
        private boolean uploadEnded;
        private boolean writing;
        private ByteBuf chunk;
        private StreamSupport.IdleTimer idle;

        void start(long uploadBytes, long downloadBytes, Promise<PerfResult> p) {
            if (state != State.NEW) {
                // A stream that failed or ended before the first call reports that failure.
                p.tryFailure(failure != null ? failure
                        : new PerfException(Reason.ILLEGAL_STATE, "perf: one run per client"));
                return;
            }
            state = State.UPLOAD;
            promise = p;
            upload = uploadBytes;
            download = downloadBytes;
            if (!stream.isActive()) {
                fail(Reason.CLOSED, "perf: the stream is closed", null);
                return;
            }
            idle = new StreamSupport.IdleTimer(idleTimeoutNanos, () -> fail(Reason.TIMEOUT, "perf: no progress for "
                    + idleTimeout + " in " + state + " (uploaded " + uploaded + ", downloaded " + downloaded + ")",
                    null));
            idle.start(stream.eventLoop());
            startNanos = System.nanoTime();
            stream.write(stream.alloc().buffer(PerfResponder.HEADER_BYTES).writeLong(download))
                    .addListener(this::onWritten);
            uploadMore();
        }

        private void onWritten(io.netty.util.concurrent.Future<? super Void> f) {
            if (f.isSuccess()) {
                idle.progress();
            } else {
                fail(Reason.CLOSED, "perf: writing the upload failed", f.cause());
            }
        }

        private void uploadMore() {
            // A write can fire a writability change that calls back in here: never run nested.
            if (state != State.UPLOAD || writing) {
                return;
            }
            writing = true;
            if (chunk == null && upload > 0) {
                chunk = stream.alloc().directBuffer(StreamSupport.CHUNK_BYTES).writeZero(StreamSupport.CHUNK_BYTES);
            }
            ChannelFuture last = null;
            while (state == State.UPLOAD && uploaded < upload && stream.isWritable()) {
                int n = (int) Math.min(StreamSupport.CHUNK_BYTES, upload - uploaded);
                uploaded += n;
                last = stream.write(chunk.retainedSlice(0, n));
                last.addListener(this::onWritten);
            }
            if (state == State.UPLOAD && uploaded == upload) {
                releaseChunk();
                ChannelFuture eofAfter = last != null ? last : stream.write(io.netty.buffer.Unpooled.EMPTY_BUFFER);
                state = State.DOWNLOAD;
                eofAfter.addListener(f -> {
                    if (f.isSuccess() && state == State.DOWNLOAD) {
                        uploadEndNanos = System.nanoTime();
                        uploadEnded = true;
                        StreamSupport.halfClose(stream);
                    }
                });
            }
            writing = false;
            stream.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (state == State.UPLOAD) {
                uploadMore();
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
                if (state != State.DOWNLOAD || !uploadEnded) {
                    fail(Reason.MALFORMED, "perf: the server sent " + n + " bytes before the upload ended", null);
                    return;
                }
                if (n > download - downloaded) {
                    fail(Reason.TOO_LARGE, "perf: the server sent more than the " + download + " bytes asked for",
                            null);
                    return;
                }
                downloaded += n;
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
        public void handlerRemoved(ChannelHandlerContext ctx) {
            releaseChunk();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(Reason.CLOSED, "perf: the stream failed", cause);
        }

        private void remoteEnded() {
            if (state == State.NEW) {
                fail(Reason.CLOSED, "perf: the stream ended before the run started", null);
                return;
            }
            if (state == State.DONE) {
                return;
            }
            if (state != State.DOWNLOAD || !uploadEnded || downloaded < download) {
                fail(Reason.CLOSED, "perf: the stream ended in " + state + " after uploading " + uploaded + " of "
                        + upload + " and downloading " + downloaded + " of " + download + " bytes", null);
                return;
            }
            long end = System.nanoTime();
            state = State.DONE;
            idle.stop();
            StreamSupport.finish(stream);
            promise.trySuccess(new PerfResult(uploaded, downloaded, uploadEndNanos - startNanos, end - uploadEndNanos));
        }

        private void fail(Reason reason, String message, Throwable cause) {
            if (state == State.DONE) {
                return;
            }
            state = State.DONE;
            if (idle != null) {
                idle.stop();
            }
            releaseChunk();
            stream.close();
            failure = new PerfException(reason, message, cause);
            if (promise != null) {
                promise.tryFailure(failure);
            }
        }

        private void releaseChunk() {
            if (chunk != null) {
                chunk.release();
                chunk = null;
            }
        }
    }
}
