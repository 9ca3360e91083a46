package io.crossdial.core.multiaddr;

/**
 * Text forms of IPv4 and IPv6 addresses, parsed and written without {@link java.net.InetAddress}, so no
 * input can trigger a DNS lookup. Stateless and thread-safe.
 */
final class IpText {
    private IpText() {}

    /**
     * @param s strict dotted decimal: four decimal numbers 0-255 without leading zeros
     * @return 4 bytes, or null when {@code s} is not such an address
     */
    static byte[] parseIp4(String s) {
        if (s.isEmpty() || s.length() > 15) {
            return null;
        }
        byte[] out = new byte[4];
        int part = 0;
        int i = 0;
        while (true) {
            int start = i;
            int value = 0;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                value = value * 10 + (s.charAt(i) - '0');
                i++;
                if (i - start > 3) {
                    return null;
                }
            }
            int digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && s.charAt(start) == '0')) {
                return null;
            }
            out[part++] = (byte) value;
            if (part == 4) {
                return i == s.length() ? out : null;
            }
            if (i >= s.length() || s.charAt(i) != '.') {
                return null;
            }
            i++;
        }
    }

    /** @return the dotted decimal text of 4 bytes */
    static String formatIp4(byte[] b, int off) {
        return (b[off] & 0xFF) + "." + (b[off + 1] & 0xFF) + "." + (b[off + 2] & 0xFF) + "." + (b[off + 3] & 0xFF);
    }

    /**
     * @param s RFC 4291 section 2.2 text: eight groups of 1-4 hex digits, at most one {@code ::}, optionally
     *     ending in a dotted-decimal IPv4 address; no zone, no brackets
     * @return 16 bytes, or null when {@code s} is not such an address
     */
    static byte[] parseIp6(String s) {
        if (s.isEmpty() || s.length() > 45) {
            return null;
        }
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        int[] head = parseGroups(gap >= 0 ? s.substring(0, gap) : s, gap < 0);
        int[] tail = gap >= 0 ? parseGroups(s.substring(gap + 2), true) : new int[0];
        if (head == null || tail == null) {
            return null;
        }
        if (gap < 0 ? head.length != 8 : head.length + tail.length > 7) {
            return null;
        }
        byte[] out = new byte[16];
        for (int g = 0; g < head.length; g++) {
            out[2 * g] = (byte) (head[g] >>> 8);
            out[2 * g + 1] = (byte) head[g];
        }
        for (int g = 0; g < tail.length; g++) {
            int at = 8 - tail.length + g;
            out[2 * at] = (byte) (tail[g] >>> 8);
            out[2 * at + 1] = (byte) tail[g];
        }
        return out;
    }

    /** @return the 16-bit groups of a colon-separated run ("" gives none), or null if malformed */
    private static int[] parseGroups(String part, boolean ip4AllowedLast) {
        if (part.isEmpty()) {
            return new int[0];
        }
        String[] tokens = part.split(":", -1);
        int[] groups = new int[tokens.length + 1];
        int n = 0;
        for (int t = 0; t < tokens.length; t++) {
            String token = tokens[t];
            if (t == tokens.length - 1 && ip4AllowedLast && token.indexOf('.') >= 0) {
                byte[] v4 = parseIp4(token);
                if (v4 == null) {
                    return null;
                }
                groups[n++] = ((v4[0] & 0xFF) << 8) | (v4[1] & 0xFF);
                groups[n++] = ((v4[2] & 0xFF) << 8) | (v4[3] & 0xFF);
                continue;
            }
            if (token.isEmpty() || token.length() > 4) {
                return null;
            }
            int value = 0;
            for (int i = 0; i < token.length(); i++) {
                int digit = Character.digit(token.charAt(i), 16);
                if (digit < 0 || token.charAt(i) > 'f') {
                    return null;
                }
                value = (value << 4) | digit;
            }
            groups[n++] = value;
        }
        return java.util.Arrays.copyOf(groups, n);
    }

    /**
     * Writes the RFC 5952 text: lower-case hex without leading zeros, the longest run of two or more zero
     * groups (the first of equal runs) as {@code ::}, and IPv4-mapped addresses as {@code ::ffff:a.b.c.d}.
     *
     * @return the text of 16 bytes
     */
    static String formatIp6(byte[] b) {
        boolean mapped = true;
        for (int i = 0; i < 10; i++) {
            mapped &= b[i] == 0;
        }
        if (mapped && (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF) {
            return "::ffff:" + formatIp4(b, 12);
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
