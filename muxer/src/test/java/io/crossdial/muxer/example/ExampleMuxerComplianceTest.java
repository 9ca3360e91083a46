package io.crossdial.muxer.example;

import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.muxer.compliance.MuxerComplianceSuite;

/** How a muxer author runs the compliance suite: the example muxer passes every check. */
class ExampleMuxerComplianceTest extends MuxerComplianceSuite {
    @Override
    protected StreamMuxer newMuxer() {
        return new ExampleStreamMuxer();
    }

    /** Flag 0x7f does not exist. */
    @Override
    protected byte[] malformedBytes() {
        return new byte[] {0x7f, 0, 0, 0, 1, 0, 0, 0, 0};
    }
}
