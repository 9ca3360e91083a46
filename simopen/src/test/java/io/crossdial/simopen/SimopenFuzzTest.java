package io.crossdial.simopen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.crossdial.core.FuzzBound;
import io.crossdial.core.FuzzFeed;
import io.crossdial.core.spi.Role;
import io.crossdial.multistream.MultistreamException;
import io.crossdial.simopen.SimopenTestSupport.Negotiations;
import io.crossdial.simopen.SimopenTestSupport.Resolutions;
import io.crossdial.simopen.SimopenTestSupport.Tail;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Fuzzes simultaneous-open resolution: {@link SimopenDialerHandler} in an {@link EmbeddedChannel} fed
 * arbitrary answer bytes, and {@link StockDialerProbe} fed arbitrary first bytes. Every input ends in a
 * resolution (and the multistream stage it hands over to), a {@link SimopenException} or
 * {@link MultistreamException} and a closed channel, or - once the stage's timeout has passed on the
 * channel's clock - a timeout failure; nothing else is thrown, nothing hangs, every buffer is released.
 * Input byte 0: bit 0 the mode (POISON_BYTE/SPEC), bits 4-7 the chunk size (0: one chunk).
 * Corpus: {@code SimopenFuzzTestInputs/}.
 */
class SimopenFuzzTest {
    private static final long TIMEOUT_MILLIS = 10_000;

    @FuzzTest
    void dialerResolvesOrFailsWithTypedException(byte[] input) {
        FuzzBound.run(() -> dial(input));
    }

    @FuzzTest
    void stockDialerProbeForwardsEveryByteOnce(byte[] input) {
        FuzzBound.run(() -> probe(input));
    }

    private static void dial(byte[] input) {
        SimopenMode mode = input.length > 0 && (input[0] & 1) == 1 ? SimopenMode.SPEC : SimopenMode.POISON_BYTE;
        Tail tail = new Tail();
        Resolutions resolutions = new Resolutions();
        Negotiations negotiations = new Negotiations();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        List<ByteBuf> inputs = new ArrayList<>();
        try {
            ch.pipeline().addLast("simopen", new SimopenDialerHandler(mode, List.of("/noise", "/tls/1.0.0"),
                    TIMEOUT_MILLIS, counting(), resolutions, negotiations)).addLast("tail", tail);
            FuzzFeed.chunks(ch, input, inputs, () -> { });
            if (ch.isOpen()) {
                // whatever state it is in, the stage's timeout ends it (or the next stage's, after a hand-over)
                ch.advanceTimeBy(TIMEOUT_MILLIS + 1, TimeUnit.MILLISECONDS);
                ch.runScheduledPendingTasks();
                ch.runPendingTasks();
            }
            ch.checkException();
            for (Throwable t : tail.exceptions) {
                if (!(t instanceof SimopenException) && !(t instanceof MultistreamException)) {
                    throw new AssertionError("not a SimopenException or MultistreamException", t);
                }
            }
            assertTrue(resolutions.results.size() <= 1, "resolved once at most");
            assertTrue(negotiations.protocols.size() + negotiations.failures.size() <= 1, "one outcome at most");
            if (!tail.exceptions.isEmpty() || !negotiations.failures.isEmpty()) {
                assertFalse(ch.isOpen(), "a failure closes the channel");
            }
            if (ch.isOpen()) {
                assertEquals(1, negotiations.protocols.size(), "an open channel after the timeout has negotiated");
            }
        } finally {
            ch.finishAndReleaseAll();
        }
        for (ByteBuf in : inputs) {
            assertEquals(0, in.refCnt(), "input buffer leaked");
        }
    }

    private static void probe(byte[] input) {
        Tail tail = new Tail();
        List<Role> decisions = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        List<ByteBuf> inputs = new ArrayList<>();
        try {
            ch.pipeline().addLast("probe", new StockDialerProbe(2_000, (ctx, role, waited) -> {
                decisions.add(role);
                ctx.pipeline().addAfter(ctx.name(), "security", tail);
            }));
            FuzzFeed.chunks(ch, input, inputs, () -> { });
            ch.advanceTimeBy(2_001, TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
            ch.checkException();
            assertEquals(1, decisions.size(), "decided exactly once");
            byte[] payload = input.length == 0 ? input : Arrays.copyOfRange(input, 1, input.length);
            assertEquals(payload.length > 0 ? Role.RESPONDER : Role.INITIATOR, decisions.get(0));
            assertArrayEquals(payload, tail.received.toByteArray(), "every held byte reaches the next stage");
            assertTrue(tail.exceptions.isEmpty());
        } finally {
            ch.finishAndReleaseAll();
        }
        for (ByteBuf in : inputs) {
            assertEquals(0, in.refCnt(), "input buffer leaked");
        }
    }

    /** select: numbers 7, 8, 9, ...: deterministic, so a finding replays. */
    private static LongSupplier counting() {
        long[] next = {7};
        return () -> next[0]++;
    }
}
