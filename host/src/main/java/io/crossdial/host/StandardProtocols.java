package io.crossdial.host;

import io.crossdial.host.protocol.PingResponder;
import io.crossdial.host.protocol.ProtocolIds;
import java.util.Map;

/** Registers the protocols every libp2p peer expects: ping and identify. */
final class StandardProtocols {
    private StandardProtocols() {}

    static void register(Host host, Map<String, StreamHandlerFactory> protocols) {
        protocols.put(ProtocolIds.PING, connection -> new PingResponder());
    }
}
