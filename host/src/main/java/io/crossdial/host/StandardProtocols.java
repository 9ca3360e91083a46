package io.crossdial.host;

import io.crossdial.host.protocol.IdentifyInfo;
import io.crossdial.host.protocol.IdentifyResponder;
import io.crossdial.host.protocol.PingResponder;
import io.crossdial.host.protocol.ProtocolIds;
import java.util.List;
import java.util.Map;

/** Registers the protocols every libp2p peer expects: ping and identify. */
final class StandardProtocols {
    /** The identify protocolVersion field, as go, rust and js send it. */
    static final String PROTOCOL_VERSION = "ipfs/0.1.0";

    private StandardProtocols() {}

    static void register(Host host, Map<String, StreamHandlerFactory> protocols) {
        protocols.put(ProtocolIds.PING, connection -> new PingResponder());
        protocols.put(ProtocolIds.IDENTIFY, connection -> new IdentifyResponder(
                () -> localInfo(host), connection == null ? null : connection.remoteAddr()));
    }

    /** What this host says about itself in identify. */
    static IdentifyInfo localInfo(Host host) {
        return new IdentifyInfo(host.identity().publicKey(), host.advertisedAddrs(), null,
                List.copyOf(host.protocols()), host.agentVersion(), PROTOCOL_VERSION);
    }
}
