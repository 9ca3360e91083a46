/**
 * libp2p keys and peer IDs (libp2p/specs peer-ids): {@link io.crossdial.core.crypto.Keys} generates and
 * decodes Ed25519 and secp256k1 keys, {@link io.crossdial.core.crypto.PeerId} derives and parses peer IDs.
 */
package io.crossdial.core.crypto;
