package io.crossdial.host.protocol;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.crossdial.core.crypto.KeyFormatException;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PublicKey;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.host.protocol.StreamProtocolException.Reason;
import io.crossdial.host.protocol.pb.IdentifyProtos;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an {@link IdentifyInfo} into the protobuf {@code Identify} message and back (libp2p/specs
 * {@code identify/README.md}), and frames it the way every implementation puts it on the stream:
 *
 * <pre>
 *   +--------------------------+----------------------------------+
 *   | length (unsigned varint) | Identify protobuf (length bytes) |   ... repeated, merged (go-libp2p)
 *   +--------------------------+----------------------------------+
 * </pre>
 *
 * Encoding is deterministic: protobuf field-number order (publicKey 1, listenAddrs 2, protocols 3,
 * observedAddr 4, protocolVersion 5, agentVersion 6); {@code signedPeerRecord} (8) is never written.
 * Decoding is lenient where peers are: unparsable listen addresses are skipped, an unparsable observed
 * address is dropped, unknown fields are ignored; it is strict about the protobuf structure and the
 * public key. Stateless and thread-safe.
 */
final class IdentifyCodec {
    private IdentifyCodec() {}

    /** @return the protobuf message of {@code info}, without a length prefix */
    static IdentifyProtos.Identify toMessage(IdentifyInfo info) {
        IdentifyProtos.Identify.Builder b = IdentifyProtos.Identify.newBuilder();
        if (info.protocolVersion() != null) {
            b.setProtocolVersion(info.protocolVersion());
        }
        if (info.agentVersion() != null) {
            b.setAgentVersion(info.agentVersion());
        }
        if (info.publicKey() != null) {
            b.setPublicKey(ByteString.copyFrom(info.publicKey().marshal()));
        }
        for (Multiaddr a : info.listenAddrs()) {
            b.addListenAddrs(ByteString.copyFrom(a.toBytes()));
        }
        if (info.observedAddr() != null) {
            b.setObservedAddr(ByteString.copyFrom(info.observedAddr().toBytes()));
        }
        b.addAllProtocols(info.protocols());
        return b.build();
    }

    /**
     * Writes one framed message.
     *
     * @param maxMessageBytes the largest message (without prefix) this side agrees to send
     * @return a new buffer from {@code alloc}, owned by the caller
     * @throws IdentifyException {@link Reason#TOO_LARGE} when the message exceeds {@code maxMessageBytes}
     */
    static ByteBuf encodeFrame(IdentifyInfo info, ByteBufAllocator alloc, int maxMessageBytes) {
        byte[] message = toMessage(info).toByteArray();
        if (message.length > maxMessageBytes) {
            throw new IdentifyException(Reason.TOO_LARGE, "identify: own message is " + message.length
                    + " bytes, over the " + maxMessageBytes + "-byte limit");
        }
        ByteBuf out = alloc.buffer(UnsignedVarint.encodedLength(message.length) + message.length);
        UnsignedVarint.write(message.length, out);
        return out.writeBytes(message);
    }

    /**
     * Merges one message into {@code into}, as protobuf merging (and go-libp2p's multi-part identify) does:
     * repeated fields append, set singular fields replace.
     *
     * @throws IdentifyException {@link Reason#MALFORMED} when the bytes are not a valid message
     */
    static void mergeMessage(IdentifyProtos.Identify.Builder into, byte[] message) {
        try {
            into.mergeFrom(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IdentifyException(Reason.MALFORMED, "identify: the message is not a valid protobuf Identify", e);
        }
    }

    /**
     * @return the info a (possibly merged) message carries
     * @throws IdentifyException {@link Reason#MALFORMED} when the public key is present but invalid
     */
    static IdentifyInfo fromMessage(IdentifyProtos.Identify m) {
        PublicKey key = null;
        if (m.hasPublicKey()) {
            try {
                key = Keys.unmarshalPublicKey(m.getPublicKey().toByteArray());
            } catch (KeyFormatException e) {
                throw new IdentifyException(Reason.MALFORMED, "identify: invalid public key", e);
            }
        }
        List<Multiaddr> listen = new ArrayList<>(m.getListenAddrsCount());
        for (ByteString a : m.getListenAddrsList()) {
            Multiaddr parsed = parseOrNull(a);
            if (parsed != null) {
                listen.add(parsed);
            }
        }
        Multiaddr observed = m.hasObservedAddr() ? parseOrNull(m.getObservedAddr()) : null;
        return new IdentifyInfo(key, listen, observed, m.getProtocolsList(),
                m.hasAgentVersion() ? m.getAgentVersion() : null,
                m.hasProtocolVersion() ? m.getProtocolVersion() : null);
    }

    private static Multiaddr parseOrNull(ByteString bytes) {
        try {
            return Multiaddr.fromBytes(bytes.toByteArray());
        } catch (RuntimeException e) {
            // Peers send addresses of protocols we do not know; skip them, as go-libp2p does.
            return null;
        }
    }
}
