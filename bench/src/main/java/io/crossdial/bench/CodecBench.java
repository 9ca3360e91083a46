package io.crossdial.bench;

import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.multistream.Message;
import io.crossdial.multistream.MultistreamFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Microbenchmarks of the small codecs on every connection's path: unsigned varints, multiaddr text and
 * bytes, multistream-select messages. Times are per operation, in nanoseconds.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class CodecBench {
    private static final String ADDR_TEXT =
            "/ip4/192.168.100.200/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
    private static final String ADDR6_TEXT = "/ip6/2001:db8::ff00:42:8329/tcp/4001";

    private final ByteBuf buf = Unpooled.directBuffer(256);
    private byte[] addrBytes;
    private ByteBuf protocolFrame;
    private final Message.Protocol protocol = new Message.Protocol("/yamux/1.0.0");

    /** Prepares the encoded forms decoded by the benchmarks. */
    @Setup
    public void setup() {
        addrBytes = Multiaddr.fromString(ADDR_TEXT).toBytes();
        protocolFrame = Unpooled.directBuffer(64);
        protocol.encode(protocolFrame);
    }

    /** @return the decoded value of a 5-byte varint written into a reused buffer */
    @Benchmark
    public long varintWriteThenRead() {
        buf.clear();
        UnsignedVarint.write(0x7_0000_1234L, buf);
        return UnsignedVarint.tryDecode(buf, UnsignedVarint.MAX_VALUE);
    }

    /** @return a 2-byte varint (a typical multistream length prefix) as a new array */
    @Benchmark
    public byte[] varintEncodeSmall() {
        return UnsignedVarint.encode(300);
    }

    /** @return a parsed /ip4/../tcp/../p2p/.. address */
    @Benchmark
    public Multiaddr multiaddrParseText() {
        return Multiaddr.fromString(ADDR_TEXT);
    }

    /** @return a parsed /ip6/../tcp/.. address */
    @Benchmark
    public Multiaddr multiaddrParseText6() {
        return Multiaddr.fromString(ADDR6_TEXT);
    }

    /** @return a multiaddr decoded from its binary form */
    @Benchmark
    public Multiaddr multiaddrFromBytes() {
        return Multiaddr.fromBytes(addrBytes);
    }

    /** @return the text form of a multiaddr decoded from bytes */
    @Benchmark
    public String multiaddrBytesToText() {
        return Multiaddr.fromBytes(addrBytes).toString();
    }

    /** @return writer index after encoding one protocol proposal as a length-prefixed frame */
    @Benchmark
    public int multistreamEncode() {
        buf.clear();
        protocol.encode(buf);
        return buf.writerIndex();
    }

    /** @return the message parsed from one length-prefixed frame */
    @Benchmark
    public Message multistreamDecode() {
        protocolFrame.readerIndex(0);
        ByteBuf frame = MultistreamFrames.readFrame(protocolFrame, 1024);
        return Message.parse(frame);
    }
}
