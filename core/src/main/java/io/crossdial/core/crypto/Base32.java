package io.crossdial.core.crypto;

/**
 * RFC 4648 base32 with the lower-case alphabet and no padding: multibase prefix {@code b}, the default
 * text form of CIDs. Decoding is strict: only lower-case alphabet characters, no padding, a length that
 * RFC 4648 can produce, and zero bits after the last whole byte, so each byte string has exactly one text.
 * Stateless and thread-safe.
 */
final class Base32 {
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

    private Base32() {}

    /**
     * @param input bytes to encode
     * @return the lower-case text, without padding
     */
    static String encode(byte[] input) {
        StringBuilder sb = new StringBuilder((input.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte b : input) {
            buffer = (buffer << 8) | (b & 0xFF);
            bits += 8;
            while (bits >= 5) {
                sb.append(ALPHABET[(buffer >>> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) {
            sb.append(ALPHABET[(buffer << (5 - bits)) & 31]);
        }
        return sb.toString();
    }

    /**
     * @param text the encoded text, at most {@code maxChars} characters
     * @param maxChars the caller's bound on the text length
     * @return the bytes
     * @throws KeyFormatException if the text is too long, has a character outside the alphabet, has an
     *     impossible length or non-zero trailing bits
     */
    static byte[] decode(CharSequence text, int maxChars) {
        int n = text.length();
        if (n > maxChars) {
            throw new KeyFormatException("base32 text of " + n + " characters is longer than " + maxChars);
        }
        int rem = n % 8;
        if (rem == 1 || rem == 3 || rem == 6) {
            throw new KeyFormatException("base32 text has an impossible length " + n);
        }
        byte[] out = new byte[n * 5 / 8];
        int buffer = 0;
        int bits = 0;
        int o = 0;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            int v;
            if (c >= 'a' && c <= 'z') {
                v = c - 'a';
            } else if (c >= '2' && c <= '7') {
                v = c - '2' + 26;
            } else {
                throw new KeyFormatException("invalid base32 character '" + c + "' at index " + i);
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out[o++] = (byte) (buffer >>> (bits - 8));
                bits -= 8;
            }
            buffer &= (1 << bits) - 1;
        }
        if (buffer != 0) {
            throw new KeyFormatException("base32 text has non-zero trailing bits");
        }
        return out;
    }
}
