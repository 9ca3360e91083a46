package io.crossdial.muxer;

import io.crossdial.core.spi.MuxedStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.nio.channels.ClosedChannelException;
import java.util.function.BiConsumer;

/**
 * Steps every muxed session takes the same way, for {@link io.crossdial.core.spi.StreamMuxer}
 * implementations (the mplex and yamux sessions): install a handler where {@code StreamMuxer.install} asks,
 * hand {@code openStream} to the connection's event loop, complete the open once the stream channel is
 * registered, and write a session frame to the connection.
 * Stateless; each method says on which thread it may run.
 */
public final class SessionSupport {
    private SessionSupport() {}

    /**
     * Adds {@code handler} as {@code name} before {@code beforeName}, or at the end of the pipeline when
     * {@code beforeName} is null (the contract of {@code StreamMuxer.install}). On the event loop.
     */
    public static void addHandler(ChannelPipeline pipeline, String beforeName, String name, ChannelHandler handler) {
        if (beforeName == null) {
            pipeline.addLast(name, handler);
        } else {
            pipeline.addBefore(beforeName, name, handler);
        }
    }

    /**
     * The body of {@link io.crossdial.core.spi.MuxedSession#openStream}: runs {@code open} with the handler and
     * a new promise on {@code connection}'s event loop (at once when already there). Any thread.
     *
     * @return the promise {@code open} completes, or one already failed with an
     *     {@link IllegalArgumentException} when {@code streamHandler} is null
     */
    public static Future<MuxedStream> openOnLoop(Channel connection, ChannelHandler streamHandler,
            BiConsumer<ChannelHandler, Promise<MuxedStream>> open) {
        Promise<MuxedStream> promise = connection.eventLoop().newPromise();
        if (streamHandler == null) {
            return promise.setFailure(new IllegalArgumentException("stream handler is required"));
        }
        if (connection.eventLoop().inEventLoop()) {
            open.accept(streamHandler, promise);
        } else {
            connection.eventLoop().execute(() -> open.accept(streamHandler, promise));
        }
        return promise;
    }

    /**
     * Completes an outbound open when {@code registered} (the stream channel's registration) does: succeeds
     * {@code promise} with {@code stream}, or resets the stream if the promise was already done (cancelled);
     * on a failed registration fails the promise and closes the stream forcibly.
     */
    public static void completeOpen(ChannelFuture registered, AbstractMuxedStreamChannel stream,
            Promise<MuxedStream> promise) {
        registered.addListener(f -> {
            if (f.isSuccess()) {
                if (!promise.trySuccess(stream)) {
                    stream.reset();
                }
            } else {
                promise.tryFailure(f.cause());
                stream.unsafe().closeForcibly();
            }
        });
    }

    /**
     * Writes one session frame (not flushed). On the event loop.
     *
     * <p>Reference counting: {@code frame} is handed to {@code ctx}, or released here when {@code ctx} is null
     * (the session handler is not installed) or {@code closed} is set; {@code promise} then fails with a
     * {@link ClosedChannelException}.
     *
     * @param promise completed with the write's outcome, or null to write with the void promise
     */
    public static void writeFrame(ChannelHandlerContext ctx, boolean closed, Object frame, ChannelPromise promise) {
        if (ctx == null || closed) {
            ReferenceCountUtil.release(frame);
            if (promise != null) {
                promise.tryFailure(new ClosedChannelException());
            }
            return;
        }
        if (promise == null) {
            // Not the void promise: a write that fails because the connection just closed would fire that
            // failure through the pipeline as a ClosedChannelException, which is not a protocol error.
            ctx.write(frame);
        } else {
            ctx.write(frame).addListener(f -> {
                if (f.isSuccess()) {
                    promise.trySuccess();
                } else {
                    promise.tryFailure(f.cause());
                }
            });
        }
    }
}
