package io.crossdial.core.crypto;

import java.util.Arrays;

/**
 * Big-number text encodings used by peer IDs: base58btc (the bitcoin alphabet, the canonical peer ID
 * text) and base36 lower case (multibase prefix {@code k}, seen in CID-form peer IDs).
 *
 * <p>The whole input is read as one big-endian number and written in the target base; each leading zero
 * byte becomes one leading "zero" digit ({@code 1} in base58btc, {@code 0} in base36) and back. Both
 * directions are quadratic in the input length, so callers bound the input ({@link #encode} and
 * {@link #decode} take a maximum). Instances are immutable and thread-safe.
 */
final class BaseN {
    /** base58btc: no {@code 0}, {@code O}, {@code I} or {@code l}. */
    static final BaseN BASE58_BTC = new BaseN("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz");
    /** base36, lower case digits then letters (multibase {@code k}). */
    static final BaseN BASE36_LOWER = new BaseN("0123456789abcdefghijklmnopqrstuvwxyz");

    private final char[] alphabet;
    private final int base;
    private final byte[] digits = new byte[128];

    private BaseN(String alphabet) {
        this.alphabet = alphabet.toCharArray();
        this.base = alphabet.length();
        Arrays.fill(digits, (byte) -1);
        for (int i = 0; i < this.alphabet.length; i++) {
            digits[this.alphabet[i]] = (byte) i;
        }
    }

    /**
     * @param input bytes to encode, at most {@code maxBytes}
     * @param maxBytes the caller's bound on the input length
     * @return the text; empty for empty input
     * @throws KeyFormatException if the input is longer than {@code maxBytes}
     */
    String encode(byte[] input, int maxBytes) {
        if (input.length > maxBytes) {
            throw new KeyFormatException("cannot encode " + input.length + " bytes, more than " + maxBytes);
        }
        int zeros = 0;
        while (zeros < input.length && input[zeros] == 0) {
            zeros++;
        }
        // digits in the target base, least significant first; log(256)/log(36) < 1.6
        int[] out = new int[input.length * 16 / 10 + 1];
        int used = 0;
        for (int i = zeros; i < input.length; i++) {
            int carry = input[i] & 0xFF;
            for (int j = 0; j < used; j++) {
                carry += out[j] << 8;
                out[j] = carry % base;
                carry /= base;
            }
            while (carry > 0) {
                out[used++] = carry % base;
                carry /= base;
            }
        }
        StringBuilder sb = new StringBuilder(zeros + used);
        for (int i = 0; i < zeros; i++) {
            sb.append(alphabet[0]);
        }
        for (int j = used - 1; j >= 0; j--) {
            sb.append(alphabet[out[j]]);
        }
        return sb.toString();
    }

    /**
     * @param text the encoded text, at most {@code maxChars} characters
     * @param maxChars the caller's bound on the text length
     * @return the decoded bytes
     * @throws KeyFormatException if the text is longer than {@code maxChars} or has a character outside the
     *     alphabet
     */
    byte[] decode(CharSequence text, int maxChars) {
        if (text.length() > maxChars) {
            throw new KeyFormatException("encoded text of " + text.length() + " characters is longer than " + maxChars);
        }
        int zeros = 0;
        while (zeros < text.length() && text.charAt(zeros) == alphabet[0]) {
            zeros++;
        }
        // bytes, least significant first; log(58)/log(256) < 0.75
        int[] out = new int[text.length() * 3 / 4 + 1];
        int used = 0;
        for (int i = zeros; i < text.length(); i++) {
            char c = text.charAt(i);
            int digit = c < 128 ? digits[c] : -1;
            if (digit < 0) {
                throw new KeyFormatException("invalid character '" + c + "' at index " + i);
            }
            int carry = digit;
            for (int j = 0; j < used; j++) {
                carry += out[j] * base;
                out[j] = carry & 0xFF;
                carry >>>= 8;
            }
            while (carry > 0) {
                out[used++] = carry & 0xFF;
                carry >>>= 8;
            }
        }
        byte[] result = new byte[zeros + used];
        for (int j = 0; j < used; j++) {
            result[result.length - 1 - j] = (byte) out[j];
        }
        return result;
    }
}
