package io.crossdial.core.crypto;

import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.core.varint.VarintException;
import java.util.Arrays;

/**
 * A libp2p peer ID (peer-ids spec, "Peer Ids"): the multihash of a protobuf-encoded public key, the
 * identity multihash when the encoding is at most 42 bytes, sha2-256 otherwise.
 *
 * <pre>
 *   identity:  00 ll &lt;ll bytes: the encoded PublicKey, 1..42&gt;     Ed25519: 00 24 08 01 12 20 &lt;32&gt;
 *   sha2-256:  12 20 &lt;32 bytes: SHA-256 of the encoded PublicKey&gt;
 * </pre>
 *
 * Text form is base58btc of those bytes ({@code 12D3KooW...} for Ed25519, {@code 16Uiu2...} for
 * secp256k1, {@code Qm...} for sha2-256). {@link #fromString} also accepts a CIDv1
 * ({@code <multibase prefix><varint 1><varint 0x72 libp2p-key><multihash>}) in multibase base32
 * ({@code b}), base58btc ({@code z}) or base36 ({@code k}); {@link #toCidString()} writes the base32 form.
 * Immutable and thread-safe; equal when the multihash bytes are equal.
 */
public final class PeerId {
    /** Largest encoded public key that is inlined in an identity multihash (spec: 42). */
    public static final int MAX_INLINE_KEY_BYTES = 42;
    /** Longest binary peer ID: identity code, length byte and 42 key bytes = 44. */
    public static final int MAX_BYTES = 2 + MAX_INLINE_KEY_BYTES;
    /** Longest text accepted by {@link #fromString}; real peer IDs and their CIDs are 46 to 72 characters. */
    public static final int MAX_TEXT_LENGTH = 128;

    private static final int IDENTITY = 0x00;
    private static final int SHA2_256 = 0x12;
    private static final int SHA2_256_BYTES = 32;
    private static final int CID_VERSION_1 = 0x01;
    private static final int LIBP2P_KEY_CODEC = 0x72;

    private final byte[] multihash;
    /** Computed on first use (base58 is quadratic in the length; most peer IDs are never printed). */
    private volatile String base58;

    private PeerId(byte[] multihash) {
        this.multihash = multihash;
    }

    /**
     * @param key a public key
     * @return the peer ID of that key: identity multihash of {@code key.marshal()} when that is at most 42
     *     bytes, else its sha2-256 multihash
     */
    public static PeerId fromPublicKey(PublicKey key) {
        byte[] encoded = key.marshal();
        byte[] mh;
        if (encoded.length <= MAX_INLINE_KEY_BYTES) {
            mh = new byte[2 + encoded.length];
            mh[0] = IDENTITY;
            mh[1] = (byte) encoded.length;
            System.arraycopy(encoded, 0, mh, 2, encoded.length);
        } else {
            mh = new byte[2 + SHA2_256_BYTES];
            mh[0] = SHA2_256;
            mh[1] = SHA2_256_BYTES;
            System.arraycopy(KeyEncoding.sha256(encoded), 0, mh, 2, SHA2_256_BYTES);
        }
        return new PeerId(mh);
    }

    /**
     * @param multihash the binary peer ID (a multihash), at most {@link #MAX_BYTES} bytes
     * @return the peer ID
     * @throws KeyFormatException if the bytes are not an identity multihash of 1 to 42 bytes or a sha2-256
     *     multihash with a 32-byte digest, or have bytes after the digest
     */
    public static PeerId fromBytes(byte[] multihash) {
        if (multihash == null || multihash.length < 2) {
            throw new KeyFormatException("peer ID multihash is too short");
        }
        if (multihash.length > MAX_BYTES) {
            throw new KeyFormatException("peer ID multihash of " + multihash.length + " bytes exceeds " + MAX_BYTES);
        }
        int code = multihash[0] & 0xFF;
        long length;
        int lengthBytes;
        try {
            UnsignedVarint.Decoded d = UnsignedVarint.decode(multihash, 1);
            length = d.value();
            lengthBytes = d.length();
        } catch (VarintException e) {
            throw new KeyFormatException("peer ID multihash has a bad digest length: " + e.getMessage(), e);
        }
        if (code == IDENTITY) {
            if (length < 1 || length > MAX_INLINE_KEY_BYTES) {
                throw new KeyFormatException("identity peer ID must inline 1 to 42 bytes, not " + length);
            }
        } else if (code == SHA2_256) {
            if (length != SHA2_256_BYTES) {
                throw new KeyFormatException("sha2-256 peer ID digest must be 32 bytes, not " + length);
            }
        } else {
            throw new KeyFormatException("peer ID multihash code 0x" + Integer.toHexString(code)
                    + " is neither identity (0x00) nor sha2-256 (0x12)");
        }
        if (1 + lengthBytes + length != multihash.length) {
            throw new KeyFormatException("peer ID multihash declares a " + length + "-byte digest but carries "
                    + (multihash.length - 1 - lengthBytes));
        }
        return new PeerId(multihash.clone());
    }

    /**
     * Parses the text forms of the peer-ids spec ("String representation", "Decoding"): text starting with
     * {@code 1} or {@code Qm} is a bare base58btc multihash; text starting with {@code b}, {@code z} or
     * {@code k} is a CIDv1 in base32, base58btc or base36 whose codec must be libp2p-key (0x72).
     *
     * @param text base58btc multihash or a CIDv1 (multibase-prefixed) with the libp2p-key codec, at most
     *     {@link #MAX_TEXT_LENGTH} characters
     * @return the peer ID
     * @throws KeyFormatException if the text is neither, is too long, or decodes to an invalid multihash
     */
    public static PeerId fromString(String text) {
        if (text == null || text.isEmpty()) {
            throw new KeyFormatException("empty peer ID");
        }
        if (text.length() > MAX_TEXT_LENGTH) {
            throw new KeyFormatException("peer ID text of " + text.length() + " characters exceeds " + MAX_TEXT_LENGTH);
        }
        try {
            if (text.startsWith("1") || text.startsWith("Qm")) {
                return fromBytes(BaseN.BASE58_BTC.decode(text, MAX_TEXT_LENGTH));
            }
            String rest = text.substring(1);
            byte[] cid;
            switch (text.charAt(0)) {
                case 'b':
                    cid = Base32.decode(rest, MAX_TEXT_LENGTH);
                    break;
                case 'z':
                    cid = BaseN.BASE58_BTC.decode(rest, MAX_TEXT_LENGTH);
                    break;
                case 'k':
                    cid = BaseN.BASE36_LOWER.decode(rest, MAX_TEXT_LENGTH);
                    break;
                default:
                    throw new KeyFormatException("neither a base58btc multihash (1..., Qm...) nor a CID with"
                            + " multibase prefix b, z or k");
            }
            return fromCid(cid);
        } catch (KeyFormatException e) {
            throw new KeyFormatException("invalid peer ID '" + text + "': " + e.getMessage(), e);
        }
    }

    private static PeerId fromCid(byte[] cid) {
        try {
            UnsignedVarint.Decoded version = UnsignedVarint.decode(cid, 0);
            if (version.value() != CID_VERSION_1) {
                throw new KeyFormatException("CID version " + version.value() + " is not 1");
            }
            UnsignedVarint.Decoded codec = UnsignedVarint.decode(cid, version.length());
            if (codec.value() != LIBP2P_KEY_CODEC) {
                throw new KeyFormatException("CID codec 0x" + Long.toHexString(codec.value())
                        + " is not libp2p-key (0x72)");
            }
            return fromBytes(Arrays.copyOfRange(cid, version.length() + codec.length(), cid.length));
        } catch (VarintException e) {
            throw new KeyFormatException("malformed CID: " + e.getMessage(), e);
        }
    }

    /** @return the multihash bytes (a fresh copy) */
    public byte[] toBytes() {
        return multihash.clone();
    }

    /**
     * @return the public key inlined in an identity multihash, or null for a sha2-256 peer ID
     * @throws KeyFormatException if the inlined bytes are not a valid key of a supported type
     */
    public PublicKey extractPublicKey() {
        if ((multihash[0] & 0xFF) != IDENTITY) {
            return null;
        }
        return Keys.unmarshalPublicKey(Arrays.copyOfRange(multihash, 2, multihash.length));
    }

    /**
     * @param key a public key
     * @return whether this peer ID is the peer ID of {@code key}
     */
    public boolean matches(PublicKey key) {
        return equals(fromPublicKey(key));
    }

    /** @return the base58btc text form, the canonical one */
    public String toBase58() {
        String text = base58;
        if (text == null) {
            // racing threads compute the same string: a benign race
            text = BaseN.BASE58_BTC.encode(multihash, MAX_BYTES);
            base58 = text;
        }
        return text;
    }

    /** @return the CIDv1 text form: {@code b} + base32 lower of {@code 01 72 <multihash>} ({@code bafz...}) */
    public String toCidString() {
        byte[] cid = new byte[2 + multihash.length];
        cid[0] = CID_VERSION_1;
        cid[1] = LIBP2P_KEY_CODEC;
        System.arraycopy(multihash, 0, cid, 2, multihash.length);
        return "b" + Base32.encode(cid);
    }

    @Override
    public String toString() {
        return toBase58();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerId other && Arrays.equals(multihash, other.multihash);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(multihash);
    }
}
