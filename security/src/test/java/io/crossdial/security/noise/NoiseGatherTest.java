package io.crossdial.security.noise;

import static io.crossdial.security.noise.NoiseTestSupport.drain;
import static io.crossdial.security.noise.NoiseTestSupport.pump;
import static io.crossdial.security.noise.NoiseTestSupport.side;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.spi.Role;
import io.crossdial.security.noise.NoiseTestSupport.Side;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.io.ByteArrayOutputStream;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Outbound plaintext is gathered until flush and encrypted into as few transport messages as possible. */
class NoiseGatherTest {
    private final List<Side> sides = new ArrayList<>();
    private final List<ByteBuf> handedOut = new ArrayList<>();

    @AfterEach
    void releaseEverything() {
        for (Side s : sides) {
            s.channel().finishAndReleaseAll();
        }
        for (ByteBuf b : handedOut) {
            assertEquals(0, b.refCnt(), "buffer handed to the handler was released");
        }
    }

    private Side[] connected() {
        Side i = side(Role.INITIATOR, null, List.of());
        Side r = side(Role.RESPONDER, null, List.of());
        sides.add(i);
        sides.add(r);
        pump(i.channel(), r.channel());
        assertEquals(1, i.recorder().sessions.size());
        assertEquals(1, r.recorder().sessions.size());
        return new Side[] {i, r};
    }

    private ByteBuf handOut(byte[] bytes) {
        ByteBuf b = Unpooled.wrappedBuffer(bytes);
        handedOut.add(b);
        return b;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void yamuxHeaderAndA64KibBodyFlushedTogetherBecomeTwoMessagesOf65519And29PlaintextBytes() {
        Side[] c = connected();
        byte[] header = random(12, 1);
        byte[] body = random(65536, 2);
        ChannelFuture h = c[0].channel().write(handOut(header));
        ChannelFuture b = c[0].channel().write(handOut(body));
        assertNull(c[0].channel().readOutbound(), "nothing leaves before flush");
        assertFalse(h.isDone());
        assertFalse(b.isDone());
        c[0].channel().flush();

        List<ByteBuf> frames = drain(c[0].channel());
        assertEquals(2, frames.size());
        assertEquals(2 + 65519 + 16, frames.get(0).readableBytes());
        assertEquals(65535, frames.get(0).getUnsignedShort(0));
        assertEquals(2 + 29 + 16, frames.get(1).readableBytes());
        assertEquals(29 + 16, frames.get(1).getUnsignedShort(0));
        assertTrue(h.isSuccess());
        assertTrue(b.isSuccess());
        for (ByteBuf f : frames) {
            c[1].channel().writeInbound(f);
        }
        assertEquals(2, c[1].recorder().reads);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(header);
        expected.writeBytes(body);
        assertArrayEquals(expected.toByteArray(), c[1].recorder().takeData());
    }

    @Test
    void manySmallWritesThenOneFlushBecomeOneMessage() {
        Side[] c = connected();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        List<ChannelFuture> writes = new ArrayList<>();
        for (int k = 0; k < 100; k++) {
            byte[] piece = random(1 + k % 17, k);
            expected.writeBytes(piece);
            writes.add(c[0].channel().write(handOut(piece)));
        }
        c[0].channel().flush();
        List<ByteBuf> frames = drain(c[0].channel());
        assertEquals(1, frames.size());
        assertEquals(2 + expected.size() + 16, frames.get(0).readableBytes());
        for (ChannelFuture w : writes) {
            assertTrue(w.isSuccess());
        }
        c[1].channel().writeInbound(frames.get(0));
        assertEquals(1, c[1].recorder().reads);
        assertArrayEquals(expected.toByteArray(), c[1].recorder().takeData());
    }

    @Test
    void closeFailsGatheredWritesAndReleasesTheirBuffers() {
        Side[] c = connected();
        List<ChannelFuture> writes = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            writes.add(c[0].channel().write(handOut(random(100 + k, k))));
        }
        c[0].channel().close();
        for (ChannelFuture w : writes) {
            assertTrue(w.isDone());
            assertInstanceOf(ClosedChannelException.class, w.cause());
        }
        for (ByteBuf b : handedOut) {
            assertEquals(0, b.refCnt());
        }
        ChannelFuture late = c[0].channel().writeAndFlush(handOut(random(5, 9)));
        assertFalse(late.isSuccess());
        assertNull(c[0].channel().readOutbound(), "no frame is written after close");
    }

    @Test
    void connectionFailureFailsEveryGatheredWriteAndReleasesTheirBuffers() {
        Side[] c = connected();
        List<ChannelFuture> writes = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            writes.add(c[0].channel().write(handOut(random(1000, k))));
        }
        c[0].channel().writeInbound(Unpooled.buffer().writeShort(20).writeZero(20)); // fails authentication
        assertInstanceOf(NoiseException.class, c[0].recorder().onlyNoiseException());
        for (ChannelFuture w : writes) {
            assertTrue(w.isDone());
            assertInstanceOf(NoiseException.class, w.cause());
        }
        for (ByteBuf b : handedOut) {
            assertEquals(0, b.refCnt());
        }
    }

    @Test
    void moreThanOneMibPendingIsEncryptedInFullMessagesBeforeFlush() {
        Side[] c = connected();
        List<Integer> written = new ArrayList<>();
        c[0].channel().pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                written.add(((ByteBuf) msg).readableBytes());
                ctx.write(msg, promise);
            }
        });
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int k = 0; k < 16; k++) {
            byte[] piece = random(65536, k);
            expected.writeBytes(piece);
            c[0].channel().write(handOut(piece));
        }
        assertEquals(List.of(), written, "16 x 64 KiB = 1 MiB is still gathered");
        byte[] last = random(65536, 16);
        expected.writeBytes(last);
        c[0].channel().write(handOut(last));
        // 17 x 65536 = 1114112 bytes: 17 full messages of 65519 bytes, 289 bytes still gathered
        assertEquals(17, written.size());
        assertTrue(written.stream().allMatch(n -> n == 2 + 65535));
        c[0].channel().flush();
        assertEquals(18, written.size());
        assertEquals(2 + 289 + 16, written.get(17));
        for (ByteBuf f : drain(c[0].channel())) {
            c[1].channel().writeInbound(f);
        }
        assertArrayEquals(expected.toByteArray(), c[1].recorder().takeData());
    }

    @Test
    void emptyWriteCompletesOnFlushWithoutAMessage() {
        Side[] c = connected();
        ChannelFuture f = c[0].channel().writeAndFlush(Unpooled.EMPTY_BUFFER);
        assertTrue(f.isSuccess());
        for (ByteBuf b : drain(c[0].channel())) {
            assertEquals(0, b.readableBytes());
            b.release();
        }
    }

    @Test
    void compositePlaintextEncryptsToTheSameBytesAsContiguousPlaintext() {
        byte[] key = random(CipherState.KEY_BYTES, 7);
        byte[] plain = random(65519, 8);
        CipherState contiguous = new CipherState();
        CipherState gathered = new CipherState();
        contiguous.initializeKey(key);
        gathered.initializeKey(key);
        ByteBuf whole = Unpooled.wrappedBuffer(plain);
        ByteBuf composite = Unpooled.compositeBuffer()
                .addComponent(true, Unpooled.copiedBuffer(plain, 0, 12))
                .addComponent(true, Unpooled.directBuffer(65519).writeBytes(plain, 12, 65519 - 12 - 5))
                .addComponent(true, Unpooled.copiedBuffer(plain, 65519 - 5, 5));
        ByteBuf a = Unpooled.buffer();
        ByteBuf b = Unpooled.buffer();
        try {
            for (int k = 0; k < 2; k++) {
                a.clear();
                b.clear();
                contiguous.encrypt(whole, 0, plain.length, a);
                gathered.encrypt(composite, 0, plain.length, b);
                assertEquals(plain.length + CipherState.TAG_BYTES, b.readableBytes());
                assertEquals(a, b, "message " + k);
            }
        } finally {
            whole.release();
            composite.release();
            a.release();
            b.release();
        }
    }

    /** One write: its size and whether a flush follows it. */
    record Write(int size, boolean flush) {}

    @Provide
    Arbitrary<List<Write>> writes() {
        Arbitrary<Integer> size = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, Arbitraries.integers().between(0, 40)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0, 70_000)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(65_500, 140_000)));
        return Combinators.combine(size, Arbitraries.of(true, false))
                .as(Write::new).list().ofMaxSize(12);
    }

    @Property(tries = 60)
    void randomWritesAndFlushesDecryptToTheSameByteStreamInAsFewMessagesAsPossible(
            @ForAll("writes") List<Write> writes) {
        Side i = side(Role.INITIATOR, null, List.of());
        Side r = side(Role.RESPONDER, null, List.of());
        List<ByteBuf> bufs = new ArrayList<>();
        List<ChannelFuture> futures = new ArrayList<>();
        try {
            pump(i.channel(), r.channel());
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            Random random = new Random(writes.size());
            int sinceFlush = 0;
            for (int k = 0; k < writes.size(); k++) {
                Write w = writes.get(k);
                boolean flush = w.flush() || k == writes.size() - 1;
                byte[] bytes = new byte[w.size()];
                random.nextBytes(bytes);
                expected.writeBytes(bytes);
                ByteBuf b = Unpooled.wrappedBuffer(bytes);
                bufs.add(b);
                futures.add(i.channel().write(b));
                sinceFlush += bytes.length;
                if (flush) {
                    i.channel().flush();
                    int messages = 0;
                    for (ByteBuf f : drain(i.channel())) {
                        if (f.isReadable()) {
                            messages++;
                        }
                        r.channel().writeInbound(f);
                    }
                    assertEquals((sinceFlush + 65518) / 65519, messages, "messages for " + sinceFlush + " bytes");
                    sinceFlush = 0;
                }
            }
            assertArrayEquals(expected.toByteArray(), r.recorder().takeData());
            assertTrue(r.recorder().exceptions.isEmpty());
            for (ChannelFuture f : futures) {
                assertTrue(f.isSuccess());
            }
        } finally {
            i.channel().finishAndReleaseAll();
            r.channel().finishAndReleaseAll();
        }
        for (ByteBuf b : bufs) {
            if (b != Unpooled.EMPTY_BUFFER) { // what wrappedBuffer(new byte[0]) returns; never released
                assertEquals(0, b.refCnt());
            }
        }
    }
}
