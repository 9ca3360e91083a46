package io.crossdial.host.relay;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import java.util.List;

/**
 * A reservation a relay granted (libp2p/specs {@code relay/circuit-v2.md}, "Reservation").
 *
 * @param relay the relay's peer ID
 * @param expireSeconds when it ends, Unix UTC seconds
 * @param relayAddrs the relay's addresses from the answer, each ending in {@code /p2p/RELAY} (addresses that do
 *     not parse are left out)
 * @param circuitAddrs the addresses this peer can be reached at: each relay address with
 *     {@code /p2p-circuit/p2p/SELF}
 * @param limit the limit of each relayed connection
 * @param voucher the checked voucher, or null when the relay sent none
 */
public record RelayReservation(PeerId relay, long expireSeconds, List<Multiaddr> relayAddrs,
        List<Multiaddr> circuitAddrs, RelayLimit limit, Voucher voucher) {}
