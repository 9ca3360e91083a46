package io.crossdial.host.relay;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Component;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.multiaddr.MultiaddrException;
import io.crossdial.core.multiaddr.Protocol;
import java.util.List;

/**
 * A relayed address, {@code RELAY-ADDR/p2p/RELAY/p2p-circuit/p2p/PEER} (libp2p/specs
 * {@code relay/circuit-v2.md}): where the relay is, who it is, and the peer reached through it.
 *
 * @param relayAddr the relay's address, ending in {@code /p2p/RELAY}
 * @param relay the relay's peer ID
 * @param target the peer behind the relay
 */
public record CircuitAddr(Multiaddr relayAddr, PeerId relay, PeerId target) {
    /**
     * @param addr a multiaddr
     * @return whether it has a {@code /p2p-circuit} component
     */
    public static boolean isCircuit(Multiaddr addr) {
        return addr.components().stream().anyMatch(c -> c.protocol() == Protocol.P2P_CIRCUIT);
    }

    /**
     * @param addr {@code RELAY-ADDR/p2p/RELAY/p2p-circuit/p2p/PEER}
     * @return its parts
     * @throws MultiaddrException when it is not of that form (one {@code /p2p-circuit}, a relay peer ID before
     *     it, a target peer ID after it and nothing else)
     */
    public static CircuitAddr parse(Multiaddr addr) {
        List<Component> parts = addr.components();
        int at = -1;
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i).protocol() == Protocol.P2P_CIRCUIT) {
                if (at >= 0) {
                    throw new MultiaddrException(addr + ": more than one /p2p-circuit");
                }
                at = i;
            }
        }
        if (at < 1 || parts.get(at - 1).protocol() != Protocol.P2P || at != parts.size() - 2
                || parts.get(at + 1).protocol() != Protocol.P2P) {
            throw new MultiaddrException(addr + " is not RELAY-ADDR/p2p/RELAY/p2p-circuit/p2p/PEER");
        }
        Multiaddr relayAddr = Multiaddr.of(parts.subList(0, at));
        return new CircuitAddr(relayAddr, relayAddr.peerId(), addr.peerId());
    }

    /**
     * @param relayAddr the relay's address, ending in {@code /p2p/RELAY}
     * @param target the peer behind the relay
     * @return {@code relayAddr/p2p-circuit/p2p/target}
     */
    public static Multiaddr of(Multiaddr relayAddr, PeerId target) {
        return relayAddr.encapsulate(Multiaddr.fromString("/p2p-circuit/p2p/" + target.toBase58()));
    }

    /** @return the address as a multiaddr */
    public Multiaddr toMultiaddr() {
        return of(relayAddr, target);
    }
}
