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

    @Override
    protected HostileWire hostileWire() {
        return new YamuxWire();
    }

    /** yamux frames of an initiator: odd stream IDs, 12-byte big-endian headers. */
    static final class YamuxWire implements HostileWire {
        static byte[] header(int type, int flags, long streamId, long length) {
            return java.nio.ByteBuffer.allocate(12).put((byte) 0).put((byte) type).putShort((short) flags)
                    .putInt((int) streamId).putInt((int) length).array();
        }

        @Override
        public long streamId(int n) {
            return 1 + 2L * n;
        }

        @Override
        public byte[] open(long id) {
            return header(1, 1, id, 0); // WindowUpdate, SYN
        }

        @Override
        public byte[] dataHeader(long id, long length) {
            return header(0, 0, id, length);
        }

        @Override
        public int maxDataBytes() {
            return 256 * 1024; // the initial receive window
        }

        @Override
        public byte[] ping(long opaque) {
            return header(2, 1, 0, opaque);
        }

        @Override
        public byte[] goAway() {
            return header(3, 0, 0, 0);
        }
    }
}
