package io.crossdial.upgrader;

/**
 * The stages of a connection upgrade, in order. Each names itself in failure messages, the way go-libp2p's
 * upgrader does ("failed to negotiate security protocol: ...").
 */
public enum UpgradeStage {
    /** multistream-select over raw TCP, choosing the security transport */
    SECURITY_NEGOTIATION("negotiate security protocol"),
    /** the security transport's handshake (Noise XX, TLS 1.3) */
    SECURITY_HANDSHAKE("complete security handshake"),
    /** the {@link ConnectionGater} decides on the authenticated peer and its address, before any muxer */
    GATING("pass the connection gater"),
    /** multistream-select over the secured channel, choosing the stream muxer */
    MUXER_NEGOTIATION("negotiate stream muxer"),
    /** the muxer session is set up; the connection is usable */
    DONE("finish the upgrade");

    private final String action;

    UpgradeStage(String action) {
        this.action = action;
    }

    /** @return what the stage does, phrased to follow "failed to " */
    public String action() {
        return action;
    }
}
