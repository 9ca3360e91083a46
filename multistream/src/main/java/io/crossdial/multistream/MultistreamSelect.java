package io.crossdial.multistream;

import java.util.List;

/**
 * Wire constants of multistream-select 1.0 (libp2p/specs {@code connections/README.md}, section "Protocol
 * Negotiation"; multiformats/multistream-select {@code README.md}).
 *
 * <p>The negotiation itself is done by {@link MultistreamDialerHandler} (the side that proposes) and
 * {@link MultistreamListenerHandler} (the side that answers); {@link Message} and {@link MultistreamFrames}
 * are the message and frame codecs they share.
 */
public final class MultistreamSelect {
    /** The multistream-select header line and protocol ID, sent first by both sides. */
    public static final String PROTOCOL_ID = "/multistream/1.0.0";
    /** The listener's "not available" answer to a proposal it does not support. */
    public static final String NA = "na";
    /** The request for the listener's list of supported protocols. */
    public static final String LS = "ls";
    /**
     * The largest message accepted or sent, in bytes, counting the trailing newline but not the varint
     * length prefix (the value of the prefix). go-multistream, js-libp2p and jvm-libp2p use the same limit.
     */
    public static final int MAX_MESSAGE_BYTES = 1024;
    /**
     * The most proposals (protocol IDs and {@code ls} requests) one negotiation answers or makes; a
     * listener fails the negotiation on the next one.
     */
    public static final int MAX_PROPOSALS = 1000;

    private MultistreamSelect() {}

    /**
     * Checks protocol IDs from local configuration before anything is sent: a dialer's proposals, a
     * listener's or a host's supported IDs.
     *
     * @param protocolIds the IDs, each starting with {@code '/'}, without a newline, at most 1023 UTF-8 bytes
     * @return {@code protocolIds}
     * @throws IllegalArgumentException naming the first invalid ID
     * @throws NullPointerException if the list or an ID is null
     */
    public static List<String> checkProtocolIds(List<String> protocolIds) {
        for (String id : protocolIds) {
            try {
                new Message.Protocol(id);
            } catch (MultistreamException e) {
                throw new IllegalArgumentException("invalid local " + e.getMessage(), e);
            }
        }
        return protocolIds;
    }
}
