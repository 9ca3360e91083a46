package io.crossdial.core.crypto;

import io.crossdial.core.varint.UnsignedVarint;
import org.bouncycastle.crypto.digests.SHA256Digest;

/**
 * The deterministic protobuf encoding of the peer-ids spec's {@code PublicKey} and {@code PrivateKey}
 * messages: field 1 ({@code Type}, varint) first, then field 2 ({@code Data}, length-delimited), both
 * present, nothing else, minimal varints.
 *
 * <pre>
 *   08 tt 12 ll dd dd ...     tt = key type number, ll = varint length of Data, dd = Data
 *   08 01 12 20 &lt;32 bytes&gt;   an Ed25519 public key (36 bytes)
 * </pre>
 *
 * Written by hand rather than through the generated classes so the byte order is pinned by this code and
 * its tests, not by a library's serializer. Stateless and thread-safe.
 */
final class KeyEncoding {
    private KeyEncoding() {}

    /**
     * @param type the key type
     * @param data the type-specific key bytes
     * @return {@code 08 type 12 len data}
     */
    static byte[] marshal(KeyType type, byte[] data) {
        byte[] len = UnsignedVarint.encode(data.length);
        byte[] out = new byte[2 + 1 + len.length + data.length];
        out[0] = 0x08;
        out[1] = (byte) type.number(); // 0..3: a one-byte varint
        out[2] = 0x12;
        System.arraycopy(len, 0, out, 3, len.length);
        System.arraycopy(data, 0, out, 3 + len.length, data.length);
        return out;
    }

    /**
     * @param data bytes to hash
     * @return the 32-byte SHA-256 digest
     */
    static byte[] sha256(byte[] data) {
        SHA256Digest digest = new SHA256Digest();
        digest.update(data, 0, data.length);
        byte[] out = new byte[digest.getDigestSize()];
        digest.doFinal(out, 0);
        return out;
    }
}
