package io.crossdial.host;

import java.util.Map;

/** Registers the protocols every libp2p peer expects: ping and identify. */
final class StandardProtocols {
    private StandardProtocols() {}

    static void register(Host host, Map<String, StreamHandlerFactory> protocols) {
        // TODO: ping and identify once the protocol package lands.
    }
}
