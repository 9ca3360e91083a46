package io.crossdial.bench;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.crossdial.muxer.yamux.YamuxConfig;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * yamux through its public SPI ({@link YamuxStreamMuxer} installed on two {@code EmbeddedChannel}s, one stream
 * open between them), in one thread: a stream write of {@code payloadBytes} is framed as yamux Data frames
 * (12-byte header each), handed to the other session, decoded and delivered to the receiving stream, and the
 * WindowUpdates it sends back are delivered too. This is the codec and session work per Data frame that a
 * connection does, without sockets or encryption. Times per write, in nanoseconds.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class YamuxBench {
    /** Data payload bytes per write (16 KiB; 256 KiB, the initial window). */
    @Param({"16384", "262144"})
    public int payloadBytes;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private EmbeddedChannel client;
    private EmbeddedChannel server;
    private MuxedStream stream;
    private final Sink sink = new Sink();

    /** Counts and releases what the receiving stream reads. */
    @ChannelHandler.Sharable
    static final class Sink extends ChannelInboundHandlerAdapter {
        long received;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            received += ((ByteBuf) msg).readableBytes();
            ReferenceCountUtil.release(msg);
        }
    }

    /** Connects two sessions and opens one stream. */
    @Setup
    public void setup() {
        YamuxConfig config = YamuxConfig.builder().keepAliveIntervalMillis(0).build();
        client = new EmbeddedChannel();
        server = new EmbeddedChannel();
        MuxedSession a = new YamuxStreamMuxer(config).install(client.pipeline(), null,
                new MuxerContext(Role.INITIATOR, new ChannelInboundHandlerAdapter(), 1000));
        new YamuxStreamMuxer(config).install(server.pipeline(), null, new MuxerContext(Role.RESPONDER, sink, 1000));
        Future<MuxedStream> opened = a.openStream(new ChannelInboundHandlerAdapter());
        pump();
        if (!opened.isSuccess()) {
            throw new IllegalStateException("stream did not open", opened.cause());
        }
        stream = opened.getNow();
    }

    /** Closes both sides and releases what is left. */
    @TearDown
    public void tearDown() {
        client.finishAndReleaseAll();
        server.finishAndReleaseAll();
    }

    /** @return payload bytes the receiving stream read; one stream write, delivered with its window updates */
    @Benchmark
    public long writeAndDeliver() {
        long before = sink.received;
        stream.writeAndFlush(alloc.directBuffer(payloadBytes).writerIndex(payloadBytes));
        pump();
        long n = sink.received - before;
        if (n != payloadBytes) {
            throw new IllegalStateException("delivered " + n + " of " + payloadBytes + " bytes");
        }
        return n;
    }

    private void pump() {
        boolean moved;
        do {
            moved = move(client, server) | move(server, client);
            client.runPendingTasks();
            server.runPendingTasks();
        } while (moved);
    }

    private static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        for (Object msg; (msg = from.readOutbound()) != null; ) {
            moved = true;
            to.writeInbound(msg);
        }
        return moved;
    }
}
