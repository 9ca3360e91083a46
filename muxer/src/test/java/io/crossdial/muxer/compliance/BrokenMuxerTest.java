package io.crossdial.muxer.compliance;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.muxer.yamux.YamuxConfig;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import org.junit.jupiter.api.Test;

/**
 * The suite catches a muxer that never tells the remote about a half-close: yamux with every FIN flag
 * cleared on the wire fails the half-close, read-after-close and close-flush checks, while an unrelated
 * check still passes.
 */
class BrokenMuxerTest {
    private final BrokenSuite suite = new BrokenSuite();

    @Test
    void theSuiteStillPassesABrokenMuxerWhereFinDoesNotMatter() throws Exception {
        suite.opensAndAcceptsAStream();
    }

    @Test
    void halfCloseCheckFailsWhenFinIsDropped() {
        assertThrows(AssertionError.class, suite::halfCloseDeliversEofAndKeepsTheOtherDirectionOpen);
    }

    @Test
    void closeFlushCheckFailsWhenFinIsDropped() {
        assertThrows(AssertionError.class, suite::closeFlushesPendingWrites);
    }

    @Test
    void readAfterCloseCheckFailsWhenFinIsDropped() {
        assertThrows(AssertionError.class, suite::readsEverythingAfterTheRemoteClosed);
    }

    /** The suite bound to the broken muxer; nested, so JUnit does not run it as a test class itself. */
    static final class BrokenSuite extends MuxerComplianceSuite {
        @Override
        protected StreamMuxer newMuxer() {
            return new FinDroppingMuxer();
        }

        @Override
        protected byte[] malformedBytes() {
            return new byte[] {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
        }

        @Override
        protected long timeoutMillis() {
            return 1_500;
        }

        @Override
        protected HostileWire hostileWire() {
            return new YamuxComplianceTest.YamuxWire();
        }
    }

    /** yamux, with an outbound filter next to the socket that clears the FIN flag of every frame header. */
    static final class FinDroppingMuxer implements StreamMuxer {
        private final YamuxStreamMuxer yamux = new YamuxStreamMuxer(YamuxConfig.builder().keepAliveIntervalMillis(0).build());

        @Override
        public String protocolId() {
            return yamux.protocolId();
        }

        @Override
        public MuxedSession install(ChannelPipeline pipeline, String beforeName, MuxerContext context) {
            MuxedSession session = yamux.install(pipeline, beforeName, context);
            pipeline.addBefore("yamux-decoder", "drop-fin", new DropFin());
            return session;
        }
    }

    /**
     * Relies on the yamux encoder writing each 12-byte header as its own buffer, followed by the Data
     * payload as another: tracks payload bytes so that only headers are edited.
     */
    static final class DropFin extends ChannelOutboundHandlerAdapter {
        private long payloadLeft;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf buf) {
                if (payloadLeft > 0) {
                    payloadLeft -= buf.readableBytes();
                } else if (buf.readableBytes() == 12) {
                    int at = buf.readerIndex();
                    int type = buf.getUnsignedByte(at + 1);
                    int flags = buf.getUnsignedShort(at + 2);
                    if (type <= 1) {
                        buf.setShort(at + 2, flags & ~4);
                    }
                    if (type == 0) {
                        payloadLeft = buf.getUnsignedInt(at + 8);
                    }
                }
            }
            ctx.write(msg, promise);
        }
    }
}
