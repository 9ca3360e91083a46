package io.crossdial.muxer.compliance;

import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.muxer.mplex.MplexStreamMuxer;

/** The compliance suite against mplex. */
class MplexComplianceTest extends MuxerComplianceSuite {
    @Override
    protected StreamMuxer newMuxer() {
        return new MplexStreamMuxer();
    }

    /** A frame with the unused flag 7. */
    @Override
    protected byte[] malformedBytes() {
        return new byte[] {0x07, 0x00};
    }
}
