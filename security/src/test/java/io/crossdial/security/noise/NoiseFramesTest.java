package io.crossdial.security.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class NoiseFramesTest {
    @Test
    void pinsWireConstants() {
        assertEquals(2, NoiseFrames.LENGTH_BYTES);
        assertEquals(65535, NoiseFrames.MAX_MESSAGE_BYTES);
        assertEquals(65519, NoiseFrames.MAX_PLAINTEXT_BYTES);
    }

    @Test
    void writesBigEndianLength() {
        ByteBuf out = Unpooled.buffer();
        try {
            NoiseFrames.writeLength(out, 0x0102);
            NoiseFrames.writeLength(out, 65535);
            assertEquals("0102ffff", ByteBufUtil.hexDump(out));
            assertThrows(IllegalArgumentException.class, () -> NoiseFrames.writeLength(out, 65536));
        } finally {
            out.release();
        }
    }

    @Test
    void waitsForCompleteHeaderAndBody() {
        ByteBuf in = Unpooled.buffer();
        try {
            in.writeByte(0x00);
            assertNull(NoiseFrames.readFrame(in, 65535));
            in.writeByte(0x03).writeByte(0xaa).writeByte(0xbb);
            assertNull(NoiseFrames.readFrame(in, 65535));
            assertEquals(0, in.readerIndex(), "nothing consumed while incomplete");
            in.writeByte(0xcc).writeByte(0x00);
            ByteBuf frame = NoiseFrames.readFrame(in, 65535);
            assertEquals("aabbcc", ByteBufUtil.hexDump(frame));
            assertEquals(2, in.refCnt(), "frame is a retained slice");
            frame.release();
            assertEquals(1, in.readableBytes());
        } finally {
            in.release();
        }
        assertEquals(0, in.refCnt());
    }

    @Test
    void readsEmptyAndMaximalFrames() {
        ByteBuf in = Unpooled.buffer();
        try {
            in.writeShort(0).writeShort(65535).writeZero(65535);
            ByteBuf empty = NoiseFrames.readFrame(in, 65535);
            assertEquals(0, empty.readableBytes());
            empty.release();
            ByteBuf max = NoiseFrames.readFrame(in, 65535);
            assertEquals(65535, max.readableBytes());
            max.release();
        } finally {
            in.release();
        }
    }

    @Test
    void rejectsLengthAboveLimitBeforeTheBodyArrives() {
        ByteBuf in = Unpooled.buffer().writeShort(1025);
        try {
            NoiseException e = assertThrows(NoiseException.class, () -> NoiseFrames.readFrame(in, 1024));
            assertTrue(e.getMessage().startsWith("noise: frame of 1025 bytes exceeds the limit of 1024"), e.getMessage());
        } finally {
            in.release();
        }
    }
}
