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

    @Override
    protected HostileWire hostileWire() {
        return new HostileWire() {
            private byte[] header(int flag, long id, long length) {
                return java.nio.ByteBuffer.allocate(ExampleStreamMuxer.HEADER_BYTES).put((byte) flag)
                        .putInt((int) id).putInt((int) length).array();
            }

            @Override
            public long streamId(int n) {
                return 1 + 2L * n;
            }

            @Override
            public byte[] open(long id) {
                return header(ExampleStreamMuxer.OPEN, id, 0);
            }

            @Override
            public byte[] dataHeader(long id, long length) {
                return header(ExampleStreamMuxer.DATA, id, length);
            }

            @Override
            public int maxDataBytes() {
                return ExampleStreamMuxer.MAX_DATA_BYTES;
            }
        };
    }
}
