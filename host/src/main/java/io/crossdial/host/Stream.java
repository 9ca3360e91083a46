package io.crossdial.host;

import io.crossdial.core.spi.MuxedStream;

/**
 * A negotiated stream: a muxed stream channel on which multistream-select agreed on {@link #protocolId()}.
 *
 * @param channel the stream channel; its pipeline carries the protocol's {@code ByteBuf}s
 * @param protocolId the agreed protocol ID
 * @param connection the connection the stream belongs to
 */
public record Stream(MuxedStream channel, String protocolId, Connection connection) {}
