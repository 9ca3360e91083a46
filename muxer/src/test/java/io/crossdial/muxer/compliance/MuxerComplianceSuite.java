package io.crossdial.muxer.compliance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.crossdial.core.CrossdialException;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.StreamMuxer;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * Behaviours every {@link StreamMuxer} must show, after rust-libp2p's {@code muxers/test-harness}. Extend
 * it in your tests, return your muxer from {@link #newMuxer()} and bytes your muxer must reject from
 * {@link #malformedBytes()}; JUnit runs every check below against it:
 *
 * <pre>
 * class MyMuxerComplianceTest extends MuxerComplianceSuite {
 *     protected StreamMuxer newMuxer() { return new MyStreamMuxer(); }
 *     protected byte[] malformedBytes() { return new byte[] {(byte) 0xff, 0, 0, 0}; }
 * }
 * </pre>
 *
 * Each check wires two sessions of the muxer back to back over a real loopback TCP connection (client =
 * initiator, server = responder; {@link MuxerPair}), drives them from the test thread and waits at most
 * {@link #timeoutMillis()} for each step. The checks are public methods that throw {@link AssertionError}
 * when the muxer misbehaves, so they can also be called directly. Nothing is timed: a slow machine only
 * makes a check take longer.
 */
public abstract class MuxerComplianceSuite {
    /** Bytes the backpressure check tries to push through one stream. */
    static final int BACKPRESSURE_BYTES = 48 * 1024 * 1024;

    /** @return a muxer to test; called once per check */
    protected abstract StreamMuxer newMuxer();

    /**
     * @return bytes that are not a valid start of your muxer's byte stream (an unknown frame type, a
     *     length beyond your limit); sent as the first bytes of a connection, they must make the muxer fire
     *     its {@link CrossdialException} and close the connection
     */
    protected abstract byte[] malformedBytes();

    /** @return how a hostile remote writes your muxer's frames, for the hostile-peer checks */
    protected abstract HostileWire hostileWire();

    /**
     * How a hostile remote (the client, the initiator) writes your muxer's frames. Every method returns the
     * exact bytes on the wire (after the security layer).
     */
    public interface HostileWire {
        /** @return the ID of the {@code n}-th stream (from 0) the initiator opens */
        long streamId(int n);

        /** @return the bytes that open stream {@code id} (yamux: WindowUpdate with SYN; mplex: NewStream) */
        byte[] open(long id);

        /** @return the header of a data frame on stream {@code id} announcing {@code length} bytes, without them */
        byte[] dataHeader(long id, long length);

        /** @return the most bytes a just-opened stream takes in one data frame (its window, or the frame limit) */
        int maxDataBytes();

        /** @return a keepalive request (yamux Ping with SYN), or null when the muxer has none */
        default byte[] ping(long opaque) {
            return null;
        }

        /** @return the goodbye (yamux GoAway code 0), or null when the muxer has none */
        default byte[] goAway() {
            return null;
        }
    }

    /** @return how long each step may take, in milliseconds; 10 s unless overridden */
    protected long timeoutMillis() {
        return 10_000;
    }

    /** @return the maxInboundStreams given to both sessions; at least 1000 for the concurrency check */
    protected int maxInboundStreams() {
        return 1000;
    }

    // ---- checks ----

    /** The client opens a stream, the server is handed it as an inbound stream with the same ID. */
    @Test
    public void opensAndAcceptsAStream() throws Exception {
        Accepted accepted = new Accepted(() -> new Probe(true));
        try (MuxerPair p = pair(accepted)) {
            Probe local = new Probe(true);
            MuxedStream stream = await(p.client.openStream(local), "openStream");
            assertTrue(stream.isOutbound(), "an opened stream is outbound");
            assertTrue(stream.isActive(), "an opened stream is active");
            stream.writeAndFlush(bytes("hello"));
            Probe remote = accepted.next(this);
            assertFalse(remote.stream.isOutbound(), "an accepted stream is inbound");
            assertEquals(stream.streamId(), remote.stream.streamId(), "both sides name the stream alike");
            remote.awaitBytes(5, this);
            assertEquals("hello", remote.text());
            eventually(() -> p.client.streamCount() == 1 && p.server.streamCount() == 1, "one stream on each side");
        }
    }

    /** One MiB goes to the server and is echoed back intact. */
    @Test
    public void carriesDataBothWays() throws Exception {
        try (MuxerPair p = pair(new Accepted(Echo::new))) {
            Probe local = new Probe(true);
            MuxedStream stream = await(p.client.openStream(local), "openStream");
            byte[] payload = random(1024 * 1024, 1);
            writeInChunks(stream, payload);
            stream.shutdownOutput();
            local.awaitEof(this);
            assertArrayEquals(payload, local.bytes(), "echoed bytes");
        }
    }

    /** shutdownOutput: the remote reads everything, then EOF, and can still write back. */
    @Test
    public void halfCloseDeliversEofAndKeepsTheOtherDirectionOpen() throws Exception {
        Accepted accepted = new Accepted(() -> new Probe(true));
        try (MuxerPair p = pair(accepted)) {
            Probe local = new Probe(true);
            MuxedStream stream = await(p.client.openStream(local), "openStream");
            stream.writeAndFlush(bytes("request"));
            await(stream.shutdownOutput(), "shutdownOutput");
            ChannelFuture late = stream.writeAndFlush(bytes("late"));
            assertTrue(late.awaitUninterruptibly(timeoutMillis()) && !late.isSuccess(), "a write after shutdownOutput fails");
            Probe remote = accepted.next(this);
            remote.awaitEof(this);
            assertEquals("request", remote.text(), "everything written before the half-close");
            assertTrue(remote.stream.isOpen(), "a half-closed stream stays open");
            remote.stream.writeAndFlush(bytes("response"));
            await(remote.stream.shutdownOutput(), "remote shutdownOutput");
            local.awaitEof(this);
            assertEquals("response", local.text(), "the other direction still carries data");
            local.awaitInactive(this);
            remote.awaitInactive(this);
        }
    }

    /** reset: the remote sees exceptionCaught and the stream closes on both sides. */
    @Test
    public void resetIsSeenByTheRemote() throws Exception {
        Accepted accepted = new Accepted(() -> new Probe(true));
        try (MuxerPair p = pair(accepted)) {
            Probe local = new Probe(true);
            MuxedStream stream = await(p.client.openStream(local), "openStream");
            stream.writeAndFlush(bytes("x"));
            Probe remote = accepted.next(this);
            remote.awaitBytes(1, this);
            stream.reset();
            local.awaitInactive(this);
            remote.awaitInactive(this);
            assertNotNull(remote.firstError(), "the remote stream saw exceptionCaught before closing");
            assertFalse(remote.sawEof(), "a reset is not an EOF");
        }
    }

    /** Data written before close() is all readable after the close, followed by EOF. */
    @Test
    public void readsEverythingAfterTheRemoteClosed() throws Exception {
        Accepted accepted = new Accepted(() -> new Probe(false));
        try (MuxerPair p = pair(accepted)) {
            Probe local = new Probe(true);
            MuxedStream stream = await(p.client.openStream(local), "openStream");
            byte[] payload = random(64 * 1024, 2);
            stream.writeAndFlush(Unpooled.wrappedBuffer(payload));
            Probe remote = accepted.next(this);
            await(stream.close(), "close");
            Thread.sleep(50);
            assertEquals(0, remote.count(), "the remote has not read yet");
            remote.stream.config().setAutoRead(true);
            remote.awaitEof(this);
            assertArrayEquals(payload, remote.bytes());
        }
    }

    /** Writes followed at once by close(), without a flush: the remote receives every byte, then EOF. */
    @Test
    public void closeFlushesPendingWrites() throws Exception {
        Accepted accepted = new Accepted(() -> new Probe(true));
        try (MuxerPair p = pair(accepted)) {
            Probe local = new Probe(true);
            MuxedStream stream = await(p.client.openStream(local), "openStream");
            byte[] payload = random(1024 * 1024, 3);
            stream.eventLoop().execute(() -> {
                for (int at = 0; at < payload.length; at += 16 * 1024) {
                    stream.write(Unpooled.wrappedBuffer(payload, at, Math.min(16 * 1024, payload.length - at)));
                }
                stream.close();
            });
            Probe remote = accepted.next(this);
            remote.awaitEof(this);
            assertArrayEquals(payload, remote.bytes(), "every byte written before close");
        }
    }

    /**
     * A reader with auto-read off: the writer, writing only while isWritable(), stalls before it has
     * written everything (so the muxer buffers a bounded amount), and once reading resumes every byte
     * arrives.
     */
    @Test
    public void slowReaderStallsTheWriterUntilItReads() throws Exception {
        Accepted accepted = new Accepted(() -> new Probe(false, true));
        try (MuxerPair p = pair(accepted)) {
            Pump pump = new Pump(BACKPRESSURE_BYTES);
            MuxedStream stream = await(p.client.openStream(pump), "openStream");
            stream.eventLoop().execute(() -> pump.writeWhileWritable(stream));
            Probe remote = accepted.next(this);
            if (!pump.stalled.await(timeoutMillis(), TimeUnit.MILLISECONDS)) {
                fail("the writer never became unwritable although the reader reads nothing; wrote "
                        + pump.written.get() + " bytes");
            }
            Thread.sleep(200);
            // Read on the test thread, isWritable() may be true for an instant (the kernel's send buffer grew
            // and the pump has not yet been told); what must hold is that the writer stays stalled short of
            // the total while the reader reads nothing.
            long stalledAt = pump.written.get();
            assertTrue(stalledAt < BACKPRESSURE_BYTES,
                    "the writer stalled before writing everything: wrote " + stalledAt + " bytes");
            assertEquals(0, remote.count(), "the reader read nothing");
            remote.stream.config().setAutoRead(true);
            remote.awaitEof(this);
            assertEquals(BACKPRESSURE_BYTES, remote.count(), "every byte arrived");
            assertEquals(Pump.crc(BACKPRESSURE_BYTES), remote.crc(), "in order and intact");
        }
    }

    /** 1000 streams at once, each echoing its own payload. */
    @Test
    public void carriesAThousandConcurrentStreams() throws Exception {
        int streams = 1000;
        try (MuxerPair p = pair(new Accepted(Echo::new))) {
            List<Probe> probes = new ArrayList<>();
            List<byte[]> payloads = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                Probe probe = new Probe(true);
                byte[] payload = random(100 + i % 200, 1000 + i);
                probes.add(probe);
                payloads.add(payload);
                p.client.openStream(probe).addListener(f -> {
                    if (f.isSuccess()) {
                        MuxedStream s = (MuxedStream) f.getNow();
                        s.writeAndFlush(Unpooled.wrappedBuffer(payload));
                        s.shutdownOutput();
                    } else {
                        probe.errors.add(f.cause());
                    }
                });
            }
            for (int i = 0; i < streams; i++) {
                Probe probe = probes.get(i);
                if (!probe.errors.isEmpty()) {
                    throw new AssertionError("stream " + i + " failed", probe.errors.get(0));
                }
                probe.awaitEof(this);
                assertArrayEquals(payloads.get(i), probe.bytes(), "stream " + i);
            }
            eventually(() -> p.client.streamCount() == 0 && p.server.streamCount() == 0,
                    "every stream forgotten once both sides closed");
        }
    }

    /** Closing the session closes its streams on both sides and refuses new streams. */
    @Test
    public void closingTheSessionEndsStreamsAndRefusesNewOnes() throws Exception {
        Accepted accepted = new Accepted(() -> new Probe(true));
        try (MuxerPair p = pair(accepted)) {
            Probe local = new Probe(true);
            MuxedStream stream = await(p.client.openStream(local), "openStream");
            stream.writeAndFlush(bytes("x"));
            Probe remote = accepted.next(this);
            remote.awaitBytes(1, this);
            await(p.client.close(), "session close");
            local.awaitInactive(this);
            remote.awaitInactive(this);
            assertTrue(p.serverConnection.closeFuture().awaitUninterruptibly(timeoutMillis()), "server connection closed");
            Future<MuxedStream> refused = p.client.openStream(new Probe(true));
            assertTrue(refused.awaitUninterruptibly(timeoutMillis()), "openStream completes");
            assertInstanceOf(CrossdialException.class, refused.cause(), "openStream after close fails with the muxer's exception");
            Future<MuxedStream> refusedRemote = p.server.openStream(new Probe(true));
            assertTrue(refusedRemote.awaitUninterruptibly(timeoutMillis()), "remote openStream completes");
            assertFalse(refusedRemote.isSuccess(), "the remote cannot open streams on a closed connection");
            eventually(() -> p.client.streamCount() == 0 && p.server.streamCount() == 0, "no streams left");
        }
    }

    /** Malformed bytes: the muxer fires its CrossdialException and closes the connection. */
    @Test
    public void malformedBytesFailTheConnectionWithATypedException() throws Exception {
        try (MuxerPair p = pair(new Accepted(() -> new Probe(true)))) {
            Channel raw = new Bootstrap().group(p.group).channel(NioSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(p.serverListener.localAddress()).sync().channel();
            try {
                raw.writeAndFlush(Unpooled.wrappedBuffer(malformedBytes()));
                assertTrue(raw.closeFuture().awaitUninterruptibly(timeoutMillis()), "the muxer closed the connection");
                eventually(() -> p.serverErrors.stream().anyMatch(CrossdialException.class::isInstance),
                        "a CrossdialException reached the connection pipeline; saw " + p.serverErrors);
            } finally {
                raw.close();
            }
        }
    }


    // ---- hostile peers ----
    //
    // A raw socket (RawPeer) plays a remote that writes your muxer's frames (hostileWire()) to the server and
    // never reads. Each check holds the server to a bound: what its connections hold (MuxerPair's counting
    // allocator) grows by less than the check's limit; a frame it cannot take closes the connection at the
    // frame's header; and after each attack the pair's own connection still opens and echoes a stream.

    /** A data frame longer than a fresh stream accepts closes the connection at its header, payload unsent. */
    @Test
    public void hostileFrameLongerThanAStreamAcceptsClosesTheConnectionAtItsHeader() throws Exception {
        HostileWire wire = hostileWire();
        try (MuxerPair p = hostilePair(); RawPeer raw = new RawPeer(p.serverListener.localAddress(), timeoutMillis())) {
            long id = wire.streamId(0);
            raw.send(concat(wire.open(id), wire.dataHeader(id, wire.maxDataBytes() + 1L)));
            assertTrue(raw.awaitClosedByRemote(timeoutMillis()),
                    "a header announcing " + (wire.maxDataBytes() + 1L) + " bytes closed the connection without its payload");
            eventually(() -> p.serverErrors.stream().anyMatch(CrossdialException.class::isInstance),
                    "a CrossdialException reached the connection pipeline; saw " + p.serverErrors);
            assertStillServes(p);
        }
    }

    /** A length field of 0xFFFFFFFF closes the connection at its header. */
    @Test
    public void hostileLengthOfFfffffffClosesTheConnectionAtItsHeader() throws Exception {
        HostileWire wire = hostileWire();
        try (MuxerPair p = hostilePair(); RawPeer raw = new RawPeer(p.serverListener.localAddress(), timeoutMillis())) {
            long id = wire.streamId(0);
            raw.send(concat(wire.open(id), wire.dataHeader(id, 0xFFFF_FFFFL)));
            assertTrue(raw.awaitClosedByRemote(timeoutMillis()), "the connection was closed");
            assertStillServes(p);
        }
    }

    /** 32 MiB of data for a stream that was never opened: drained, not buffered. */
    @Test
    public void hostileDataForAStreamNeverOpenedIsDrainedNotBuffered() throws Exception {
        HostileWire wire = hostileWire();
        long total = 32L * 1024 * 1024;
        long limit = 8L * 1024 * 1024;
        try (MuxerPair p = hostilePair(); RawPeer raw = new RawPeer(p.serverListener.localAddress(), timeoutMillis())) {
            long unknown = wire.streamId(100_000);
            byte[] frame = concat(wire.dataHeader(unknown, wire.maxDataBytes()), new byte[wire.maxDataBytes()]);
            long grew = withPeakGrowth(p, () -> {
                raw.startWriting(i -> frame, total);
                raw.awaitWriteEndOrStall(1_000, timeoutMillis());
            });
            assertTrue(grew < limit, "the server held " + grew + " bytes more while " + raw.written()
                    + " bytes of data for stream " + unknown + " arrived; limit " + limit);
            assertStillServes(p);
        }
    }

    /**
     * 64 MiB written to an echo stream (whose handler follows isWritable()) by a remote that never reads the
     * echo nor, in a muxer with windows, its window updates: the server pushes back, resets the stream
     * (draining the rest) or closes the connection, holding less than 24 MiB more.
     */
    @Test
    public void hostileWriterThatNeverReadsItsEchoIsClosedOrPushedBack() throws Exception {
        HostileWire wire = hostileWire();
        long total = 64L * 1024 * 1024;
        long limit = 24L * 1024 * 1024;
        try (MuxerPair p = hostilePair(); RawPeer raw = new RawPeer(p.serverListener.localAddress(), timeoutMillis())) {
            long id = wire.streamId(0);
            raw.send(wire.open(id));
            byte[] frame = concat(wire.dataHeader(id, wire.maxDataBytes()), new byte[wire.maxDataBytes()]);
            boolean[] ended = new boolean[1];
            long grew = withPeakGrowth(p, () -> {
                raw.startWriting(i -> frame, total);
                ended[0] = raw.awaitWriteEndOrStall(2_000, 4 * timeoutMillis());
            });
            assertTrue(grew < limit, "the server held " + grew + " bytes more after " + raw.written()
                    + " bytes written to an echo nobody reads; limit " + limit);
            if (ended[0] && raw.written() >= total) {
                // everything was taken: only fine when drained, i.e. the stream was reset or the connection closed
                eventually(() -> p.serverSessions.size() > 1 && (p.serverSessions.get(1).streamCount() == 0
                        || !p.serverSessions.get(1).connection().isActive()),
                        "all " + total + " bytes were taken while the echo stream stayed open: push back, reset or close");
            }
            assertStillServes(p);
        }
    }

    /** 5,000 streams opened at once by a remote that never reads: the inbound limit holds, memory is bounded. */
    @Test
    public void hostileStreamFloodStaysWithinTheInboundLimit() throws Exception {
        HostileWire wire = hostileWire();
        int n = 5_000;
        long limit = 16L * 1024 * 1024;
        try (MuxerPair p = hostilePair(); RawPeer raw = new RawPeer(p.serverListener.localAddress(), timeoutMillis())) {
            java.io.ByteArrayOutputStream opens = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < n; i++) {
                opens.writeBytes(wire.open(wire.streamId(i)));
            }
            byte[] all = opens.toByteArray();
            int[] most = new int[1];
            long grew = withPeakGrowth(p, () -> {
                raw.startWriting(i -> slice(all, i, 64 * 1024), all.length);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_000);
                while (System.nanoTime() < deadline) {
                    if (p.serverSessions.size() > 1) {
                        most[0] = Math.max(most[0], p.serverSessions.get(1).streamCount());
                    }
                    Thread.sleep(5);
                }
            });
            assertTrue(most[0] <= maxInboundStreams(), "at most " + maxInboundStreams() + " inbound streams at once; saw " + most[0]);
            assertTrue(grew < limit, "the server held " + grew + " bytes more for " + n + " opens; limit " + limit);
            assertStillServes(p);
        }
    }

    /** 1,000,000 keepalive requests from a remote that never reads the answers: bounded (muxers with a ping). */
    @Test
    public void hostilePingFloodIsAnsweredWithinABound() throws Exception {
        HostileWire wire = hostileWire();
        org.junit.jupiter.api.Assumptions.assumeTrue(wire.ping(0) != null, "the muxer has no keepalive request");
        int n = 1_000_000; // 12 MB of yamux Pings: more than loopback socket buffers take, so answers would pile up
        long limit = 1024 * 1024;
        try (MuxerPair p = hostilePair(); RawPeer raw = new RawPeer(p.serverListener.localAddress(), timeoutMillis())) {
            java.io.ByteArrayOutputStream pings = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < n; i++) {
                pings.writeBytes(wire.ping(i));
            }
            byte[] all = pings.toByteArray();
            long grew = withPeakGrowth(p, () -> {
                raw.startWriting(i -> slice(all, i, 64 * 1024), all.length);
                raw.awaitWriteEndOrStall(2_000, 4 * timeoutMillis());
                Thread.sleep(200);
            });
            assertTrue(grew < limit, "the server held " + grew + " bytes more for " + n + " pings; limit " + limit);
            assertStillServes(p);
        }
    }

    /** After the remote's goodbye, a stream it opens is not accepted (muxers with a goodbye frame). */
    @Test
    public void hostileStreamOpenedAfterTheGoodbyeIsNotAccepted() throws Exception {
        HostileWire wire = hostileWire();
        org.junit.jupiter.api.Assumptions.assumeTrue(wire.goAway() != null, "the muxer has no goodbye frame");
        try (MuxerPair p = hostilePair(); RawPeer raw = new RawPeer(p.serverListener.localAddress(), timeoutMillis())) {
            long id = wire.streamId(0);
            raw.send(concat(wire.goAway(), wire.open(id), wire.dataHeader(id, 5), bytesOf("hello")));
            eventually(() -> p.serverSessions.size() > 1, "the raw connection's session");
            Thread.sleep(200);
            assertEquals(0, p.serverSessions.get(1).streamCount(), "no stream accepted after the goodbye");
            assertStillServes(p);
        }
    }

    // ---- harness ----

    /** @return a pair whose server streams all echo with backpressure ({@link BackpressureEcho}) */
    private MuxerPair hostilePair() throws Exception {
        return pair(new Accepted(BackpressureEcho::new));
    }

    /** The pair's own client opens a stream and gets its bytes echoed: the server still serves. */
    private void assertStillServes(MuxerPair p) throws Exception {
        Probe local = new Probe(true);
        MuxedStream stream = await(p.client.openStream(local), "openStream after the attack");
        stream.writeAndFlush(bytes("alive"));
        local.awaitBytes(5, this);
        assertEquals("alive", local.text(), "echo after the attack");
        stream.close();
    }

    /** Work that may throw. */
    interface Attack {
        void run() throws Exception;
    }

    /** Runs {@code attack} while sampling what the server holds. @return the peak growth over the baseline, bytes */
    private static long withPeakGrowth(MuxerPair p, Attack attack) throws Exception {
        long base = p.serverBytesHeld();
        java.util.concurrent.atomic.AtomicLong peak = new java.util.concurrent.atomic.AtomicLong(base);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread sampler = new Thread(() -> {
            while (!done.get()) {
                peak.accumulateAndGet(p.serverBytesHeld(), Math::max);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "server-memory-sampler");
        sampler.setDaemon(true);
        sampler.start();
        try {
            attack.run();
        } finally {
            done.set(true);
            sampler.join(5_000);
        }
        peak.accumulateAndGet(p.serverBytesHeld(), Math::max);
        return peak.get() - base;
    }

    /** @return the {@code i}-th piece of {@code size} bytes of {@code all} (the last may be shorter) */
    static byte[] slice(byte[] all, long i, int size) {
        int from = (int) Math.min(all.length, i * size);
        return java.util.Arrays.copyOfRange(all, from, Math.min(all.length, from + size));
    }

    static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] b : parts) {
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    private static byte[] bytesOf(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private MuxerPair pair(Accepted serverInbound) throws Exception {
        return new MuxerPair(newMuxer(), new Accepted(() -> new Probe(true)), serverInbound, maxInboundStreams(), timeoutMillis());
    }

    private void writeInChunks(MuxedStream stream, byte[] payload) {
        for (int at = 0; at < payload.length; at += 32 * 1024) {
            stream.write(Unpooled.wrappedBuffer(payload, at, Math.min(32 * 1024, payload.length - at)));
        }
        stream.flush();
    }

    <T> T await(Future<T> future, String what) throws InterruptedException {
        if (!future.await(timeoutMillis())) {
            fail(what + " did not complete within " + timeoutMillis() + " ms");
        }
        if (!future.isSuccess()) {
            throw new AssertionError(what + " failed", future.cause());
        }
        return future.getNow();
    }

    void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis());
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + timeoutMillis() + " ms: " + what);
            }
            Thread.sleep(5);
        }
    }

    void awaitLatch(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(timeoutMillis(), TimeUnit.MILLISECONDS)) {
            fail("not within " + timeoutMillis() + " ms: " + what);
        }
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Gives every inbound stream a fresh handler from a factory and queues it for the test. */
    @ChannelHandler.Sharable
    static final class Accepted extends ChannelInboundHandlerAdapter {
        private final Supplier<? extends ChannelHandler> factory;
        private final BlockingQueue<ChannelHandler> handlers = new LinkedBlockingQueue<>();

        Accepted(Supplier<? extends ChannelHandler> factory) {
            this.factory = factory;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ChannelHandler handler = factory.get();
            ctx.pipeline().replace(this, null, handler);
            handlers.add(handler);
        }

        Probe next(MuxerComplianceSuite suite) throws InterruptedException {
            ChannelHandler h = handlers.poll(suite.timeoutMillis(), TimeUnit.MILLISECONDS);
            if (h == null) {
                fail("no inbound stream within " + suite.timeoutMillis() + " ms");
            }
            return (Probe) h;
        }
    }

    /** Records what one stream reads and sees; thread-safe for the test thread. */
    static class Probe extends ChannelInboundHandlerAdapter {
        private final boolean autoRead;
        private final boolean countOnly;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final CRC32 crc = new CRC32();
        private long count;
        final List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        final CountDownLatch eof = new CountDownLatch(1);
        final CountDownLatch inactive = new CountDownLatch(1);
        volatile MuxedStream stream;

        Probe(boolean autoRead) {
            this(autoRead, false);
        }

        Probe(boolean autoRead, boolean countOnly) {
            this.autoRead = autoRead;
            this.countOnly = countOnly;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            stream = (MuxedStream) ctx.channel();
            ctx.channel().config().setAutoRead(autoRead);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                byte[] b = ByteBufUtil.getBytes(buf);
                synchronized (this) {
                    count += b.length;
                    crc.update(b);
                    if (!countOnly) {
                        received.writeBytes(b);
                    }
                }
            } finally {
                buf.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                eof.countDown();
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inactive.countDown();
        }

        synchronized long count() {
            return count;
        }

        synchronized long crc() {
            return crc.getValue();
        }

        synchronized byte[] bytes() {
            return received.toByteArray();
        }

        String text() {
            return new String(bytes(), java.nio.charset.StandardCharsets.UTF_8);
        }

        boolean sawEof() {
            return eof.getCount() == 0;
        }

        Throwable firstError() {
            return errors.isEmpty() ? null : errors.get(0);
        }

        void awaitEof(MuxerComplianceSuite suite) throws InterruptedException {
            suite.awaitLatch(eof, "EOF (ChannelInputShutdownEvent) on stream " + (stream == null ? "?" : stream.streamId())
                    + " after " + count() + " bytes");
        }

        void awaitInactive(MuxerComplianceSuite suite) throws InterruptedException {
            suite.awaitLatch(inactive, "stream closed (channelInactive)");
        }

        void awaitBytes(long n, MuxerComplianceSuite suite) throws InterruptedException {
            suite.eventually(() -> count() >= n, n + " bytes received");
        }
    }

    /** Echoes what it reads; half-closes once the remote half-closed. */
    static final class Echo extends Probe {
        Echo() {
            super(true);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ((DuplexChannel) ctx.channel()).shutdownOutput();
            }
        }
    }

    /**
     * Echoes with backpressure, as a real echo protocol does: auto-read off, the next read only while the
     * stream is writable; half-closes after the remote's EOF.
     */
    static final class BackpressureEcho extends Probe {
        BackpressureEcho() {
            super(false, true);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.read();
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            if (ctx.channel().isWritable()) {
                ctx.read();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                ctx.read();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ((DuplexChannel) ctx.channel()).shutdownOutput();
            }
        }
    }

    /** Writes a deterministic byte sequence while the stream is writable, then half-closes. */
    static final class Pump extends ChannelInboundHandlerAdapter {
        private static final int CHUNK = 64 * 1024;
        private final long total;
        final AtomicLong written = new AtomicLong();
        final CountDownLatch stalled = new CountDownLatch(1);
        private boolean done;

        Pump(long total) {
            this.total = total;
        }

        static byte[] chunk(long offset, int length) {
            byte[] b = new byte[length];
            for (int i = 0; i < length; i++) {
                long x = offset + i;
                b[i] = (byte) (x ^ (x >>> 8) ^ (x >>> 16));
            }
            return b;
        }

        static long crc(long total) {
            CRC32 crc = new CRC32();
            for (long at = 0; at < total; at += CHUNK) {
                crc.update(chunk(at, (int) Math.min(CHUNK, total - at)));
            }
            return crc.getValue();
        }

        /** Runs on the stream's event loop. */
        void writeWhileWritable(MuxedStream stream) {
            if (done) {
                return;
            }
            long at = written.get();
            while (at < total && stream.isWritable()) {
                int n = (int) Math.min(CHUNK, total - at);
                stream.write(Unpooled.wrappedBuffer(chunk(at, n)));
                at += n;
                written.set(at);
            }
            stream.flush();
            if (at >= total) {
                done = true;
                stream.shutdownOutput();
            } else if (!stream.isWritable()) {
                stalled.countDown();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                writeWhileWritable((MuxedStream) ctx.channel());
            }
            ctx.fireChannelWritabilityChanged();
        }
    }

}
