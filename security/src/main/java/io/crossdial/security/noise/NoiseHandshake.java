package io.crossdial.security.noise;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.crossdial.core.CrossdialException;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PublicKey;
import io.crossdial.core.spi.PeerIdMismatchException;
import io.crossdial.core.spi.Role;
import io.crossdial.core.spi.SecureSession;
import io.crossdial.core.spi.SecurityContext;
import io.crossdial.security.noise.NoiseException.Reason;
import io.crossdial.security.noise.pb.NoiseProtos.NoiseExtensions;
import io.crossdial.security.noise.pb.NoiseProtos.NoiseHandshakePayload;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The libp2p Noise XX handshake driver (libp2p/specs noise/README.md, "Handshake Pattern" and "The libp2p
 * Handshake Payload"): which message comes next, the libp2p payload each side sends, and the checks on the
 * remote's payload. It knows Noise message bodies only, never frames or channels; {@link NoiseHandler} frames
 * its messages and hands the result to a {@link NoiseRecordLayer}.
 * <pre>
 * initiator                                        responder
 *   message 1: e                             -&gt;
 *                                            &lt;-   message 2: e, ee, s, es, payload(identity, muxers)
 *   message 3: s, se, payload(identity, muxers) -&gt;
 * </pre>
 * The payload is a {@code NoiseHandshakePayload} whose {@code identity_sig} signs
 * {@code "noise-libp2p-static-key:" || static X25519 public key} with the libp2p identity key. The remote
 * signature is verified and its peer ID compared with {@link SecurityContext#expectedRemotePeer()}.
 *
 * <p>Failures are {@link NoiseException}s: {@code MALFORMED_MESSAGE} (a message or payload that does not
 * parse, no or a bad identity key), {@code BAD_SIGNATURE}, {@code PEER_ID_MISMATCH}, {@code DECRYPTION_FAILED}
 * (from {@link HandshakeState}), {@code LOCAL_FAILURE} (a local message over 65535 bytes). After one the
 * driver must not be used again.
 *
 * <p>Not thread-safe: one connection's event loop drives it.
 */
final class NoiseHandshake {
    /** What {@code identity_sig} signs, before the 32-byte static key. */
    static final byte[] STATIC_KEY_SIGNATURE_PREFIX =
            "noise-libp2p-static-key:".getBytes(StandardCharsets.UTF_8);
    private static final byte[] EMPTY = new byte[0];

    /**
     * What the handshake produced.
     *
     * @param send the cipher for outbound transport messages
     * @param receive the cipher for inbound transport messages
     * @param session the session event to fire (remote peer, key, early muxer)
     */
    record Result(CipherState send, CipherState receive, SecureSession session) {}

    /**
     * What to do after one inbound message.
     *
     * @param reply the next Noise message body to send (not framed), or null
     * @param result the finished handshake (after {@code reply} is sent), or null while it runs
     */
    record Step(byte[] reply, Result result) {}

    private record RemoteIdentity(PublicKey key, PeerId peer, List<String> muxers) {}

    private final SecurityContext context;
    private final StaticIdentity staticIdentity;
    private HandshakeState state;

    /**
     * @param context role, identity key, expected remote peer and muxers to advertise
     * @param staticIdentity the signed static keypair, made for {@code context.localKey()}
     */
    NoiseHandshake(SecurityContext context, StaticIdentity staticIdentity) {
        this.context = context;
        this.staticIdentity = staticIdentity;
        this.state = new HandshakeState(context.role() == Role.INITIATOR, EMPTY, staticIdentity.staticPrivate,
                staticIdentity.staticPublic, null);
    }

    /** @return message 1's body (the initiator's ephemeral key) for the initiator, null for the responder */
    byte[] start() {
        return context.role() == Role.INITIATOR ? writeMessage(EMPTY) : null;
    }

    /**
     * Reads one inbound handshake message.
     *
     * @param message the Noise message body (the frame without its length prefix)
     * @return the reply to send and, on the last message, the result
     * @throws NoiseException if the message fails to decrypt or its payload fails a check
     */
    Step read(byte[] message) {
        int stage = state.messagesProcessed() + 1;
        byte[] payload = state.readMessage(message);
        return switch (stage) {
            case 1 -> new Step(writeMessage(localPayload()), null); // responder: message 1's payload is empty
            case 2 -> {
                RemoteIdentity remote = verifyRemote(payload, stage);
                byte[] reply = writeMessage(localPayload());
                yield new Step(reply, finish(remote));
            }
            default -> new Step(null, finish(verifyRemote(payload, stage)));
        };
    }

    /** @return the number of handshake messages written or read so far, 0..3 */
    int messagesProcessed() {
        return state == null ? HandshakeState.MESSAGE_COUNT : state.messagesProcessed();
    }

    private byte[] writeMessage(byte[] payload) {
        int stage = state.messagesProcessed() + 1;
        byte[] message = state.writeMessage(payload);
        if (message.length > NoiseFrames.MAX_MESSAGE_BYTES) {
            throw new NoiseException(Reason.LOCAL_FAILURE,
                    "noise: message " + stage + " would be " + message.length + " bytes, over 65535");
        }
        return message;
    }

    private byte[] localPayload() {
        NoiseHandshakePayload.Builder payload = NoiseHandshakePayload.newBuilder()
                .setIdentityKey(ByteString.copyFrom(staticIdentity.identityKey))
                .setIdentitySig(ByteString.copyFrom(staticIdentity.identitySig));
        if (!context.muxerProtocols().isEmpty()) {
            payload.setExtensions(NoiseExtensions.newBuilder().addAllStreamMuxers(context.muxerProtocols()));
        }
        return payload.build().toByteArray();
    }

    private RemoteIdentity verifyRemote(byte[] payloadBytes, int stage) {
        NoiseHandshakePayload payload;
        try {
            payload = NoiseHandshakePayload.parseFrom(payloadBytes);
        } catch (InvalidProtocolBufferException e) {
            throw new NoiseException(Reason.MALFORMED_MESSAGE,
                    "noise: message " + stage + ": malformed handshake payload", e);
        }
        if (payload.getIdentityKey().isEmpty()) {
            throw new NoiseException(Reason.MALFORMED_MESSAGE,
                    "noise: message " + stage + ": handshake payload carries no identity key");
        }
        PublicKey key;
        PeerId peer;
        try {
            key = Keys.unmarshalPublicKey(payload.getIdentityKey().toByteArray());
            peer = PeerId.fromPublicKey(key);
        } catch (CrossdialException e) {
            throw new NoiseException(Reason.MALFORMED_MESSAGE,
                    "noise: message " + stage + ": bad identity key: " + e.getMessage(), e);
        }
        byte[] signed = concat(STATIC_KEY_SIGNATURE_PREFIX, state.remoteStaticPublicKey());
        if (!key.verify(signed, payload.getIdentitySig().toByteArray())) {
            throw new NoiseException(Reason.BAD_SIGNATURE,
                    "noise: message " + stage + ": identity signature of peer " + peer
                    + " does not match its Noise static key");
        }
        PeerId expected = context.expectedRemotePeer();
        if (expected != null && !expected.equals(peer)) {
            PeerIdMismatchException mismatch = new PeerIdMismatchException("noise: ", expected, peer);
            throw new NoiseException(Reason.PEER_ID_MISMATCH, mismatch.getMessage(), mismatch);
        }
        List<String> muxers = payload.hasExtensions() ? payload.getExtensions().getStreamMuxersList() : List.of();
        return new RemoteIdentity(key, peer, muxers);
    }

    private Result finish(RemoteIdentity remote) {
        CipherState[] ciphers = state.split();
        state = null;
        List<String> local = context.muxerProtocols();
        String earlyMuxer = context.role() == Role.INITIATOR
                ? selectMuxer(local, remote.muxers())
                : selectMuxer(remote.muxers(), local);
        return new Result(ciphers[0], ciphers[1], new SecureSession(
                NoiseSecurityTransport.PROTOCOL_ID, staticIdentity.localPeer, remote.peer(), remote.key(), earlyMuxer));
    }

    /**
     * Inlined muxer negotiation (libp2p/specs connections/inlined-muxer-negotiation.md).
     *
     * @return the first of {@code initiator}'s muxers that {@code responder} also lists, or null
     */
    static String selectMuxer(List<String> initiator, List<String> responder) {
        for (String muxer : initiator) {
            if (responder.contains(muxer)) {
                return muxer;
            }
        }
        return null;
    }

    /** @return {@code a} followed by {@code b}, a new array */
    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
