package io.crossdial.host.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.crossdial.core.FuzzBound;
import io.crossdial.core.FuzzFeed;
import io.crossdial.host.protocol.pb.IdentifyProtos;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.util.concurrent.CompletableFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Fuzzes identify decoding: the codec on one raw protobuf message (decoded info survives a re-encode), and
 * {@link IdentifyClient} on a stream in an {@link EmbeddedChannel} fed arbitrary length-prefixed bytes,
 * ended by EOF or by its timeout on the channel's clock. The result is always settled: an
 * {@link IdentifyInfo} or an {@link IdentifyException}; nothing else, every buffer released.
 * Input byte 0 of the client target: bit 0 EOF (1) or timeout (0), bits 4-7 the chunk size (0: one chunk).
 * Corpus: {@code IdentifyFuzzTestInputs/}.
 */
class IdentifyFuzzTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @FuzzTest
    void codecDecodesMessageOrRejectsWithIdentifyException(byte[] message) {
        FuzzBound.run(() -> {
            IdentifyInfo info;
            try {
                IdentifyProtos.Identify.Builder merged = IdentifyProtos.Identify.newBuilder();
                IdentifyCodec.mergeMessage(merged, message);
                info = IdentifyCodec.fromMessage(merged.build());
            } catch (IdentifyException expected) {
                return;
            }
            assertEquals(info, IdentifyCodec.fromMessage(IdentifyCodec.toMessage(info)));
        });
    }

    @FuzzTest
    void clientSettlesWithInfoOrIdentifyException(byte[] input) {
        FuzzBound.run(() -> {
            int control = input.length == 0 ? 0 : input[0] & 0xFF;
            EmbeddedChannel ch = new EmbeddedChannel();
            ch.freezeTime();
            List<ByteBuf> inputs = new ArrayList<>();
            try {
                IdentifyClient client = new IdentifyClient(ch, TIMEOUT);
                FuzzFeed.chunks(ch, input, inputs, () -> { });
                if (ch.isOpen()) {
                    if ((control & 1) == 1) {
                        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
                    } else {
                        ch.advanceTimeBy(TIMEOUT.toMillis() + 1, TimeUnit.MILLISECONDS);
                        ch.runScheduledPendingTasks();
                    }
                }
                ch.runPendingTasks();
                ch.checkException();
                CompletableFuture<IdentifyInfo> result = client.result();
                assertTrue(result.isDone(), "settled after EOF or the timeout");
                if (!Settled.succeeded(result) && !(Settled.cause(result) instanceof IdentifyException)) {
                    throw new AssertionError("not an IdentifyException", Settled.cause(result));
                }
                assertFalse(ch.isOpen(), "the client ends the stream either way");
            } finally {
                ch.finishAndReleaseAll();
            }
            for (ByteBuf in : inputs) {
                assertEquals(0, in.refCnt(), "input buffer leaked");
            }
        });
    }
}
