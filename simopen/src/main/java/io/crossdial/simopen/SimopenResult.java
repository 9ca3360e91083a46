package io.crossdial.simopen;

import io.crossdial.core.spi.Role;

/**
 * The outcome of role resolution on a connection dialed from a listen port.
 *
 * @param role the role this side takes in the rest of the upgrade
 * @param detection how a simultaneous open was recognised; {@link Detection#NONE} for an ordinary dial
 * @param localNonce the last {@code select:} number this side sent (unsigned 64-bit), 0 when none
 * @param remoteNonce the last {@code select:} number the remote sent (unsigned 64-bit), 0 when none
 * @param selectRounds how many {@code select:} exchanges it took (more than 1 only after equal numbers)
 * @param elapsedNanos from the start of negotiation to the resolution, in ns
 * @param connectNanos how long the TCP connect took, in ns ({@code ConnectionAttributes.CONNECT_NANOS});
 *     -1 when unknown
 * @param answerNanos from sending our first bytes to the arrival of the remote's first byte, in ns; -1 when
 *     unknown
 */
public record SimopenResult(Role role, Detection detection, long localNonce, long remoteNonce, int selectRounds,
        long elapsedNanos, long connectNanos, long answerNanos) {
    /** @return true when both sides had dialed: a TCP simultaneous open (or a spec peer's equivalent) */
    public boolean simultaneousOpen() {
        return detection != Detection.NONE;
    }

    /**
     * The result after {@link StockDialerProbe} saw the remote's first security handshake message: a stock
     * dialer on the other side, this side the responder.
     *
     * @param probeNanos how long the probe waited, in ns
     * @return a copy with {@link Detection#STOCK_DIALER}, {@link Role#RESPONDER} and the probe's time added
     * @throws IllegalStateException when this result is not an ordinary dial's
     */
    public SimopenResult stockDialer(long probeNanos) {
        if (detection != Detection.NONE) {
            throw new IllegalStateException("already resolved as " + this);
        }
        return new SimopenResult(Role.RESPONDER, Detection.STOCK_DIALER, 0, 0, 0, elapsedNanos + probeNanos,
                connectNanos, answerNanos);
    }

    @Override
    public String toString() {
        if (detection == Detection.NONE) {
            return "SimopenResult[ordinary dial, " + role + "]";
        }
        if (detection == Detection.STOCK_DIALER) {
            return "SimopenResult[STOCK_DIALER, answer after " + millis(answerNanos) + " ms, connect took "
                    + millis(connectNanos) + " ms -> " + role + "]";
        }
        return "SimopenResult[" + detection + ", select:" + Long.toUnsignedString(localNonce) + " vs select:"
                + Long.toUnsignedString(remoteNonce) + " (" + selectRounds + " round(s)) -> " + role + "]";
    }

    private static String millis(long nanos) {
        return nanos < 0 ? "?" : String.format(java.util.Locale.ROOT, "%.3f", nanos / 1e6);
    }
}
