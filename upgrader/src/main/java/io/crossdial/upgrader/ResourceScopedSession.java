package io.crossdial.upgrader;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.Role;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

/**
 * A muxed session whose streams are reserved in a {@link ResourceManager.ConnectionScope}: outbound streams
 * in {@link #openStream}, inbound ones by {@link InboundGate}, the handler the muxer adds to every stream the
 * remote opens. Each reservation is released when the stream's channel closes. Thread-safe as the delegate.
 */
final class ResourceScopedSession implements MuxedSession {
    private final MuxedSession delegate;
    private final ResourceManager.ConnectionScope scope;

    ResourceScopedSession(MuxedSession delegate, ResourceManager.ConnectionScope scope) {
        this.delegate = delegate;
        this.scope = scope;
    }

    @Override
    public String protocolId() {
        return delegate.protocolId();
    }

    @Override
    public Channel connection() {
        return delegate.connection();
    }

    /** Reserves the stream first; a refusal fails the future with {@link ResourceLimitExceededException}. */
    @Override
    public Future<MuxedStream> openStream(ChannelHandler handler) {
        ResourceManager.StreamScope stream;
        try {
            stream = scope.reserveStream(Role.INITIATOR);
        } catch (ResourceLimitExceededException e) {
            return delegate.connection().eventLoop().newFailedFuture(e);
        }
        Promise<MuxedStream> result = delegate.connection().eventLoop().newPromise();
        delegate.openStream(handler).addListener((Future<MuxedStream> f) -> {
            if (f.isSuccess()) {
                f.getNow().closeFuture().addListener(c -> stream.close());
                if (!result.trySuccess(f.getNow())) {
                    f.getNow().reset();
                }
            } else {
                stream.close();
                result.tryFailure(f.cause());
            }
        });
        return result;
    }

    @Override
    public int streamCount() {
        return delegate.streamCount();
    }

    @Override
    public ChannelFuture close() {
        return delegate.close();
    }

    @Override
    public String toString() {
        return delegate.toString();
    }

    /**
     * Added by the muxer to each inbound stream in place of the application's handler: reserves the stream,
     * then puts the application's handler in its place, or resets the stream when the reservation is refused.
     */
    @ChannelHandler.Sharable
    static final class InboundGate extends ChannelHandlerAdapter {
        private final ResourceManager.ConnectionScope scope;
        private final ChannelHandler inner;

        InboundGate(ResourceManager.ConnectionScope scope, ChannelHandler inner) {
            this.scope = scope;
            this.inner = inner;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            Channel ch = ctx.channel();
            ResourceManager.StreamScope stream;
            try {
                stream = scope.reserveStream(Role.RESPONDER);
            } catch (ResourceLimitExceededException e) {
                ctx.pipeline().remove(this);
                if (ch instanceof MuxedStream muxed) {
                    muxed.reset();
                } else {
                    ch.close();
                }
                return;
            }
            ch.closeFuture().addListener(f -> stream.close());
            ctx.pipeline().addAfter(ctx.name(), null, inner);
            ctx.pipeline().remove(this);
        }
    }
}
