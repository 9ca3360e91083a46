package io.crossdial.interop.faults;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Leak reports of Netty's {@code ByteBuf} leak detector (at {@code PARANOID} in the tests), seen by the test
 * itself rather than only as a {@code LEAK:} line in the log: a listener on the detector every
 * {@code AbstractByteBuf} uses. {@link #collect()} makes the detector look (a garbage collection, then tracked
 * allocations, which is when it drains its queue of collected, unreleased buffers).
 */
final class LeakWatch {
    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
    private static boolean installed;

    private LeakWatch() {}

    /** Installs the listener once per JVM. */
    static synchronized void install() {
        if (installed) {
            return;
        }
        try {
            Field f = AbstractByteBuf.class.getDeclaredField("leakDetector");
            f.setAccessible(true);
            ResourceLeakDetector<?> detector = (ResourceLeakDetector<?>) f.get(null);
            detector.setLeakListener((type, records) -> LEAKS.add(type + " leaked:" + records));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot reach Netty's ByteBuf leak detector", e);
        }
        installed = true;
    }

    /** @return the leaks reported since the last call (after making the detector look), and forgets them */
    static List<String> collect() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(30);
            for (int j = 0; j < 64; j++) {
                ByteBufAllocator.DEFAULT.buffer(16).release();
                ByteBufAllocator.DEFAULT.heapBuffer(16).release();
            }
        }
        List<String> out = new ArrayList<>(LEAKS);
        LEAKS.removeAll(out);
        return out;
    }
}
