package io.crossdial.muxer.example;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.muxer.AbstractMuxedStreamChannel;
import io.crossdial.muxer.MuxerException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A deliberately small muxer for the "Writing your own muxer" guide, {@code /crossdial-example-muxer/1.0.0}.
 * Not for production. Every frame is a 9-byte header, and DATA frames carry a payload:
 *
 * <pre>
 * | flag: 1 byte | stream ID: 4 bytes (big-endian) | length: 4 bytes | payload (DATA only) |
 *   flag 0 OPEN, 1 DATA (length = payload bytes, at most 64 KiB), 2 FIN, 3 RESET,
 *        4 CREDIT (length = how many more DATA bytes the receiver accepts)
 * </pre>
 *
 * The initiator opens odd stream IDs, the responder even ones. Each stream may first send 256 KiB; the
 * reader grants more with CREDIT as its application consumes data, which bounds every buffer.
 */
public final class ExampleStreamMuxer implements StreamMuxer {
    /** The multistream-select protocol ID. */
    public static final String PROTOCOL_ID = "/crossdial-example-muxer/1.0.0";
    static final int OPEN = 0, DATA = 1, FIN = 2, RESET = 3, CREDIT = 4;
    static final int HEADER_BYTES = 9;
    static final int MAX_DATA_BYTES = 64 * 1024;
    static final int WINDOW_BYTES = 256 * 1024;

    @Override
    public String protocolId() {
        return PROTOCOL_ID;
    }

    @Override
    public MuxedSession install(ChannelPipeline pipeline, String beforeName, MuxerContext context) {
        Session session = new Session(pipeline.channel(), context);
        pipeline.addBefore(beforeName, "example-muxer", session);
        return session;
    }

    /** The protocol error of this muxer: a typed {@link io.crossdial.core.CrossdialException}. */
    public static final class ExampleMuxerException extends MuxerException {
        private static final long serialVersionUID = 1L;

        ExampleMuxerException(String message) {
            super(message, true, null);
        }
    }

    /** Decodes frames and dispatches them to streams; writes frames for the streams. Event loop only. */
    static final class Session extends ByteToMessageDecoder implements MuxedSession {
        private final Channel channel;
        private final MuxerContext context;
        private final Map<Long, Stream> streams = new HashMap<>();
        private volatile int streamCount;
        private long nextId;
        private ChannelHandlerContext ctx;
        private boolean reading;

        Session(Channel channel, MuxerContext context) {
            this.channel = channel;
            this.context = context;
            this.nextId = context.role() == Role.INITIATOR ? 1 : 2;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext c) {
            ctx = c;
        }

        @Override
        protected void decode(ChannelHandlerContext c, ByteBuf in, List<Object> out) {
            while (in.readableBytes() >= HEADER_BYTES && channel.isActive()) {
                int flag = in.getUnsignedByte(in.readerIndex());
                long id = in.getUnsignedInt(in.readerIndex() + 1);
                long length = in.getUnsignedInt(in.readerIndex() + 5);
                if (flag > CREDIT || (flag == DATA && length > MAX_DATA_BYTES)) {
                    in.skipBytes(in.readableBytes());
                    c.fireExceptionCaught(new ExampleMuxerException("bad frame: flag " + flag + ", length " + length));
                    c.close();
                    return;
                }
                if (flag == DATA && in.readableBytes() < HEADER_BYTES + length) {
                    return;
                }
                in.skipBytes(HEADER_BYTES);
                Stream stream = flag == OPEN ? accept(id) : streams.get(id);
                if (flag == DATA) {
                    ByteBuf data = in.readRetainedSlice((int) length);
                    if (stream == null) {
                        data.release();
                    } else if (!stream.received(data)) {
                        stream.reset(); // the sender ignored its credit (the base class released the data)
                    }
                } else if (stream != null && flag == FIN) {
                    stream.finReceived();
                } else if (stream != null && flag == RESET) {
                    stream.resetReceived();
                } else if (stream != null && flag == CREDIT) {
                    stream.credit(length);
                }
            }
        }

        private Stream accept(long id) {
            if (streams.size() >= context.maxInboundStreams() || streams.containsKey(id)) {
                writeFrame(RESET, id, null, 0, null);
                flush();
                return null;
            }
            Stream stream = new Stream(this, id, false);
            stream.pipeline().addLast(context.inboundStreamHandler());
            streams.put(id, stream);
            streamCount = streams.size();
            channel.eventLoop().register(stream);
            return stream;
        }

        @Override
        public Future<MuxedStream> openStream(ChannelHandler handler) {
            Promise<MuxedStream> promise = channel.eventLoop().newPromise();
            channel.eventLoop().execute(() -> {
                if (!channel.isActive()) {
                    promise.setFailure(new ExampleMuxerException("session is closed"));
                    return;
                }
                Stream stream = new Stream(this, nextId, true);
                nextId += 2;
                stream.pipeline().addLast(handler);
                streams.put(stream.streamId(), stream);
                streamCount = streams.size();
                writeFrame(OPEN, stream.streamId(), null, 0, null);
                flush();
                channel.eventLoop().register(stream).addListener(f -> promise.trySuccess(stream));
            });
            return promise;
        }

        /** Writes one frame; {@code length} is used when there is no data (CREDIT's amount). */
        void writeFrame(int flag, long id, ByteBuf data, long length, ChannelPromise promise) {
            ByteBuf header = ctx.alloc().buffer(HEADER_BYTES);
            header.writeByte(flag).writeInt((int) id).writeInt((int) (data != null ? data.readableBytes() : length));
            if (data != null) {
                ctx.write(header, ctx.voidPromise());
            }
            ByteBuf last = data != null ? data : header;
            if (promise == null) {
                ctx.write(last, ctx.voidPromise());
            } else { // the promise belongs to the stream channel: complete it from the connection's
                ctx.write(last).addListener(f -> {
                    if (f.isSuccess()) {
                        promise.trySuccess();
                    } else {
                        promise.tryFailure(f.cause());
                    }
                });
            }
        }

        void flush() {
            if (!reading) {
                ctx.flush();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) throws Exception {
            reading = true;
            super.channelRead(c, msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext c) throws Exception {
            reading = false;
            c.flush();
            super.channelReadComplete(c);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext c) {
            for (Stream s : new ArrayList<>(streams.values())) {
                s.parentWritable(c.channel().isWritable());
            }
            c.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext c) throws Exception {
            for (Stream s : new ArrayList<>(streams.values())) {
                s.parentGone();
            }
            super.channelInactive(c);
        }

        void forget(Stream stream) {
            streams.remove(stream.streamId(), stream);
            streamCount = streams.size();
        }

        @Override
        public String protocolId() {
            return PROTOCOL_ID;
        }

        @Override
        public Channel connection() {
            return channel;
        }

        @Override
        public int streamCount() {
            return streamCount;
        }

        @Override
        public ChannelFuture close() {
            return channel.close();
        }
    }

    /** One stream: the base class does the channel work; this class maps its hooks to frames. */
    static final class Stream extends AbstractMuxedStreamChannel {
        private final Session session;
        private long sendCredit = WINDOW_BYTES;
        private long unconsumed;

        Stream(Session session, long id, boolean outbound) {
            super(session.connection(), id, outbound, 16L * 1024 * 1024, WINDOW_BYTES, 30_000);
            this.session = session;
        }

        boolean received(ByteBuf data) {
            return dataReceived(data);
        }

        void finReceived() {
            remoteFinReceived();
        }

        void resetReceived() {
            remoteResetReceived();
        }

        void credit(long bytes) {
            sendCredit += bytes;
            sendWindowChanged();
        }

        void parentWritable(boolean writable) {
            parentWritabilityChanged(writable);
        }

        void parentGone() {
            parentClosed();
        }

        @Override
        protected long sendWindow() {
            return sendCredit;
        }

        @Override
        protected int maxDataFrameBytes() {
            return MAX_DATA_BYTES;
        }

        @Override
        protected void writeDataFrame(ByteBuf data) {
            sendCredit -= data.readableBytes();
            session.writeFrame(DATA, streamId(), data, 0, null);
        }

        @Override
        protected void writeFinFrame(ChannelPromise promise) {
            session.writeFrame(FIN, streamId(), null, 0, promise);
        }

        @Override
        protected void writeResetFrame(ChannelPromise promise) {
            session.writeFrame(RESET, streamId(), null, 0, promise);
        }

        @Override
        protected void flushFrames() {
            session.flush();
        }

        @Override
        protected void onBytesConsumed(int bytes) {
            unconsumed += bytes;
            if (unconsumed >= WINDOW_BYTES / 2 && isOpen()) {
                session.writeFrame(CREDIT, streamId(), null, unconsumed, null);
                session.flush();
                unconsumed = 0;
            }
        }

        @Override
        protected void onStreamClosed() {
            session.forget(this);
        }
    }
}
