package io.crossdial.multistream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crossdial.multistream.TestSupport.Recorder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class RandomInputPropertyTest {
    private static final byte[] HEADER = ByteBufUtil.decodeHexDump(TestSupport.HEADER_HEX);

    @Property(tries = 300)
    void listenerFailsOnlyWithMultistreamExceptionAndLeaksNothing(@ForAll @Size(max = 64) List<byte[]> chunks,
            @ForAll boolean startWithHeader) {
        feed(new MultistreamListenerHandler(List.of("/noise"), 1000, (ctx, id) -> {}), chunks, startWithHeader);
    }

    @Property(tries = 300)
    void dialerFailsOnlyWithMultistreamExceptionAndLeaksNothing(@ForAll @Size(max = 64) List<byte[]> chunks,
            @ForAll boolean startWithHeader) {
        feed(new MultistreamDialerHandler(List.of("/tls/1.0.0", "/noise"), 1000, (ctx, id) -> {}), chunks,
                startWithHeader);
    }

    @Property(tries = 300)
    void framedRandomTextFailsOnlyWithMultistreamException(@ForAll("lines") List<String> lines) {
        List<byte[]> chunks = new ArrayList<>();
        for (String line : lines) {
            ByteBuf buf = Unpooled.buffer();
            byte[] text = line.getBytes(StandardCharsets.UTF_8);
            MultistreamFrames.writeFrame(buf, text);
            byte[] frame = new byte[buf.readableBytes()];
            buf.readBytes(frame);
            buf.release();
            chunks.add(frame);
        }
        feed(new MultistreamListenerHandler(List.of("/noise"), 1000, (ctx, id) -> {}), chunks, true);
    }

    @Property(tries = 200)
    void protocolMessagesRoundTrip(@ForAll("protocolIds") String id) {
        ByteBuf buf = Unpooled.buffer();
        try {
            new Message.Protocol(id).encode(buf);
            ByteBuf frame = MultistreamFrames.readFrame(buf, MultistreamSelect.MAX_MESSAGE_BYTES);
            Message parsed = Message.parse(frame);
            assertEquals(id.equals(MultistreamSelect.PROTOCOL_ID) ? Message.HEADER : new Message.Protocol(id), parsed);
            assertEquals(0, buf.readableBytes());
        } finally {
            buf.release();
        }
    }

    @Property(tries = 100)
    void lsResponsesRoundTrip(@ForAll @Size(max = 20) List<@IntRange(min = 0, max = 99999) Integer> numbers) {
        List<String> ids = numbers.stream().map(n -> "/p/" + n).toList();
        Message.LsResponse ls = Message.LsResponse.fitting(ids);
        ByteBuf buf = Unpooled.buffer();
        try {
            ls.encode(buf);
            assertEquals(ls, Message.parseLsResponse(MultistreamFrames.readFrame(buf, 1024)));
        } finally {
            buf.release();
        }
    }

    @Provide
    Arbitrary<List<String>> lines() {
        Arbitrary<String> line = Arbitraries.oneOf(
                Arbitraries.of("/noise\n", "na\n", "ls\n", "/multistream/1.0.0\n", "\n", "/x", "select:1\n"),
                Arbitraries.strings().ofMaxLength(40).map(s -> s + "\n"),
                Arbitraries.strings().ofMaxLength(40));
        return line.list().ofMaxSize(10);
    }

    @Provide
    Arbitrary<String> protocolIds() {
        return Arbitraries.strings().excludeChars('\n').ofMaxLength(300)
                .filter(s -> s.chars().noneMatch(c -> Character.isSurrogate((char) c)))
                .map(s -> "/" + s)
                .filter(s -> s.getBytes(StandardCharsets.UTF_8).length < MultistreamSelect.MAX_MESSAGE_BYTES);
    }

    private static void feed(NegotiationHandler handler, List<byte[]> chunks, boolean startWithHeader) {
        Recorder tail = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(handler, tail);
        List<ByteBuf> inputs = new ArrayList<>();
        try {
            if (startWithHeader) {
                chunks = new ArrayList<>(chunks);
                chunks.add(0, HEADER);
            }
            for (byte[] chunk : chunks) {
                if (!ch.isOpen()) {
                    break;
                }
                ByteBuf in = ByteBufAllocator.DEFAULT.buffer(chunk.length).writeBytes(chunk);
                inputs.add(in);
                ch.writeInbound(in);
            }
            ch.close();
            for (Throwable t : tail.exceptions) {
                if (!(t instanceof MultistreamException)) {
                    throw new AssertionError("unexpected exception type", t);
                }
                if (!t.getMessage().startsWith(MultistreamException.MESSAGE_PREFIX)) {
                    throw new AssertionError("message without prefix: " + t.getMessage());
                }
            }
        } finally {
            ch.finishAndReleaseAll();
        }
        for (ByteBuf in : inputs) {
            assertEquals(0, in.refCnt(), "input buffer leaked");
        }
    }
}
