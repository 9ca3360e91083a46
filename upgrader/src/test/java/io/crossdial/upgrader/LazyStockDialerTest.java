package io.crossdial.upgrader;

import static io.crossdial.upgrader.LoopbackFixture.peerId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.ConnectionAttributes;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecureSession;
import io.crossdial.core.spi.SecurityContext;
import io.crossdial.multistream.MultistreamDialerHandler;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.simopen.Detection;
import io.crossdial.simopen.StockDialerHold;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A lazy stock dialer (rust-libp2p's multistream V1Lazy): it sends {@code header, /noise} and Noise message 1
 * in one segment, without waiting for the echo. A dial from a listen port that meets it in a simultaneous
 * open sees message 1 right behind the "answer" and goes on as responder even without a hold (the
 * {@link StockDialerHold#NEVER} policy; no connect time known). Two EmbeddedChannels; every flush of one side
 * is delivered to the other as one read, as one TCP segment would be.
 */
class LazyStockDialerTest {
    private static final PrivateKey A_KEY = Keys.generateEd25519();
    private static final PrivateKey B_KEY = Keys.generateEd25519();
    private static final String HEADER_AND_NOISE_HEX = "132f6d756c746973747265616d2f312e302e300a" + "072f6e6f6973650a";

    /** B's pipeline: drops A's 28-byte "echo", then Noise initiator, then yamux (early or negotiated). */
    private static final class LazyDialer extends ChannelInboundHandlerAdapter {
        SecureSession session;
        boolean muxerInstalled;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SecureSession s) {
                session = s;
                if (s.earlyMuxer() != null) {
                    installMuxer(ctx);
                } else {
                    ctx.pipeline().addBefore(ctx.name(), "b-multistream-muxer", new MultistreamDialerHandler(
                            List.of(YamuxStreamMuxer.PROTOCOL_ID), 10_000, (mctx, id) -> installMuxer(ctx)));
                }
            }
        }

        private void installMuxer(ChannelHandlerContext ctx) {
            new YamuxStreamMuxer().install(ctx.pipeline(), ctx.name(),
                    new MuxerContext(Role.INITIATOR, LoopbackFixture.Echo.INSTANCE, 16));
            muxerInstalled = true;
        }
    }

    /** Drops exactly {@code n} inbound bytes, then steps aside. */
    private static final class DropFirst extends io.netty.handler.codec.ByteToMessageDecoder {
        private int left;

        DropFirst(int n) {
            this.left = n;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            int n = Math.min(left, in.readableBytes());
            in.skipBytes(n);
            left -= n;
            if (left == 0) {
                ctx.pipeline().remove(this);
            }
        }
    }

    /** Moves everything {@code from} flushed into {@code to} as one buffer; true if anything moved. */
    private static boolean deliver(EmbeddedChannel from, EmbeddedChannel to) {
        CompositeByteBuf segment = Unpooled.compositeBuffer();
        for (Object msg; (msg = from.readOutbound()) != null; ) {
            segment.addComponent(true, (ByteBuf) msg);
        }
        if (!segment.isReadable()) {
            segment.release();
            return false;
        }
        to.writeInbound(segment);
        return true;
    }

    @Test
    void aMessageOneRightBehindTheProposalMakesTheListenPortDialerTheResponderWithoutAHold() {
        EmbeddedChannel a = new EmbeddedChannel();
        a.attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT).set(Boolean.TRUE);
        Upgrader upgrader = new Upgrader(UpgraderConfig.builder(A_KEY).security(new NoiseSecurityTransport())
                .muxer(new YamuxStreamMuxer()).stockDialerHold(StockDialerHold.NEVER).build());
        Future<UpgradedConnection> aDone = upgrader.upgrade(a, Role.INITIATOR, peerId(B_KEY),
                LoopbackFixture.Echo.INSTANCE);
        assertEquals(HEADER_AND_NOISE_HEX, drainHex(a), "A: header and /noise (no urgent byte on this channel)");

        EmbeddedChannel b = new EmbeddedChannel();
        LazyDialer lazy = new LazyDialer();
        b.pipeline().addLast("b-drop-echo", new DropFirst(HEADER_AND_NOISE_HEX.length() / 2)).addLast("b-tail", lazy);
        b.write(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(HEADER_AND_NOISE_HEX)));
        new NoiseSecurityTransport().install(b.pipeline(), "b-tail", new SecurityContext(Role.INITIATOR, B_KEY,
                peerId(A_KEY), List.of(YamuxStreamMuxer.PROTOCOL_ID), 10_000));
        b.flush();

        // B's first segment: header, /noise, message 1 (2-byte length 0x0020 + 32-byte key)
        ByteBuf first = Unpooled.buffer();
        for (Object msg; (msg = b.readOutbound()) != null; ) {
            first.writeBytes((ByteBuf) msg);
            ((ByteBuf) msg).release();
        }
        String firstHex = ByteBufUtil.hexDump(first);
        assertTrue(firstHex.startsWith(HEADER_AND_NOISE_HEX + "0020"), firstHex);
        assertEquals(HEADER_AND_NOISE_HEX.length() / 2 + 34, first.readableBytes());
        a.writeInbound(first);
        // and A's header and /noise reach B, which takes them for the echo
        b.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(HEADER_AND_NOISE_HEX)));

        for (int i = 0; i < 50 && !(aDone.isDone() && lazy.muxerInstalled); i++) {
            a.runPendingTasks();
            b.runPendingTasks();
            boolean moved = deliver(a, b) | deliver(b, a);
            if (!moved && aDone.isDone()) {
                break;
            }
        }
        assertTrue(aDone.isSuccess(), "A upgraded: " + aDone.cause());
        UpgradedConnection ua = aDone.getNow();
        assertEquals(Role.RESPONDER, ua.role());
        assertEquals(Detection.STOCK_DIALER, ua.simopen().detection());
        assertEquals(-1, ua.simopen().connectNanos());
        assertNotNull(lazy.session, "B finished Noise as the initiator");
        assertEquals(peerId(A_KEY), lazy.session.remotePeer());
        assertEquals(peerId(B_KEY), ua.security().remotePeer());
        assertTrue(lazy.muxerInstalled);
        a.finishAndReleaseAll();
        b.finishAndReleaseAll();
    }

    private static String drainHex(EmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        for (Object msg; (msg = ch.readOutbound()) != null; ) {
            out.append(ByteBufUtil.hexDump((ByteBuf) msg));
            ((ByteBuf) msg).release();
        }
        return out.toString();
    }
}
