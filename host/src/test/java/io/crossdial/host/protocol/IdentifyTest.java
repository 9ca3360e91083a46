package io.crossdial.host.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PublicKey;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.host.protocol.StreamProtocolException.Reason;
import io.crossdial.host.protocol.pb.IdentifyProtos;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class IdentifyTest {
    private static final HexFormat HEX = HexFormat.of();
    /** The Ed25519 public key of the libp2p/specs peer-ids test vectors, protobuf-encoded. */
    private static final String KEY_HEX = "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
    private static final PublicKey KEY = Keys.unmarshalPublicKey(HEX.parseHex(KEY_HEX));
    private static final Multiaddr LISTEN_4 = Multiaddr.fromString("/ip4/127.0.0.1/tcp/4001");
    private static final Multiaddr LISTEN_6 = Multiaddr.fromString("/ip6/::1/tcp/4001");
    private static final Multiaddr OBSERVED = Multiaddr.fromString("/ip4/1.2.3.4/tcp/5555");
    private static final IdentifyInfo INFO = new IdentifyInfo(KEY, List.of(LISTEN_4, LISTEN_6), null,
            List.of("/ipfs/ping/1.0.0", "/ipfs/id/1.0.0"), "crossdial/0.1.0", "ipfs/0.1.0");

    private static byte[] frame(byte[] message) {
        byte[] prefix = UnsignedVarint.encode(message.length);
        byte[] out = new byte[prefix.length + message.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(message, 0, out, prefix.length, message.length);
        return out;
    }

    private static Reason failure(CompletableFuture<?> f) {
        assertTrue(f.isDone(), "the result is settled");
        return assertInstanceOf(IdentifyException.class, Settled.cause(f)).reason();
    }

    @Test
    void pinsProtocolIdAndLimits() {
        assertEquals("/ipfs/id/1.0.0", ProtocolIds.IDENTIFY);
        assertEquals(65536, IdentifyClient.DEFAULT_MAX_BYTES);
        assertEquals(8192, IdentifyResponder.MAX_MESSAGE_BYTES);
        assertEquals(10, IdentifyClient.MAX_MESSAGES);
    }

    @Test
    void responderWritesOneLengthPrefixedMessageWithTheExactBytesThenEndsTheStream() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new IdentifyResponder(() -> INFO, OBSERVED));
        ByteBuf out = ch.readOutbound();
        byte[] wire = ByteBufUtil.getBytes(out);
        out.release();
        assertNull(ch.readOutbound(), "exactly one message");
        assertFalse(ch.isOpen(), "the responder ends the stream after the message");

        String expected = ""
                + "0a24" + KEY_HEX                                     // 1 publicKey
                + "1208" + "047f000001" + "060fa1"                     // 2 listenAddrs /ip4/127.0.0.1/tcp/4001
                + "1214" + "2900000000000000000000000000000001" + "060fa1" // 2 listenAddrs /ip6/::1/tcp/4001
                + "1a10" + HEX.formatHex("/ipfs/ping/1.0.0".getBytes()) // 3 protocols
                + "1a0e" + HEX.formatHex("/ipfs/id/1.0.0".getBytes())
                + "2208" + "0401020304" + "0615b3"                     // 4 observedAddr /ip4/1.2.3.4/tcp/5555
                + "2a0a" + HEX.formatHex("ipfs/0.1.0".getBytes())       // 5 protocolVersion
                + "320f" + HEX.formatHex("crossdial/0.1.0".getBytes()); // 6 agentVersion
        byte[] message = HEX.parseHex(expected);
        assertEquals(HEX.formatHex(frame(message)), HEX.formatHex(wire));

        IdentifyProtos.Identify parsed = IdentifyProtos.Identify.parseFrom(message);
        assertArrayEquals(HEX.parseHex(KEY_HEX), parsed.getPublicKey().toByteArray());
        assertEquals(List.of(ByteString.copyFrom(LISTEN_4.toBytes()), ByteString.copyFrom(LISTEN_6.toBytes())),
                parsed.getListenAddrsList());
        assertArrayEquals(OBSERVED.toBytes(), parsed.getObservedAddr().toByteArray());
        assertEquals(INFO.protocols(), parsed.getProtocolsList());
        assertEquals("crossdial/0.1.0", parsed.getAgentVersion());
        assertEquals("ipfs/0.1.0", parsed.getProtocolVersion());
        assertFalse(parsed.hasSignedPeerRecord());
        ch.finishAndReleaseAll();
    }

    @Test
    void responderSendsNoObservedAddrWhenNoneIsKnown() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new IdentifyResponder(() -> INFO.withObservedAddr(OBSERVED), null));
        ByteBuf out = ch.readOutbound();
        UnsignedVarint.tryDecode(out, 8192);
        assertFalse(IdentifyProtos.Identify.parseFrom(ByteBufUtil.getBytes(out)).hasObservedAddr(),
                "the handler's observed address wins over the supplier's");
        out.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void responderRefusesToSendAMessageOverEightKibibytes() {
        List<String> protocols = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            protocols.add("/a/rather/long/protocol/name/" + i);
        }
        IdentifyInfo big = new IdentifyInfo(KEY, List.of(), null, protocols, null, null);
        EmbeddedChannel ch = new EmbeddedChannel(new IdentifyResponder(() -> big, null));
        assertNull(ch.readOutbound());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void clientDecodesTheMessageAndCompletesAtEof() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        IdentifyClient client = new IdentifyClient(ch, Duration.ofSeconds(5));
        byte[] wire = frame(IdentifyCodec.toMessage(INFO.withObservedAddr(OBSERVED)).toByteArray());
        ch.writeInbound(Unpooled.wrappedBuffer(wire, 0, 1)); // the prefix alone
        ch.writeInbound(Unpooled.wrappedBuffer(wire, 1, 30));
        ch.writeInbound(Unpooled.wrappedBuffer(wire, 31, wire.length - 31));
        assertFalse(client.result().isDone(), "waits for the responder's EOF");
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals(INFO.withObservedAddr(OBSERVED), Settled.value(client.result()));
        assertFalse(ch.isOpen(), "the client closes the stream");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void clientSkipsListenAddrsAndObservedAddrThatDoNotParse() throws Exception {
        IdentifyProtos.Identify m = IdentifyCodec.toMessage(INFO).toBuilder()
                .addListenAddrs(ByteString.copyFrom(HEX.parseHex("047f00"))) // truncated ip4
                .addListenAddrs(ByteString.copyFrom(HEX.parseHex("ffff"))) // unterminated protocol code
                .setObservedAddr(ByteString.copyFrom(HEX.parseHex("04")))
                .build();
        EmbeddedChannel ch = new EmbeddedChannel();
        IdentifyClient client = new IdentifyClient(ch, Duration.ofSeconds(5));
        ch.writeInbound(Unpooled.wrappedBuffer(frame(m.toByteArray())));
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        IdentifyInfo got = Settled.value(client.result());
        assertEquals(List.of(LISTEN_4, LISTEN_6), got.listenAddrs());
        assertNull(got.observedAddr());
        assertEquals(KEY, got.publicKey());
        ch.finishAndReleaseAll();
    }

    @Test
    void clientMergesAMessageSentInSeveralParts() throws Exception {
        IdentifyProtos.Identify first = IdentifyProtos.Identify.newBuilder()
                .setPublicKey(ByteString.copyFrom(HEX.parseHex(KEY_HEX))).addProtocols("/a").build();
        IdentifyProtos.Identify second = IdentifyProtos.Identify.newBuilder()
                .addProtocols("/b").setAgentVersion("go-libp2p/0.40").build();
        EmbeddedChannel ch = new EmbeddedChannel();
        IdentifyClient client = new IdentifyClient(ch, Duration.ofSeconds(5));
        ch.writeInbound(Unpooled.buffer().writeBytes(frame(first.toByteArray())).writeBytes(frame(second.toByteArray())));
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        IdentifyInfo got = Settled.value(client.result());
        assertEquals(List.of("/a", "/b"), got.protocols());
        assertEquals("go-libp2p/0.40", got.agentVersion());
        assertNull(got.protocolVersion());
        ch.finishAndReleaseAll();
    }

    @Test
    void clientRejectsALengthPrefixOverTheLimitBeforeBufferingTheMessage() {
        EmbeddedChannel ch = new EmbeddedChannel();
        IdentifyClient client = new IdentifyClient(ch, Duration.ofSeconds(5));
        ByteBuf prefix = Unpooled.wrappedBuffer(UnsignedVarint.encode(64 * 1024 + 1));
        ch.writeInbound(prefix);
        assertEquals(Reason.TOO_LARGE, failure(client.result()));
        assertEquals(0, prefix.refCnt());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void clientRejectsMoreThanItsLimitInTotal() {
        EmbeddedChannel ch = new EmbeddedChannel();
        IdentifyClient client = new IdentifyClient(ch, Duration.ofSeconds(5), 1000);
        byte[] part = frame(IdentifyProtos.Identify.newBuilder().setAgentVersion("x".repeat(600)).build().toByteArray());
        ch.writeInbound(Unpooled.wrappedBuffer(part));
        assertFalse(client.result().isDone());
        ByteBuf second = Unpooled.wrappedBuffer(part);
        ch.writeInbound(second);
        assertEquals(Reason.TOO_LARGE, failure(client.result()));
        assertEquals(0, second.refCnt());
        ch.finishAndReleaseAll();
    }

    @Test
    void clientRejectsMoreThanTenMessages() {
        EmbeddedChannel ch = new EmbeddedChannel();
        IdentifyClient client = new IdentifyClient(ch, Duration.ofSeconds(5));
        ByteBuf many = Unpooled.buffer();
        for (int i = 0; i < 11; i++) {
            many.writeBytes(frame(IdentifyProtos.Identify.newBuilder().addProtocols("/p" + i).build().toByteArray()));
        }
        ch.writeInbound(many);
        assertEquals(Reason.MALFORMED, failure(client.result()));
        ch.finishAndReleaseAll();
    }

    @Test
    void clientRejectsBytesThatAreNotAnIdentifyMessage() {
        EmbeddedChannel ch = new EmbeddedChannel();
        IdentifyClient client = new IdentifyClient(ch, Duration.ofSeconds(5));
        ch.writeInbound(Unpooled.wrappedBuffer(frame(HEX.parseHex("0aff")))); // field 1, length runs past the end
        assertEquals(Reason.MALFORMED, failure(client.result()));
        ch.finishAndReleaseAll();
    }

    @Test
    void clientRejectsAnInvalidPublicKey() {
        byte[] m = IdentifyProtos.Identify.newBuilder().setPublicKey(ByteString.copyFrom(HEX.parseHex("0801120301")))
                .build().toByteArray();
        EmbeddedChannel ch = new EmbeddedChannel();
        IdentifyClient client = new IdentifyClient(ch, Duration.ofSeconds(5));
        ch.writeInbound(Unpooled.wrappedBuffer(frame(m)));
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals(Reason.MALFORMED, failure(client.result()));
        ch.finishAndReleaseAll();
    }

    @Test
    void clientFailsWhenTheStreamEndsInsideOrBeforeAMessage() {
        EmbeddedChannel inside = new EmbeddedChannel();
        IdentifyClient a = new IdentifyClient(inside, Duration.ofSeconds(5));
        inside.writeInbound(Unpooled.wrappedBuffer(HEX.parseHex("0a0a01")));
        inside.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals(Reason.CLOSED, failure(a.result()));
        inside.finishAndReleaseAll();

        EmbeddedChannel before = new EmbeddedChannel();
        IdentifyClient b = new IdentifyClient(before, Duration.ofSeconds(5));
        before.close();
        assertEquals(Reason.CLOSED, failure(b.result()));
        before.finishAndReleaseAll();
    }

    @Test
    void clientTimesOutWithoutAMessageButKeepsAWholeMessageWhenOnlyTheEofIsMissing() throws Exception {
        EmbeddedChannel silent = new EmbeddedChannel();
        silent.freezeTime();
        IdentifyClient a = new IdentifyClient(silent, Duration.ofMillis(20));
        silent.advanceTimeBy(19, TimeUnit.MILLISECONDS);
        silent.runScheduledPendingTasks();
        assertFalse(a.result().isDone(), "not before the timeout");
        silent.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        silent.runScheduledPendingTasks();
        assertEquals(Reason.TIMEOUT, failure(a.result()));
        silent.finishAndReleaseAll();

        EmbeddedChannel noEof = new EmbeddedChannel();
        noEof.freezeTime();
        IdentifyClient b = new IdentifyClient(noEof, Duration.ofMillis(20));
        noEof.writeInbound(Unpooled.wrappedBuffer(frame(IdentifyCodec.toMessage(INFO).toByteArray())));
        assertFalse(b.result().isDone(), "the message waits for the responder's EOF");
        noEof.advanceTimeBy(20, TimeUnit.MILLISECONDS);
        noEof.runScheduledPendingTasks();
        assertEquals(INFO, Settled.value(b.result()));
        noEof.finishAndReleaseAll();
    }

    @Test
    void identifyRoundTripsOverLoopbackTcpWithTheObservedAddress() throws Exception {
        try (Loopback net = new Loopback(ch -> {
            InetSocketAddress remote = ch.remoteAddress();
            Multiaddr observed = Multiaddr.fromString("/ip4/" + remote.getAddress().getHostAddress() + "/tcp/"
                    + remote.getPort());
            return new IdentifyResponder(() -> INFO, observed);
        })) {
            SocketChannel stream = net.dial();
            IdentifyInfo got = new IdentifyClient(stream, Duration.ofSeconds(5)).result().get(10, TimeUnit.SECONDS);
            InetSocketAddress local = stream.localAddress();
            assertEquals(INFO.withObservedAddr(Multiaddr.fromString("/ip4/" + local.getAddress().getHostAddress()
                    + "/tcp/" + local.getPort())), got);
            assertTrue(stream.closeFuture().await(5, TimeUnit.SECONDS));
            assertTrue(net.accepted().closeFuture().await(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void clientRejectsAnOversizedMessageOverLoopbackTcp() throws Exception {
        byte[] huge = frame(IdentifyProtos.Identify.newBuilder().setAgentVersion("x".repeat(70_000)).build().toByteArray());
        try (Loopback net = new Loopback(ch -> new Scripted((ctx, in) -> { }, false) {
            @Override
            public void channelActive(io.netty.channel.ChannelHandlerContext ctx) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(huge));
            }
        })) {
            IdentifyClient client = new IdentifyClient(net.dial(), Duration.ofSeconds(5));
            ExecutionException e = assertThrows(ExecutionException.class, () -> client.result().get(10, TimeUnit.SECONDS));
            assertEquals(Reason.TOO_LARGE, assertInstanceOf(IdentifyException.class, e.getCause()).reason());
        }
    }

    @Test
    void codecRoundTripsInfo() {
        IdentifyInfo withObserved = INFO.withObservedAddr(OBSERVED);
        assertEquals(withObserved, IdentifyCodec.fromMessage(IdentifyCodec.toMessage(withObserved)));
        IdentifyInfo empty = new IdentifyInfo(null, null, null, null, null, null);
        assertEquals(empty, IdentifyCodec.fromMessage(IdentifyCodec.toMessage(empty)));
        assertEquals(0, IdentifyCodec.toMessage(empty).getSerializedSize());
    }
}
