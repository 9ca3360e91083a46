package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.cli.lab.SimopenLab;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxedStream;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.lab.LabPeer;
import io.crossdial.muxer.mplex.MplexStreamMuxer;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The hostile-peer run: a real {@code crossdial listen} process (fixed, pre-touched 256 MiB heap, so
 * heap use cannot show as RSS growth and its own growth is measured after a GC), and a hostile dialer in this
 * JVM that completes a real upgrade with the project's own code (TCP, multistream-select, the Noise
 * initiator, multistream-select of {@code /yamux/1.0.0} or {@code /mplex/6.7.0}) and then writes raw
 * muxer frames through the Noise session ({@link RawMuxer}: a "muxer" that only hands over the decrypted
 * channel). Each case must end with the connection closed or the listener's use bounded: peak RSS
 * ({@code VmHWM}) and the live heap (after a full GC) each grow by less than 50 MB, and the listener still serves an
 * ordinary dial and ping afterwards. The results table goes to stdout and {@code
 * target/hostile-peers-MUXER.md} (specs/reliability.md, "Hostile peers").
 */
class HostilePeerTest {
    private static final long LIMIT_BYTES = 50L * 1000 * 1000;
    private static final long CLOSE_WAIT_MILLIS = 3_000;
    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("Total\\s+\\d+\\s+(\\d+)");

    @Test
    @Timeout(600)
    void yamuxListenerClosesOrBoundsEveryHostileCase() throws Exception {
        run("yamux", YamuxStreamMuxer.PROTOCOL_ID, yamuxCases());
    }

    @Test
    @Timeout(600)
    void mplexListenerClosesOrBoundsEveryHostileCase() throws Exception {
        run("mplex", MplexStreamMuxer.PROTOCOL_ID, mplexCases());
    }

    // ---- the cases ----

    /** One hostile case: what it writes once the raw session is up. */
    record Case(String name, boolean neverRead, Attack attack) {}

    @FunctionalInterface
    interface Attack {
        void run(RawSession s) throws Exception;
    }

    private static byte[] yh(int type, int flags, long streamId, long length) {
        return ByteBuffer.allocate(12).put((byte) 0).put((byte) type).putShort((short) flags).putInt((int) streamId)
                .putInt((int) length).array();
    }

    private static byte[] yData(int flags, long streamId, byte[] payload) {
        return concat(yh(0, flags, streamId, payload.length), payload);
    }

    private static byte[] ms(String text) {
        byte[] t = (text + "\n").getBytes(StandardCharsets.UTF_8);
        return concat(UnsignedVarint.encode(t.length), t);
    }

    private static List<Case> yamuxCases() {
        byte[] mib = new byte[1 << 20];
        byte[] chunk = new byte[64 * 1024];
        return List.of(
                new Case("1 MiB Data frame on a 256 KiB window", false,
                        s -> s.send(concat(yh(1, 1, 1, 0), yData(0, 1, mib)))),
                new Case("Data length 0xFFFFFFFF", false, s -> s.send(concat(yh(1, 1, 1, 0), yh(0, 0, 1, 0xFFFF_FFFFL)))),
                new Case("WindowUpdate overflow (delta 0xFFFFFFFF)", false,
                        s -> s.send(concat(yh(1, 1, 1, 0), yh(1, 0, 1, 0xFFFF_FFFFL)))),
                new Case("200,000 Pings, answers never read", true, s -> {
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    for (int i = 0; i < 200_000; i++) {
                        b.writeBytes(yh(2, 1, 0, i));
                    }
                    s.pump(slices(b.toByteArray()), b.size());
                }),
                new Case("5,000 SYNs, never read", true, s -> {
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    for (int i = 0; i < 5_000; i++) {
                        b.writeBytes(yh(1, 1, 1 + 2L * i, 0));
                    }
                    s.pump(slices(b.toByteArray()), b.size());
                }),
                new Case("16 MiB of Data on an unknown odd stream ID", false,
                        s -> s.pump(i -> yData(0, 1001, chunk), 16L << 20)),
                new Case("16 MiB of Data on an even stream ID (the listener's)", false,
                        s -> s.pump(i -> yData(0, 2, chunk), 16L << 20)),
                new Case("Data on stream 0", false, s -> s.send(yData(0, 0, new byte[16]))),
                new Case("version 1", false, s -> s.send(concat(yh(1, 1, 1, 0), new byte[] {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}))),
                new Case("frame type 4", false, s -> s.send(new byte[] {0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})),
                new Case("64 MiB to an echo stream, never read", true, s -> {
                    s.send(yData(1, 1, concat(ms("/multistream/1.0.0"), ms("/echo/1.0.0"))));
                    s.pump(i -> yData(0, 1, chunk), 64L << 20);
                }),
                new Case("1,000 streams stuck mid-negotiation", false, s -> {
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    for (int i = 0; i < 1_000; i++) {
                        b.writeBytes(yData(1, 1 + 2L * i, ms("/multistream/1.0.0")));
                    }
                    s.pump(slices(b.toByteArray()), b.size());
                }),
                new Case("frames after GoAway (SYN, Data, Ping)", false,
                        s -> s.send(concat(yh(3, 0, 0, 0), yData(1, 1, new byte[100]), yh(2, 1, 0, 7)))));
    }

    private static byte[] mf(long streamId, int flag, byte[] body) {
        return concat(UnsignedVarint.encode(streamId << 3 | flag), UnsignedVarint.encode(body.length), body);
    }

    private static List<Case> mplexCases() {
        byte[] chunk = new byte[64 * 1024];
        byte[] mibPlusOne = new byte[(1 << 20) + 1];
        return List.of(
                new Case("Message of 1 MiB + 1 (the frame limit)", false,
                        s -> s.send(concat(mf(0, 0, new byte[0]), mf(0, 2, mibPlusOne)))),
                new Case("Message length 0xFFFFFFFF", false,
                        s -> s.send(concat(mf(0, 0, new byte[0]), UnsignedVarint.encode(2), UnsignedVarint.encode(0xFFFF_FFFFL)))),
                new Case("5,000 NewStreams, never read", true, s -> {
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    for (int i = 0; i < 5_000; i++) {
                        b.writeBytes(mf(i, 0, new byte[0]));
                    }
                    s.pump(slices(b.toByteArray()), b.size());
                }),
                new Case("16 MiB of Messages on a stream never opened", false,
                        s -> s.pump(i -> mf(1001, 2, chunk), 16L << 20)),
                new Case("16 MiB of Messages after the dialer's own Reset", false, s -> {
                    s.send(concat(mf(7, 0, new byte[0]), mf(7, 6, new byte[0])));
                    s.pump(i -> mf(7, 2, chunk), 16L << 20);
                }),
                new Case("flag 7", false, s -> s.send(new byte[] {0x07, 0x00})),
                new Case("10-byte varint", false,
                        s -> s.send(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                                (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0})),
                new Case("64 MiB to an echo stream, never read", true, s -> {
                    s.send(concat(mf(0, 0, new byte[0]), mf(0, 2, concat(ms("/multistream/1.0.0"), ms("/echo/1.0.0")))));
                    s.pump(i -> mf(0, 2, chunk), 64L << 20);
                }),
                new Case("1,000 streams stuck mid-negotiation", false, s -> {
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    for (int i = 0; i < 1_000; i++) {
                        b.writeBytes(mf(i, 0, new byte[0]));
                        b.writeBytes(mf(i, 2, ms("/multistream/1.0.0")));
                    }
                    s.pump(slices(b.toByteArray()), b.size());
                }));
    }

    // ---- the run ----

    private void run(String muxerName, String protocolId, List<Case> cases) throws Exception {
        List<String> argv = new ArrayList<>(SimopenLab.classPathPeerCommand());
        argv.addAll(1, List.of("-Xms256m", "-XX:+AlwaysPreTouch"));
        argv.addAll(List.of("listen", "--listen", "/ip4/127.0.0.1/tcp/0", "--muxer", muxerName, "--json"));
        List<String> rows = new ArrayList<>();
        rows.add("| case | what the listener did (and how much of the attack it took) | peak RSS growth | live heap growth | time |");
        rows.add("|---|---|---|---|---|");
        try (LabPeer listener = LabPeer.start("listen-" + muxerName, new ProcessBuilder(argv))) {
            Map<String, Object> listening = listener.awaitEvent("listening", Duration.ofSeconds(30));
            PeerId peer = PeerId.fromString(String.valueOf(listening.get("peerId")));
            Multiaddr addr = Multiaddr.fromString(String.valueOf(((List<?>) listening.get("multiaddrs")).get(0)))
                    .withPeerId(peer);
            long pid = listener.pid();
            for (int i = 0; i < 3; i++) {
                assertServes(addr, protocolId); // warm-up: classes loaded, code compiled, pools sized
            }
            for (Case c : cases) {
                long heapBefore = heapAfterGc(pid);
                long hwmBefore = status(pid, "VmHWM");
                long started = System.nanoTime();
                String did;
                try (Host dialer = rawDialer(protocolId)) {
                    Connection connection = dialer.dial(addr).get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);
                    RawSession raw = (RawSession) connection.upgraded().muxer();
                    if (c.neverRead()) {
                        raw.connection().config().setAutoRead(false);
                    }
                    AtomicLong closedAt = new AtomicLong();
                    raw.connection().closeFuture().addListener(f -> closedAt.set(System.nanoTime()));
                    c.attack().run(raw);
                    raw.awaitPumpEndOrStall(2_000, 60_000);
                    long attackEnd = System.nanoTime();
                    boolean closed = raw.connection().closeFuture().awaitUninterruptibly(CLOSE_WAIT_MILLIS);
                    long millis = TimeUnit.NANOSECONDS.toMillis((closed ? closedAt.get() : attackEnd) - started);
                    long heapDuring = heapAfterGc(pid);
                    long hwmAfter = status(pid, "VmHWM");
                    did = (closed ? "closed the connection" : "kept it open")
                            + raw.summary(protocolId) + "; took " + size(raw.pumped()) + " of " + size(raw.pumpTotal());
                    String row = "| " + c.name() + " | " + did + " | " + mb(hwmAfter - hwmBefore) + " | "
                            + mb(heapDuring - heapBefore) + " | " + String.format("%.1f s", millis / 1000.0) + " |";
                    rows.add(row);
                    System.out.println("hostile " + muxerName + ": " + row);
                    assertTrue(hwmAfter - hwmBefore < LIMIT_BYTES, row + ": peak RSS grew 50 MB or more");
                    assertTrue(heapDuring - heapBefore < LIMIT_BYTES, row + ": heap after GC grew 50 MB or more");
                    connection.close();
                }
                assertTrue(listener.isAlive(), c.name() + ": the listener process died\n" + listener.stderrTail());
                assertServes(addr, protocolId);
            }
            assertFalse(listener.stderrTail().contains("LEAK"), "the listener logged a leak:\n" + listener.stderrTail());
        } finally {
            Path out = Path.of("target", "hostile-peers-" + muxerName + ".md");
            Files.createDirectories(out.getParent());
            Files.write(out, rows);
            System.out.println(String.join("\n", rows));
        }
    }

    /** An ordinary host dials, pings once and closes: the listener still serves. */
    private static void assertServes(Multiaddr addr, String protocolId) throws Exception {
        StreamMuxer muxer = protocolId.equals(YamuxStreamMuxer.PROTOCOL_ID) ? new YamuxStreamMuxer() : new MplexStreamMuxer();
        try (Host prober = Host.builder().identity(Keys.generateEd25519())
                .listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))
                .transportConfig(TcpTransportConfig.defaults().withPortReuse(false))
                .security(new NoiseSecurityTransport()).muxer(muxer).build().start()) {
            Connection c = prober.dial(addr).get(Peers.STEP_MILLIS, TimeUnit.MILLISECONDS);
            Peers.ping(c, 1);
            c.close();
        }
    }

    private static Host rawDialer(String protocolId) {
        return Host.builder().identity(Keys.generateEd25519())
                .listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))
                .transportConfig(TcpTransportConfig.defaults().withPortReuse(false))
                .security(new NoiseSecurityTransport()).muxer(new RawMuxer(protocolId))
                // the attack needs the RawSession itself, not the resource manager's wrapper around it
                .resourceManager(io.crossdial.upgrader.ResourceManager.UNLIMITED)
                .build().start();
    }

    /** @return a /proc/PID/status field in bytes (the kernel reports kB) */
    private static long status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no " + field + " in /proc/" + pid + "/status");
    }

    /**
     * @return the listener's live heap, bytes: the total of {@code jcmd PID GC.class_histogram}, which counts
     *     the objects that survive the full GC it runs first (used-heap figures would include whatever the
     *     listener allocated since)
     */
    private static long heapAfterGc(long pid) throws Exception {
        String histogram = jcmd(pid, "GC.class_histogram");
        Matcher m = HISTOGRAM_TOTAL.matcher(histogram);
        if (!m.find()) {
            throw new IllegalStateException("no Total line in jcmd GC.class_histogram:\n" + histogram);
        }
        return Long.parseLong(m.group(1));
    }

    private static String jcmd(long pid, String command) throws Exception {
        String java = ProcessHandle.of(pid).flatMap(h -> h.info().command()).orElseThrow();
        Path jcmd = Path.of(java).resolveSibling("jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + command + " failed: " + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static String size(long bytes) {
        return bytes < 1_000_000 ? bytes + " bytes" : mb(bytes);
    }

    private static String mb(long bytes) {
        return String.format("%.1f MB", bytes / 1e6);
    }

    private static LongFunction<byte[]> slices(byte[] all) {
        int size = 64 * 1024;
        return i -> {
            int from = (int) Math.min(all.length, i * size);
            return java.util.Arrays.copyOfRange(all, from, Math.min(all.length, from + size));
        };
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] b : parts) {
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    // ---- the raw "muxer" ----

    /**
     * Negotiated under a real muxer's protocol ID, installs nothing but {@link RawSession}'s handler: the
     * test writes raw frames into the secured channel and reads what the listener sends back.
     */
    static final class RawMuxer implements StreamMuxer {
        private final String protocolId;

        RawMuxer(String protocolId) {
            this.protocolId = protocolId;
        }

        @Override
        public String protocolId() {
            return protocolId;
        }

        @Override
        public MuxedSession install(ChannelPipeline pipeline, String beforeName, MuxerContext context) {
            RawSession session = new RawSession(pipeline.channel(), protocolId);
            if (beforeName == null) {
                pipeline.addLast("raw", session.handler);
            } else {
                pipeline.addBefore(beforeName, "raw", session.handler);
            }
            return session;
        }
    }

    /** The decrypted connection, written with raw frames; keeps the first MiB the listener sends back. */
    static final class RawSession implements MuxedSession {
        private static final int KEEP_BYTES = 1 << 20;
        private final Channel channel;
        private final String protocolId;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final AtomicLong pumped = new AtomicLong();
        private volatile long pumpTotal;
        private volatile boolean pumping;
        private LongFunction<byte[]> chunks;
        private long next;
        private ChannelHandlerContext ctx;
        final ChannelHandler handler = new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext c) {
                ctx = c;
            }

            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) {
                if (msg instanceof ByteBuf buf) {
                    synchronized (received) {
                        int n = Math.min(buf.readableBytes(), KEEP_BYTES - received.size());
                        if (n > 0) {
                            byte[] b = new byte[n];
                            buf.getBytes(buf.readerIndex(), b);
                            received.writeBytes(b);
                        }
                    }
                }
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext c) {
                if (c.channel().isWritable()) {
                    pumpMore();
                }
                c.fireChannelWritabilityChanged();
            }

            @Override
            public void channelInactive(ChannelHandlerContext c) {
                pumping = false;
                c.fireChannelInactive();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                c.close();
            }
        };

        RawSession(Channel channel, String protocolId) {
            this.channel = channel;
            this.protocolId = protocolId;
        }

        /** Writes {@code bytes} and waits until written (or the connection is gone). */
        void send(byte[] bytes) {
            pumpTotal += bytes.length;
            ChannelFuture f = channel.eventLoop().submit(() -> ctx.writeAndFlush(Unpooled.wrappedBuffer(bytes)))
                    .syncUninterruptibly().getNow();
            f.awaitUninterruptibly(CLOSE_WAIT_MILLIS);
            if (f.isSuccess()) {
                pumped.addAndGet(bytes.length);
            }
        }

        /** Writes {@code chunks.apply(0, 1, ...)} while the connection is writable, until {@code total} bytes. */
        void pump(LongFunction<byte[]> chunks, long total) {
            pumpTotal += total;
            long target = pumped.get() + total;
            channel.eventLoop().execute(() -> {
                this.chunks = chunks;
                this.next = 0;
                this.pumpTarget = target;
                pumping = true;
                pumpMore();
            });
        }

        private long pumpTarget;

        private void pumpMore() {
            if (!pumping || chunks == null) {
                return;
            }
            while (pumped.get() < pumpTarget && channel.isActive() && channel.isWritable()) {
                byte[] b = chunks.apply(next++);
                pumped.addAndGet(b.length);
                ctx.write(Unpooled.wrappedBuffer(b));
            }
            ctx.flush();
            if (pumped.get() >= pumpTarget || !channel.isActive()) {
                pumping = false;
            }
        }

        /** Waits until the pump finished or made no progress for {@code stallMillis}, at most {@code maxMillis}. */
        void awaitPumpEndOrStall(long stallMillis, long maxMillis) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMillis);
            long last = -1;
            long lastChange = System.nanoTime();
            Thread.sleep(50);
            while (pumping && System.nanoTime() < deadline) {
                long now = pumped.get();
                if (now != last) {
                    last = now;
                    lastChange = System.nanoTime();
                } else if (System.nanoTime() - lastChange > TimeUnit.MILLISECONDS.toNanos(stallMillis)) {
                    return;
                }
                Thread.sleep(20);
            }
        }

        long pumped() {
            return pumped.get();
        }

        long pumpTotal() {
            return pumpTotal;
        }

        /** @return what the listener sent back, in frames: GoAway code, resets, Ping answers */
        String summary(String protocolId) {
            byte[] b;
            synchronized (received) {
                b = received.toByteArray();
            }
            if (b.length == 0) {
                return ", sent nothing back";
            }
            if (protocolId.equals(YamuxStreamMuxer.PROTOCOL_ID)) {
                long goAway = -1;
                int resets = 0;
                int pongs = 0;
                int acks = 0;
                ByteBuffer in = ByteBuffer.wrap(b);
                while (in.remaining() >= 12) {
                    in.get();
                    int type = in.get() & 0xff;
                    int flags = in.getShort() & 0xffff;
                    in.getInt();
                    long length = in.getInt() & 0xFFFF_FFFFL;
                    if (type == 0) {
                        if (length > in.remaining()) {
                            break;
                        }
                        in.position(in.position() + (int) length);
                    }
                    if (type == 3) {
                        goAway = length;
                    } else if (type == 2 && (flags & 2) != 0) {
                        pongs++;
                    } else if (type <= 1 && (flags & 8) != 0) {
                        resets++;
                    } else if (type <= 1 && (flags & 2) != 0) {
                        acks++;
                    }
                }
                return (goAway >= 0 ? " with GoAway " + goAway : "") + (resets > 0 ? ", " + resets + " RST" : "")
                        + (pongs > 0 ? ", " + pongs + " Ping answers" : "") + (acks > 0 ? ", " + acks + " ACKs" : "");
            }
            int resets = 0;
            ByteBuf in = Unpooled.wrappedBuffer(b);
            try {
                while (in.isReadable()) {
                    long header = UnsignedVarint.tryDecode(in, UnsignedVarint.MAX_VALUE);
                    long length = header < 0 ? -1 : UnsignedVarint.tryDecode(in, UnsignedVarint.MAX_VALUE);
                    if (length < 0 || length > in.readableBytes()) {
                        break;
                    }
                    in.skipBytes((int) length);
                    if ((header & 7) == 5 || (header & 7) == 6) {
                        resets++;
                    }
                }
            } catch (RuntimeException e) {
                // a truncated tail
            } finally {
                in.release();
            }
            return resets > 0 ? ", " + resets + " resets" : "";
        }

        @Override
        public String protocolId() {
            return protocolId;
        }

        @Override
        public Channel connection() {
            return channel;
        }

        @Override
        public Future<MuxedStream> openStream(ChannelHandler handler) {
            return ImmediateEventExecutor.INSTANCE.newFailedFuture(new UnsupportedOperationException("raw session"));
        }

        @Override
        public int streamCount() {
            return 0;
        }

        @Override
        public ChannelFuture close() {
            return channel.close();
        }
    }
}
