package io.crossdial.muxer.compliance;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * A hostile remote on a plain JDK socket: writes what the test gives it, never reads unless asked to
 * wait for the close. Background writes let the test watch a write that the muxer pushes back on. Close
 * it to free the socket and stop the writer.
 */
final class RawPeer implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final AtomicLong written = new AtomicLong();
    private volatile boolean writing;
    private Thread writer;

    RawPeer(SocketAddress to, long timeoutMillis) throws IOException {
        socket = new Socket();
        socket.setReceiveBufferSize(64 * 1024);
        socket.connect((InetSocketAddress) to, (int) timeoutMillis);
        out = socket.getOutputStream();
    }

    /** Writes {@code bytes} on the calling thread (small writes only: the muxer may stop reading). */
    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        written.addAndGet(bytes.length);
    }

    /**
     * Writes {@code chunk.apply(i)} for i = 0, 1, ... from a background thread until {@code total} bytes
     * are written or the socket fails (the remote closed it).
     */
    void startWriting(LongFunction<byte[]> chunk, long total) {
        writing = true;
        writer = new Thread(() -> {
            try {
                for (long i = 0; written.get() < total; i++) {
                    byte[] b = chunk.apply(i);
                    out.write(b);
                    written.addAndGet(b.length);
                }
                out.flush();
            } catch (IOException e) {
                // the remote closed the connection, or the test closed the socket
            } finally {
                writing = false;
            }
        }, "raw-peer-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /** @return bytes written so far */
    long written() {
        return written.get();
    }

    /**
     * Waits until the background write ended or made no progress for {@code stallMillis} (the muxer pushes
     * back), at most {@code maxMillis}.
     *
     * @return true when the write ended (everything written or the socket failed), false when it stalled
     */
    boolean awaitWriteEndOrStall(long stallMillis, long maxMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMillis);
        long last = -1;
        long lastChange = System.nanoTime();
        while (writing && System.nanoTime() < deadline) {
            long now = written.get();
            if (now != last) {
                last = now;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > TimeUnit.MILLISECONDS.toNanos(stallMillis)) {
                return false;
            }
            Thread.sleep(10);
        }
        return !writing;
    }

    /**
     * Reads (and drops) what the remote sends until it closes the connection, at most {@code millis}.
     *
     * @return true when the remote closed it (EOF or reset)
     */
    boolean awaitClosedByRemote(long millis) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[64 * 1024];
        while (System.nanoTime() < deadline) {
            socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            try {
                if (in.read(buf) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true; // reset: the remote closed with our bytes unread
            }
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        socket.close();
        if (writer != null) {
            try {
                writer.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
