package io.crossdial.core.spi;

import java.io.IOException;

/**
 * A TCP channel that can send one byte of TCP urgent data (MSG_OOB) and has SO_OOBINLINE set, so urgent
 * bytes it receives arrive inline in the ordinary byte stream. crossdial's simultaneous-open detection
 * sends its "poison byte" 0x00 this way ({@code specs/simopen.md}, "Detection").
 *
 * <p>Implemented by the TCP transport's channels; call only on the channel's event loop.
 */
public interface UrgentDataChannel {
    /**
     * Sends {@code value} as TCP urgent data, ahead of any byte not yet handed to the kernel.
     *
     * @param value the byte, 0 to 255
     * @throws IOException when the kernel refuses it (socket closed, send buffer full)
     */
    void sendUrgentByte(int value) throws IOException;
}
