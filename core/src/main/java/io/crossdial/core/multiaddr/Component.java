package io.crossdial.core.multiaddr;

import io.crossdial.core.crypto.KeyFormatException;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.varint.UnsignedVarint;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One {@code /protocol/value} part of a multiaddr. The value is the protocol's binary value without the
 * length prefix: 4 bytes for ip4, 16 for ip6, a 2-byte big-endian port for tcp and udp, the UTF-8 name
 * (1 to 255 bytes, no {@code /}) for dns, dns4 and dns6, the peer ID multihash for p2p.
 *
 * <p>Immutable and thread-safe: the constructor validates and copies the value, {@link #value()} returns a
 * copy; equality compares protocol and value bytes.
 *
 * @param protocol the protocol
 * @param value the binary value
 */
public record Component(Protocol protocol, byte[] value) {
    /** Longest dns, dns4 or dns6 name in bytes. */
    public static final int MAX_DNS_NAME_BYTES = 255;

    /**
     * Validates and copies the value.
     *
     * @param protocol the protocol
     * @param value the binary value, without a length prefix
     * @throws MultiaddrException if the value is not valid for the protocol (wrong length, port out of
     *     range, empty or over-long name, invalid UTF-8, a {@code /} in a name, an invalid peer ID)
     * @throws NullPointerException if an argument is null
     */
    public Component {
        if (protocol == null || value == null) {
            throw new NullPointerException("protocol and value are required");
        }
        value = value.clone();
        String problem = check(protocol, value);
        if (problem != null) {
            throw new MultiaddrException("invalid /" + protocol.protocolName() + " component: " + problem);
        }
    }

    /** @return the binary value (a fresh copy) */
    @Override
    public byte[] value() {
        return value.clone();
    }

    /**
     * @return the value as it stands in the text form: dotted decimal for ip4, RFC 5952 for ip6, decimal
     *     for ports, the name for dns*, base58btc for p2p
     */
    public String valueText() {
        switch (protocol) {
            case IP4:
                return IpText.formatIp4(value, 0);
            case IP6:
                return IpText.formatIp6(value);
            case TCP:
            case UDP:
                return Integer.toString(port());
            case DNS:
            case DNS4:
            case DNS6:
            case DNSADDR:
                return new String(value, StandardCharsets.UTF_8);
            case P2P:
                return PeerId.fromBytes(value).toBase58();
            case P2P_CIRCUIT:
                return "";
            default:
                throw new AssertionError(protocol);
        }
    }

    /** @return the port of a tcp or udp component */
    int port() {
        return ((value[0] & 0xFF) << 8) | (value[1] & 0xFF);
    }

    /** @return a read-only view of the value, without copying; callers must not modify it */
    byte[] valueUnsafe() {
        return value;
    }

    /** @return the binary form: varint code, varint length for variable-size protocols, value */
    byte[] toBytes() {
        byte[] code = UnsignedVarint.encode(protocol.code());
        byte[] len = protocol.isVariableLength() ? UnsignedVarint.encode(value.length) : new byte[0];
        byte[] out = new byte[code.length + len.length + value.length];
        System.arraycopy(code, 0, out, 0, code.length);
        System.arraycopy(len, 0, out, code.length, len.length);
        System.arraycopy(value, 0, out, code.length + len.length, value.length);
        return out;
    }

    /**
     * @param protocol the protocol
     * @param text the value's text form
     * @return the component
     * @throws MultiaddrException naming the protocol and the text when the text is not a valid value
     */
    static Component parse(Protocol protocol, String text) {
        byte[] value;
        switch (protocol) {
            case IP4:
                value = IpText.parseIp4(text);
                break;
            case IP6:
                value = IpText.parseIp6(text);
                break;
            case TCP:
            case UDP:
                value = parsePort(text);
                break;
            case DNS:
            case DNS4:
            case DNS6:
            case DNSADDR:
                value = text.getBytes(StandardCharsets.UTF_8);
                break;
            case P2P:
                try {
                    value = PeerId.fromString(text).toBytes();
                } catch (KeyFormatException e) {
                    throw new MultiaddrException("bad p2p value: " + e.getMessage(), e);
                }
                break;
            default:
                throw new AssertionError(protocol);
        }
        String what = protocol == Protocol.TCP || protocol == Protocol.UDP ? " port '"
                : protocol == Protocol.IP4 || protocol == Protocol.IP6 ? " address '" : " name '";
        if (value == null) {
            throw new MultiaddrException("bad " + protocol.protocolName() + what + text + "'");
        }
        String problem = check(protocol, value);
        if (problem != null) {
            throw new MultiaddrException("bad " + protocol.protocolName() + what + text + "': " + problem);
        }
        return new Component(protocol, value);
    }

    private static byte[] parsePort(String text) {
        if (text.isEmpty() || text.length() > 5) {
            return null;
        }
        int port = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            port = port * 10 + (c - '0');
        }
        return port > 0xFFFF ? null : new byte[] {(byte) (port >>> 8), (byte) port};
    }

    /** @return null when {@code value} is valid for {@code protocol}, else what is wrong */
    static String check(Protocol protocol, byte[] value) {
        if (!protocol.isVariableLength()) {
            int expected = protocol.sizeBits() / 8;
            return value.length == expected ? null
                    : "value must be " + expected + " bytes, got " + value.length;
        }
        switch (protocol) {
            case DNS:
            case DNS4:
            case DNS6:
            case DNSADDR:
                if (value.length == 0) {
                    return "empty name";
                }
                if (value.length > MAX_DNS_NAME_BYTES) {
                    return "name of " + value.length + " bytes is longer than " + MAX_DNS_NAME_BYTES;
                }
                for (byte b : value) {
                    if (b == '/') {
                        return "name contains '/'";
                    }
                    if ((b & 0xFF) < 0x20 || b == 0x7F) {
                        return "name contains a control character";
                    }
                }
                try {
                    StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(value));
                } catch (CharacterCodingException e) {
                    return "name is not valid UTF-8";
                }
                return null;
            case P2P:
                try {
                    PeerId.fromBytes(value);
                    return null;
                } catch (KeyFormatException e) {
                    return e.getMessage();
                }
            default:
                throw new AssertionError(protocol);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Component other && protocol == other.protocol && Arrays.equals(value, other.value);
    }

    @Override
    public int hashCode() {
        return 31 * protocol.hashCode() + Arrays.hashCode(value);
    }

    /** @return the text form of this component, such as {@code /tcp/4001} */
    @Override
    public String toString() {
        return protocol.hasNoValue() ? "/" + protocol.protocolName() : "/" + protocol.protocolName() + "/" + valueText();
    }
}
