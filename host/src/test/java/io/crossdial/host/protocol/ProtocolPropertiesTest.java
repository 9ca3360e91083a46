package io.crossdial.host.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class ProtocolPropertiesTest {
    @Property(tries = 200)
    void identifyClientFailsOnlyWithIdentifyExceptionOnRandomBytes(@ForAll @Size(max = 300) byte[] bytes,
            @ForAll @IntRange(min = 1, max = 50) int split) {
        EmbeddedChannel ch = new EmbeddedChannel();
        IdentifyClient client = new IdentifyClient(ch, Duration.ofSeconds(5), 200);
        for (int at = 0; at < bytes.length && ch.isOpen(); at += split) {
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, at, Math.min(split, bytes.length - at)));
        }
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertTrue(client.result().isDone());
        if (!Settled.succeeded(client.result())) {
            assertInstanceOf(IdentifyException.class, Settled.cause(client.result()));
        }
        ch.finishAndReleaseAll();
    }

    @Property(tries = 200)
    void pingResponderEchoesEveryWhole32BytesWhateverTheReadBoundaries(@ForAll @Size(max = 200) byte[] bytes,
            @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 70) Integer> cuts) {
        EmbeddedChannel ch = new EmbeddedChannel(new PingResponder());
        int at = 0;
        for (int i = 0; at < bytes.length; i++) {
            int n = Math.min(cuts.get(i % cuts.size()), bytes.length - at);
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, at, n));
            at += n;
        }
        ByteArrayOutputStream echoed = new ByteArrayOutputStream();
        for (ByteBuf out; (out = ch.readOutbound()) != null; ) {
            assertEquals(32, out.readableBytes());
            echoed.writeBytes(ByteBufUtil.getBytes(out));
            out.release();
        }
        assertArrayEquals(Arrays.copyOf(bytes, bytes.length / 32 * 32), echoed.toByteArray());
        ch.finishAndReleaseAll();
    }
}
