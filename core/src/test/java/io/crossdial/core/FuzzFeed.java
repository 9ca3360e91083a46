package io.crossdial.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;

/**
 * How the fuzz targets that drive a channel feed it one input (specs/reliability.md, "Fuzzing"): byte 0 is
 * the target's control byte, whose high nibble is the chunk size (0: the rest in one read), and bytes
 * 1.. arrive in reads of that size while the channel is open, so a decoder meets every split of a message.
 */
public final class FuzzFeed {
    private FuzzFeed() {}

    /**
     * @param ch the channel under test
     * @param input the fuzzer's input; byte 0 is the control byte
     * @param inputs collects every buffer written, so the target can check each was released
     * @param afterEach run after each read (e.g. run pending tasks and drain the outbound side); may do nothing
     */
    public static void chunks(EmbeddedChannel ch, byte[] input, List<ByteBuf> inputs, Runnable afterEach) {
        int size = input.length == 0 ? 0 : (input[0] & 0xF0) >>> 4;
        int chunk = size == 0 ? Math.max(1, input.length) : size;
        for (int at = Math.min(1, input.length); at < input.length && ch.isOpen(); at += chunk) {
            int n = Math.min(chunk, input.length - at);
            ByteBuf in = ByteBufAllocator.DEFAULT.buffer(n).writeBytes(input, at, n);
            inputs.add(in);
            ch.writeInbound(in);
            afterEach.run();
        }
    }
}
