package io.crossdial.host.relay;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.crossdial.core.crypto.KeyFormatException;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.crypto.PublicKey;
import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.host.relay.pb.CircuitProtos;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A reservation voucher (libp2p/specs {@code relay/circuit-v2.md}, "Reservation Vouchers"): the relay's
 * statement that it serves {@code peer} until {@code expirationSeconds}, as a signed envelope (RFC 0002).
 *
 * <pre>
 *   Envelope { 1: public_key (protobuf PublicKey), 2: payload_type = 03 02, 3: payload = Voucher, 5: signature }
 *   Voucher  { 1: relay (peer ID bytes), 2: peer (peer ID bytes), 3: expiration (uint64, Unix s) }   field order
 *   signed:  uvarint(17) "libp2p-relay-rsvp" uvarint(2) 03 02 uvarint(len(payload)) payload
 * </pre>
 *
 * @param relay the relay's peer ID
 * @param peer the reserving peer's peer ID
 * @param expirationSeconds the reservation's end, Unix UTC seconds
 */
public record Voucher(PeerId relay, PeerId peer, long expirationSeconds) {
    /**
     * Seals this voucher with the relay's key.
     *
     * @param relayKey the relay's identity key (its peer ID must be {@link #relay()})
     * @return the marshalled envelope
     * @throws IllegalArgumentException if the key is not the relay's
     */
    public byte[] seal(PrivateKey relayKey) {
        if (!PeerId.fromPublicKey(relayKey.publicKey()).equals(relay)) {
            throw new IllegalArgumentException("voucher key is not the relay's (" + relay + ")");
        }
        byte[] payload = CircuitProtos.Voucher.newBuilder()
                .setRelay(ByteString.copyFrom(relay.toBytes()))
                .setPeer(ByteString.copyFrom(peer.toBytes()))
                .setExpiration(expirationSeconds).build().toByteArray();
        byte[] signature = relayKey.sign(signedBytes(RelayProtocols.VOUCHER_PAYLOAD_TYPE, payload));
        return CircuitProtos.Envelope.newBuilder()
                .setPublicKey(ByteString.copyFrom(relayKey.publicKey().marshal()))
                .setPayloadType(ByteString.copyFrom(RelayProtocols.VOUCHER_PAYLOAD_TYPE))
                .setPayload(ByteString.copyFrom(payload))
                .setSignature(ByteString.copyFrom(signature)).build().toByteArray();
    }

    /**
     * Opens and checks a marshalled envelope: the payload type, the signature under the envelope's key, and
     * that the key is the voucher's relay.
     *
     * @param envelope the envelope bytes (at most {@link RelayProtocols#MAX_MESSAGE_BYTES}, as part of a message)
     * @return the voucher
     * @throws RelayException {@link RelayException.Reason#MALFORMED} when the envelope does not parse, has
     *     another payload type, a bad signature, or a key that is not the relay's
     */
    public static Voucher open(byte[] envelope) {
        try {
            CircuitProtos.Envelope env = CircuitProtos.Envelope.parseFrom(envelope);
            PublicKey key = Keys.unmarshalPublicKey(env.getPublicKey().toByteArray());
            byte[] type = env.getPayloadType().toByteArray();
            if (!Arrays.equals(type, RelayProtocols.VOUCHER_PAYLOAD_TYPE)) {
                throw malformed("voucher envelope has payload type " + java.util.HexFormat.of().formatHex(type)
                        + ", not 0302", null);
            }
            byte[] payload = env.getPayload().toByteArray();
            if (!key.verify(signedBytes(type, payload), env.getSignature().toByteArray())) {
                throw malformed("voucher signature does not verify", null);
            }
            CircuitProtos.Voucher v = CircuitProtos.Voucher.parseFrom(payload);
            if (!v.hasRelay() || !v.hasPeer() || !v.hasExpiration()) {
                throw malformed("voucher lacks relay, peer or expiration", null);
            }
            Voucher voucher = new Voucher(PeerId.fromBytes(v.getRelay().toByteArray()),
                    PeerId.fromBytes(v.getPeer().toByteArray()), v.getExpiration());
            if (!voucher.relay.matches(key)) {
                throw malformed("voucher signed by another key than relay " + voucher.relay + "'s", null);
            }
            return voucher;
        } catch (InvalidProtocolBufferException | KeyFormatException e) {
            throw malformed("voucher does not parse: " + e.getMessage(), e);
        }
    }

    /** The bytes RFC 0002 signs: each of domain, payload type and payload behind its uvarint length. */
    static byte[] signedBytes(byte[] payloadType, byte[] payload) {
        byte[] domain = RelayProtocols.VOUCHER_DOMAIN.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : new byte[][] {domain, payloadType, payload}) {
            out.writeBytes(UnsignedVarint.encode(part.length));
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static RelayException malformed(String message, Throwable cause) {
        return new RelayException(RelayException.Reason.MALFORMED, null, message, cause);
    }
}
