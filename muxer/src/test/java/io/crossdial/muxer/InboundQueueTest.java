package io.crossdial.muxer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class InboundQueueTest {

    @Test
    void queuesInOrderUpToItsLimit() {
        InboundQueue queue = new InboundQueue(5);
        ByteBuf first = Unpooled.buffer().writeBytes(new byte[3]);
        ByteBuf second = Unpooled.buffer().writeBytes(new byte[2]);
        ByteBuf tooMuch = Unpooled.buffer().writeBytes(new byte[1]);
        assertTrue(queue.offer(first));
        assertTrue(queue.offer(second));
        assertFalse(queue.offer(tooMuch), "a sixth byte exceeds maxBytes");
        assertEquals(1, tooMuch.refCnt(), "a refused buffer stays with the caller");
        tooMuch.release();
        assertEquals(5, queue.bytes());
        assertSame(first, queue.poll());
        assertEquals(2, queue.bytes());
        assertSame(second, queue.poll());
        assertNull(queue.poll());
        assertTrue(queue.isEmpty());
        first.release();
        second.release();
    }

    @Test
    void discardReleasesWhatWaitsAndStopsQueueing() {
        InboundQueue queue = new InboundQueue(16);
        ByteBuf data = Unpooled.buffer().writeBytes(new byte[4]);
        queue.offer(data);
        assertEquals(4, queue.discard());
        assertEquals(0, data.refCnt());
        assertEquals(InboundQueue.Mode.DISCARDING, queue.mode());
        assertFalse(queue.isShutDown());
        ByteBuf late = Unpooled.buffer().writeBytes(new byte[1]);
        assertThrows(IllegalStateException.class, () -> queue.offer(late));
        late.release();
        queue.shutDown();
        assertTrue(queue.isShutDown());
        assertEquals(0, queue.discard());
        assertEquals(InboundQueue.Mode.SHUT_DOWN, queue.mode(), "discarding does not undo a shutdown");
    }

    @Test
    void releaseAllKeepsTheMode() {
        InboundQueue queue = new InboundQueue(16);
        ByteBuf data = Unpooled.buffer().writeBytes(new byte[2]);
        queue.offer(data);
        assertEquals(2, queue.releaseAll());
        assertEquals(0, data.refCnt());
        assertTrue(queue.isReceiving());
    }

    @Test
    void requiresAPositiveLimit() {
        assertThrows(IllegalArgumentException.class, () -> new InboundQueue(0));
    }
}
