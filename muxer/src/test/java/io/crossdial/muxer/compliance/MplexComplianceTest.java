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

    @Override
    protected HostileWire hostileWire() {
        return new MplexWire();
    }

    /** mplex frames of the streams' initiator: varint header (ID << 3 | flag), varint length. */
    static final class MplexWire implements HostileWire {
        private static byte[] frame(long id, int flag, long length, byte[] body) {
            io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.buffer();
            io.crossdial.core.varint.UnsignedVarint.write(id << 3 | flag, b);
            io.crossdial.core.varint.UnsignedVarint.write(length, b);
            b.writeBytes(body);
            byte[] out = io.netty.buffer.ByteBufUtil.getBytes(b);
            b.release();
            return out;
        }

        @Override
        public long streamId(int n) {
            return n;
        }

        @Override
        public byte[] open(long id) {
            return frame(id, 0, 0, new byte[0]); // NewStream, empty name
        }

        @Override
        public byte[] dataHeader(long id, long length) {
            return frame(id, 2, length, new byte[0]); // MessageInitiator
        }

        @Override
        public int maxDataBytes() {
            return 1024 * 1024; // the frame limit: mplex has no window
        }
    }
}
