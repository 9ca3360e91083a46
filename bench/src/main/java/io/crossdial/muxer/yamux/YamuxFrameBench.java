package io.crossdial.muxer.yamux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
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
 * yamux frame encode and decode (the package-private codec, reached from the same package). Encode writes
 * the 12-byte header of a Data frame into a pooled buffer; decode parses header plus payload from a buffer
 * holding one whole frame and releases the retained payload slice. Times per frame, in nanoseconds.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class YamuxFrameBench {
    /** Data payload bytes. */
    @Param({"16384", "262144"})
    public int payloadBytes;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final YamuxFrameDecoder decoder = new YamuxFrameDecoder(16 << 20);
    private final List<Object> out = new ArrayList<>(4);
    private ByteBuf payload;
    private ByteBuf wire;
    private YamuxFrame.Data data;
    private final YamuxFrame.WindowUpdate windowUpdate = new YamuxFrame.WindowUpdate(3, 0, 256 * 1024);

    /** Builds one encoded Data frame. */
    @Setup
    public void setup() {
        payload = alloc.directBuffer(payloadBytes).writeZero(payloadBytes);
        data = new YamuxFrame.Data(3, 0, payload);
        wire = alloc.directBuffer(YamuxFrame.HEADER_BYTES + payloadBytes);
        YamuxFrameEncoder.writeHeader(wire, data);
        wire.writeBytes(payload, 0, payloadBytes);
    }

    /** Releases the buffers. */
    @TearDown
    public void tearDown() {
        payload.release();
        wire.release();
    }

    /** @return the encoded header's first int; encodes a Data header into a new pooled buffer */
    @Benchmark
    public int encodeDataHeader() {
        ByteBuf header = alloc.buffer(YamuxFrame.HEADER_BYTES);
        YamuxFrameEncoder.writeHeader(header, data);
        int v = header.getInt(0);
        header.release();
        return v;
    }

    /** @return the encoded WindowUpdate frame's last int */
    @Benchmark
    public int encodeWindowUpdate() {
        ByteBuf header = alloc.buffer(YamuxFrame.HEADER_BYTES);
        YamuxFrameEncoder.writeHeader(header, windowUpdate);
        int v = header.getInt(8);
        header.release();
        return v;
    }

    /** @return the payload length of the decoded Data frame */
    @Benchmark
    public int decodeData() {
        wire.readerIndex(0);
        out.clear();
        decoder.decode(null, wire, out);
        YamuxFrame.Data d = (YamuxFrame.Data) out.get(0);
        int n = d.content().readableBytes();
        ReferenceCountUtil.release(d);
        return n;
    }
}
