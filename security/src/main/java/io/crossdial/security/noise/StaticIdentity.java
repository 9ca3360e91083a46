package io.crossdial.security.noise;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;

/**
 * The local half of libp2p Noise's static key authentication (libp2p/specs noise/README.md, "Static Key
 * Authentication"): an X25519 static keypair, and the identity key's signature over
 * {@code "noise-libp2p-static-key:" || static public key} that every handshake payload carries.
 *
 * <p>Making one costs an X25519 key generation and an identity-key signature; {@link NoiseSecurityTransport}
 * keeps one per identity key for all sessions, as the spec allows ("a single static keypair may be
 * generated when noise-libp2p is initialized and used for all sessions"). Immutable; the arrays are never
 * handed out.
 */
final class StaticIdentity {
    final PrivateKey identity;
    final PeerId localPeer;
    final byte[] staticPrivate;
    final byte[] staticPublic;
    /** The marshalled identity public key (the payload's {@code identity_key}). */
    final byte[] identityKey;
    /** The payload's {@code identity_sig}. */
    final byte[] identitySig;

    private StaticIdentity(PrivateKey identity, byte[] staticPrivate) {
        this.identity = identity;
        this.localPeer = PeerId.fromPublicKey(identity.publicKey());
        this.staticPrivate = staticPrivate;
        this.staticPublic = HandshakeState.publicKey(staticPrivate);
        this.identityKey = identity.publicKey().marshal();
        this.identitySig = identity.sign(NoiseHandshake.concat(NoiseHandshake.STATIC_KEY_SIGNATURE_PREFIX, staticPublic));
    }

    /**
     * @param identity the libp2p identity key that signs the static key
     * @return a new static keypair (fresh random X25519 key) signed by {@code identity}
     */
    static StaticIdentity generate(PrivateKey identity) {
        return new StaticIdentity(identity, HandshakeState.generatePrivateKey());
    }
}
