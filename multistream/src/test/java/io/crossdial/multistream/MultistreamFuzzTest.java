package io.crossdial.multistream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.crossdial.core.FuzzBound;
import io.crossdial.multistream.TestSupport.Outcome;
import io.crossdial.multistream.TestSupport.Recorder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes multistream-select: the frame decoder and message parser on raw bytes, and the dialer and
 * listener handlers in an {@link EmbeddedChannel} fed the bytes in chunks. Each input ends in messages, a
 * negotiated protocol, "need more", or a {@link MultistreamException} and a closed channel; nothing else is
 * thrown and every buffer is released. The first input byte sets the chunk size (0: one chunk).
 * Corpus: {@code MultistreamFuzzTestInputs/}.
 */
class MultistreamFuzzTest {
    private static final List<String> SUPPORTED = List.of("/noise", "/tls/1.0.0", "/yamux/1.0.0");

    @FuzzTest
    void framesAndParsesOrRejectsWithMultistreamException(byte[] input) {
        FuzzBound.run(() -> decodeFrames(input));
    }

    @FuzzTest
    void listenerNegotiatesOrFailsWithMultistreamException(byte[] input) {
        FuzzBound.run(() -> feed(input, new Outcome(new Recorder()), true));
    }

    @FuzzTest
    void dialerNegotiatesOrFailsWithMultistreamException(byte[] input) {
        FuzzBound.run(() -> feed(input, new Outcome(new Recorder()), false));
    }

    private static void decodeFrames(byte[] input) {
        ByteBuf in = ByteBufAllocator.DEFAULT.buffer(input.length + 1).writeBytes(input);
        try {
            for (int frames = 0; in.isReadable(); frames++) {
                assertTrue(frames <= input.length, "each frame consumes at least one byte");
                int before = in.readerIndex();
                ByteBuf frame;
                try {
                    frame = MultistreamFrames.readFrame(in, MultistreamSelect.MAX_MESSAGE_BYTES);
                } catch (MultistreamException e) {
                    assertEquals(before, in.readerIndex(), "a rejected prefix leaves the reader index alone");
                    return;
                }
                if (frame == null) {
                    assertEquals(before, in.readerIndex());
                    return;
                }
                assertTrue(frame.readableBytes() <= MultistreamSelect.MAX_MESSAGE_BYTES);
                parseBoth(frame);
            }
        } finally {
            assertTrue(in.release());
        }
    }

    private static void parseBoth(ByteBuf frame) {
        try {
            Message message = Message.parse(frame.duplicate());
            ByteBuf again = ByteBufAllocator.DEFAULT.buffer();
            try {
                message.encode(again);
                assertEquals(message, Message.parse(MultistreamFrames.readFrame(again, MultistreamSelect.MAX_MESSAGE_BYTES)));
            } finally {
                again.release();
            }
        } catch (MultistreamException expected) {
            // not a text message
        }
        try {
            Message.LsResponse ls = Message.parseLsResponse(frame.duplicate());
            assertTrue(ls.protocols().stream().allMatch(id -> id.startsWith("/")));
        } catch (MultistreamException expected) {
            // not an ls response
        }
    }

    private static void feed(byte[] input, Outcome outcome, boolean listener) {
        Recorder tail = new Recorder();
        NegotiationHandler handler = listener
                ? new MultistreamListenerHandler(SUPPORTED, 10_000, outcome)
                : new MultistreamDialerHandler(List.of("/tls/1.0.0", "/noise"), 10_000, outcome);
        EmbeddedChannel ch = new EmbeddedChannel(handler, tail);
        List<ByteBuf> inputs = new ArrayList<>();
        try {
            int chunk = input.length == 0 || input[0] == 0 ? Math.max(1, input.length) : input[0] & 0x0F | 1;
            for (int at = Math.min(1, input.length); at < input.length && ch.isOpen(); at += chunk) {
                int n = Math.min(chunk, input.length - at);
                ByteBuf in = ByteBufAllocator.DEFAULT.buffer(n).writeBytes(input, at, n);
                inputs.add(in);
                ch.writeInbound(in);
            }
            ch.checkException();
            for (Throwable t : tail.exceptions) {
                if (!(t instanceof MultistreamException)) {
                    throw new AssertionError("not a MultistreamException", t);
                }
            }
            assertTrue(outcome.negotiatedCalls + outcome.failedCalls <= 1, "one outcome at most");
            if (outcome.failedCalls == 1) {
                assertFalse(ch.isOpen(), "a failed negotiation closes the channel");
            }
            if (outcome.negotiatedCalls == 1) {
                assertTrue(SUPPORTED.contains(outcome.protocol), outcome.protocol);
            }
            ch.close();
        } finally {
            ch.finishAndReleaseAll();
        }
        for (ByteBuf in : inputs) {
            assertEquals(0, in.refCnt(), "input buffer leaked");
        }
    }
}
