package io.crossdial.simopen;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.AttributeKey;
import java.util.List;

/**
 * The listener's half of poison-byte detection: drops the byte 0x00 when it is the very first byte of an
 * accepted connection (a crossdial dialer sent it as urgent data and SO_OOBINLINE put it inline), then
 * removes itself and forwards everything else. A multistream message never starts with 0x00 (its length is
 * at least 1), so nothing else is ever dropped. Sets {@link #POISON_SEEN} on the channel when it dropped one.
 *
 * <p>Not sharable; event-loop confined. Holds no buffer past its removal.
 */
public final class PoisonByteFilter extends ByteToMessageDecoder {
    /** {@code true} on an accepted channel whose first byte was the poison byte. */
    public static final AttributeKey<Boolean> POISON_SEEN = AttributeKey.valueOf("crossdial.poisonSeen");

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) {
            return;
        }
        if (in.getUnsignedByte(in.readerIndex()) == SimultaneousConnect.POISON_BYTE) {
            in.skipBytes(1);
            ctx.channel().attr(POISON_SEEN).set(Boolean.TRUE);
        }
        ctx.pipeline().remove(this);
    }
}
