package io.crossdial.host.protocol;

/**
 * What one {@link PerfClient#run(long, long)} measured.
 *
 * @param uploadBytes bytes sent after the 8-byte request (the upload)
 * @param downloadBytes bytes received from the server
 * @param uploadNanos from the start of the run until the last upload byte was handed to the stream and
 *     the output half-closed
 * @param downloadNanos from the half-close until the server's EOF
 */
public record PerfResult(long uploadBytes, long downloadBytes, long uploadNanos, long downloadNanos) {
    /** @return upload throughput in bits per second (0 when nothing was measured) */
    public double uploadBitsPerSecond() {
        return uploadNanos <= 0 ? 0 : uploadBytes * 8e9 / uploadNanos;
    }

    /** @return download throughput in bits per second (0 when nothing was measured) */
    public double downloadBitsPerSecond() {
        return downloadNanos <= 0 ? 0 : downloadBytes * 8e9 / downloadNanos;
    }
}
