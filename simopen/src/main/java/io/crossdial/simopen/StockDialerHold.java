package io.crossdial.simopen;

/**
 * Whether, and for how long, a dial from a listen port holds its security handshake's first message back
 * after the multistream answer, to see whether the remote is a stock dialer in a TCP simultaneous open
 * ({@code specs/simopen.md}, case 6).
 *
 * <p>Why the timing tells: a listener sees the connection only once our connect has completed, and can
 * answer only after our bytes reached it, so its answer arrives at least one round trip after our first
 * write. The connect itself took one round trip on an ordinary dial. A stock dialer's proposal in a
 * simultaneous open was written without waiting for ours: it arrives about half a round trip after our write,
 * and the connect of a simultaneous open took at least one round trip (in the lab and behind NATs, where a
 * first SYN dies, a retransmission timeout of about 1 s more). So an answer that arrives more than
 * {@code marginMillis} sooner after our write than the connect took cannot be a listener's answer unless a
 * SYN of an ordinary dial was lost; then the side holds its message 1 for the answer's time plus
 * {@code slackMillis} (the stock dialer's message 1 needs about one more half round trip, plus the time it
 * takes to make it), at most {@code maxMillis}. Otherwise it does not wait at all.
 *
 * <p>Cost: nothing on an ordinary dial whose SYN was not lost. After a lost SYN (the connect already took a
 * second), up to {@code answer + slackMillis} more. Immutable, hence thread-safe.
 *
 * @param marginMillis how much sooner than the connect the answer must arrive to be suspect, ms, >= 0
 * @param slackMillis the wait beyond the answer's own time, ms, >= 0
 * @param maxMillis the longest hold, ms, >= 0; 0 never holds (the probe still sees a handshake message that
 *     came with the answer, as a lazy dialer sends it)
 */
public record StockDialerHold(long marginMillis, long slackMillis, long maxMillis) {
    /**
     * 5 ms margin, 500 ms slack, at most 2 s. The slack is generous because it costs only where an
     * ordinary dial's SYN was lost (its connect already took a second or more), while a slack too short
     * for a slow stock dialer (a cold process making its first handshake message) loses the connection.
     */
    public static final StockDialerHold DEFAULT = new StockDialerHold(5, 500, 2_000);
    /** Never hold. */
    public static final StockDialerHold NEVER = new StockDialerHold(0, 0, 0);

    /** Checks the values. */
    public StockDialerHold {
        if (marginMillis < 0 || slackMillis < 0 || maxMillis < 0) {
            throw new IllegalArgumentException("stock dialer hold values must be >= 0: margin " + marginMillis
                    + " ms, slack " + slackMillis + " ms, max " + maxMillis + " ms");
        }
    }

    /**
     * @param result an ordinary dial's resolution, with its connect and answer times
     * @return how long to hold the security handshake's first message, in ms; 0 for not at all (also when
     *     either time is unknown)
     */
    public long holdMillis(SimopenResult result) {
        if (maxMillis == 0 || result.connectNanos() < 0 || result.answerNanos() < 0) {
            return 0;
        }
        long answerMillis = result.answerNanos() / 1_000_000;
        if (result.connectNanos() - result.answerNanos() <= marginMillis * 1_000_000) {
            return 0;
        }
        return Math.min(maxMillis, answerMillis + slackMillis);
    }
}
