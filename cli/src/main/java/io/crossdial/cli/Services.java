package io.crossdial.cli;

import io.crossdial.host.HostBuilder;
import io.crossdial.host.protocol.EchoResponder;
import io.crossdial.host.protocol.PerfResponder;
import io.crossdial.host.protocol.ProtocolIds;

/** The protocols the CLI serves besides ping and identify (which every host serves). */
final class Services {
    private Services() {}

    static HostBuilder serveAll(HostBuilder b) {
        return b.protocol(ProtocolIds.ECHO, connection -> new EchoResponder())
                .protocol(ProtocolIds.PERF, connection -> new PerfResponder());
    }
}
