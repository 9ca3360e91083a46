package io.crossdial.muxer.compliance;

import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.muxer.yamux.YamuxConfig;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;

/** The compliance suite against yamux. */
class YamuxComplianceTest extends MuxerComplianceSuite {
    @Override
    protected StreamMuxer newMuxer() {
        return new YamuxStreamMuxer(YamuxConfig.builder().keepAliveIntervalMillis(0).build());
    }

    /** A header with version 1. */
    @Override
    protected byte[] malformedBytes() {
        return new byte[] {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    }
}
