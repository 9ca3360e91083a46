package io.crossdial.muxer.yamux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** The {@code DataFrameHolder} methods of a yamux Data frame all act on its content and keep its fields. */
class YamuxDataFrameHolderTest {

    @Test
    void referenceCountIsTheContentsAndCopiesKeepTheHeaderFields() {
        ByteBuf content = Unpooled.buffer().writeBytes(new byte[] {1, 2, 3});
        YamuxFrame.Data data = new YamuxFrame.Data(5, YamuxFrame.FLAG_ACK, content);
        YamuxFrame.Data same = data.retain();
        assertSame(data, same);
        assertEquals(2, content.refCnt());
        assertSame(data, data.touch("hint"));
        YamuxFrame.Data dup = data.retainedDuplicate();
        assertNotSame(data, dup);
        assertEquals(5, dup.streamId());
        assertEquals(YamuxFrame.FLAG_ACK, dup.flags());
        assertEquals(3, content.refCnt());
        YamuxFrame.Data copy = data.copy();
        assertEquals(data.content(), copy.content());
        copy.release();
        dup.release();
        data.release();
        assertTrue(data.release());
        assertEquals(0, content.refCnt());
    }
}
