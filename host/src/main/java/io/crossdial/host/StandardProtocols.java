package io.crossdial.host;

import io.crossdial.host.protocol.IdentifyClient;
import io.crossdial.host.protocol.IdentifyInfo;
import io.crossdial.host.protocol.IdentifyResponder;
import io.crossdial.host.protocol.PingResponder;
import io.crossdial.host.protocol.ProtocolIds;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.List;
import java.util.Map;

/** Registers the protocols every libp2p peer expects: ping, identify and identify push. */
final class StandardProtocols {
    /** The identify protocolVersion field, as go, rust and js send it. */
    static final String PROTOCOL_VERSION = "ipfs/0.1.0";

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StandardProtocols.class);

    private StandardProtocols() {}

    static void register(Host host, Map<String, StreamHandlerFactory> protocols) {
        protocols.put(ProtocolIds.PING, connection -> new PingResponder());
        protocols.put(ProtocolIds.IDENTIFY, connection -> new IdentifyResponder(
                () -> localInfo(host), connection == null ? null : connection.remoteAddr()));
        protocols.put(ProtocolIds.IDENTIFY_PUSH, connection -> new PushReceiver(host, connection));
    }

    /** Reads one pushed Identify message (an {@link IdentifyClient} on the stream) and hands it to the host. */
    private static final class PushReceiver extends ChannelInboundHandlerAdapter {
        private final Host host;
        private final Connection connection;

        PushReceiver(Host host, Connection connection) {
            this.host = host;
            this.connection = connection;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            io.netty.channel.ChannelPipeline p = ctx.pipeline();
            p.remove(this);
            // the client appends its handler: it must come before the router's QuietTail, which drops reads
            boolean tail = p.get(QuietTail.class) != null;
            if (tail) {
                p.remove(QuietTail.INSTANCE);
            }
            IdentifyClient client = new IdentifyClient(ctx.channel(), IdentifyResponder.DEFAULT_TIMEOUT);
            if (tail) {
                p.addLast(QuietTail.INSTANCE);
            }
            client.result().whenComplete((info, e) -> {
                if (e == null && connection != null) {
                    host.identified(connection, info);
                } else if (e != null) {
                    LOG.debug("identify push on {} failed: {}", ctx.channel(), e.getMessage());
                }
            });
        }
    }

    /** What this host says about itself in identify. */
    static IdentifyInfo localInfo(Host host) {
        return new IdentifyInfo(host.identity().publicKey(), host.advertisedAddrs(), null,
                List.copyOf(host.protocols()), host.agentVersion(), PROTOCOL_VERSION);
    }
}
