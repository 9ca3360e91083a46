package io.crossdial.muxer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;

/**
 * A muxer frame that carries data (yamux Data, mplex Message): a {@link ByteBufHolder} whose methods all
 * delegate to {@link #content()}, written once here because frame records cannot share a superclass. A
 * record implements {@link #content()} (its component) and {@link #replace(ByteBuf)}; copies and
 * duplicates are made through {@code replace}, and {@code retain}/{@code touch} return the frame itself.
 *
 * <h2>Reference counting</h2>
 * The frame owns its content: releasing the frame releases the content, and the reference count is the
 * content's.
 *
 * @param <F> the frame type itself
 */
public interface DataFrameHolder<F extends DataFrameHolder<F>> extends ByteBufHolder {
    @Override
    F replace(ByteBuf content);

    @Override
    default F copy() {
        return replace(content().copy());
    }

    @Override
    default F duplicate() {
        return replace(content().duplicate());
    }

    @Override
    default F retainedDuplicate() {
        return replace(content().retainedDuplicate());
    }

    @Override
    default int refCnt() {
        return content().refCnt();
    }

    @Override
    default F retain() {
        content().retain();
        return self();
    }

    @Override
    default F retain(int increment) {
        content().retain(increment);
        return self();
    }

    @Override
    default F touch() {
        content().touch();
        return self();
    }

    @Override
    default F touch(Object hint) {
        content().touch(hint);
        return self();
    }

    @Override
    default boolean release() {
        return content().release();
    }

    @Override
    default boolean release(int decrement) {
        return content().release(decrement);
    }

    @SuppressWarnings("unchecked")
    private F self() {
        return (F) this;
    }
}
