package io.crossdial.host.protocol;

import io.crossdial.core.crypto.PublicKey;
import io.crossdial.core.multiaddr.Multiaddr;
import java.util.List;

/**
 * The content of one identify message (libp2p/specs {@code identify/README.md}), as a peer reports itself.
 * Immutable; the lists are unmodifiable copies without null elements.
 *
 * @param publicKey the peer's public key, or null when the message had none (js-libp2p then rejects the
 *     identify; go-libp2p keeps the key learned from the security handshake)
 * @param listenAddrs the addresses the peer listens on; addresses that do not parse were skipped
 * @param observedAddr the address the peer sees the reader's connection come from, or null (absent or
 *     unparsable)
 * @param protocols the protocol IDs the peer accepts inbound streams for
 * @param agentVersion free-form {@code name/version} of the implementation, or null
 * @param protocolVersion the protocol family, such as {@code ipfs/0.1.0}, or null
 */
public record IdentifyInfo(
        PublicKey publicKey,
        List<Multiaddr> listenAddrs,
        Multiaddr observedAddr,
        List<String> protocols,
        String agentVersion,
        String protocolVersion) {

    /** Copies the lists; a null list is taken as empty. */
    public IdentifyInfo {
        listenAddrs = listenAddrs == null ? List.of() : List.copyOf(listenAddrs);
        protocols = protocols == null ? List.of() : List.copyOf(protocols);
    }

    /**
     * @param observed the address to report, or null
     * @return a copy with {@link #observedAddr()} replaced
     */
    public IdentifyInfo withObservedAddr(Multiaddr observed) {
        return new IdentifyInfo(publicKey, listenAddrs, observed, protocols, agentVersion, protocolVersion);
    }
}
