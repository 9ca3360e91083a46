package io.crossdial.muxer.mplex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** The {@code DataFrameHolder} methods of an mplex Message all act on its content and keep its fields. */
class MplexDataFrameHolderTest {

    @Test
    void referenceCountIsTheContentsAndDuplicatesKeepTheHeaderFields() {
        ByteBuf content = Unpooled.buffer().writeBytes(new byte[] {1, 2});
        MplexFrame.Message message = new MplexFrame.Message(7, false, content);
        assertSame(message, message.retain(2));
        assertEquals(3, message.refCnt());
        MplexFrame.Message dup = message.duplicate();
        assertEquals(7, dup.streamId());
        assertFalse(dup.fromInitiator());
        assertSame(content, dup.content().unwrap(), "a duplicate shares the content");
        assertFalse(message.release(2));
        assertTrue(message.release());
        assertEquals(0, content.refCnt());
    }
}
