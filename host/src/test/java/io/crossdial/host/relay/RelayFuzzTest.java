package io.crossdial.host.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import io.crossdial.core.FuzzBound;
import io.crossdial.core.FuzzFeed;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.host.dcutr.DcutrFuzzAccess;
import io.crossdial.host.relay.pb.CircuitProtos.HopMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Fuzzes the relay's and DCUtR's decoding: {@link FramedHandler} in an {@link EmbeddedChannel} fed arbitrary
 * bytes in chunks, each frame parsed as a {@code HopMessage} (the hop server's first step), then its timeout
 * on the channel's clock; the voucher envelope opener; and DCUtR's address filter. Contract: messages or one
 * {@link RelayException}, never anything else, every buffer released, the handler settled by its timeout.
 * Input byte 0 of the handler target: bits 4-7 the chunk size (0: one chunk).
 */
class RelayFuzzTest {
    private static final long TIMEOUT_MILLIS = 1_000;

    /** Reads frames as HopMessages until one fails to parse or the bytes end. */
    private static final class HopReader extends FramedHandler {
        final List<HopMessage> messages = new ArrayList<>();
        final List<RelayException> failures = new ArrayList<>();

        HopReader() {
            super(RelayProtocols.MAX_MESSAGE_BYTES, TIMEOUT_MILLIS);
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            expectMessage(ctx);
        }

        @Override
        protected void onMessage(ChannelHandlerContext ctx, byte[] frame) throws Exception {
            messages.add(HopMessage.parseFrom(frame));
            expectMessage(ctx);
        }

        @Override
        protected void onFailure(ChannelHandlerContext ctx, RelayException e) {
            failures.add(e);
            ctx.close();
        }
    }

    @FuzzTest
    void framedHandlerGivesMessagesOrOneRelayException(byte[] input) {
        FuzzBound.run(() -> {
            EmbeddedChannel ch = new EmbeddedChannel();
            ch.freezeTime();
            List<ByteBuf> inputs = new ArrayList<>();
            HopReader reader = new HopReader();
            try {
                ch.pipeline().addLast(reader);
                FuzzFeed.chunks(ch, input, inputs, () -> { });
                ch.advanceTimeBy(TIMEOUT_MILLIS + 1, TimeUnit.MILLISECONDS);
                ch.runScheduledPendingTasks();
                ch.runPendingTasks();
                ch.checkException();
                assertEquals(1, reader.failures.size(), "settled once: a bad frame, EOF or the timeout");
                assertTrue(!ch.isOpen(), "the stream is closed after the failure");
                for (HopMessage m : reader.messages) {
                    assertTrue(m.getSerializedSize() <= RelayProtocols.MAX_MESSAGE_BYTES);
                }
            } finally {
                ch.finishAndReleaseAll();
            }
            for (ByteBuf in : inputs) {
                assertEquals(0, in.refCnt(), "input buffer leaked");
            }
        });
    }

    @FuzzTest
    void voucherOpensOrRejectsWithRelayException(byte[] envelope) {
        FuzzBound.run(() -> {
            try {
                Voucher v = Voucher.open(envelope);
                assertTrue(v.relay() != null && v.peer() != null);
            } catch (RelayException expected) {
                assertEquals(RelayException.Reason.MALFORMED, expected.reason());
            }
        });
    }

    @FuzzTest
    void dcutrKeepsOnlyDialableAddresses(byte[] input) {
        FuzzBound.run(() -> {
            PeerId remote = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
            List<ByteString> raw = new ArrayList<>();
            int at = 0;
            while (at < input.length) {
                int n = Math.min(input[at] & 0x3F, input.length - at - 1);
                raw.add(ByteString.copyFrom(input, at + 1, n));
                at += 1 + n;
            }
            assertTrue(DcutrFuzzAccess.dialable(raw, remote).size() <= 16);
        });
    }
}
