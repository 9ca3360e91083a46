package io.crossdial.core.multiaddr;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.core.varint.VarintException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A multiaddr (multiformats/multiaddr): a sequence of {@link Component}s such as
 * {@code /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...}, restricted to the protocols of {@link Protocol}.
 *
 * <pre>
 *   text    /ip4/127.0.0.1/tcp/4001
 *   binary  04 7f 00 00 01  06 0f a1
 *           ^code ^value    ^code ^port (big-endian)
 *
 *   variable-size values carry a varint length:  /dns4/a.io = 36 04 61 2e 69 6f
 *   p2p has a two-byte code:                     /p2p/Qm... = a5 03 22 12 20 &lt;32 bytes&gt;
 * </pre>
 *
 * Parsing is strict and bounded: binary input is at most {@link #MAX_BYTES} bytes and text at most
 * {@link #MAX_TEXT_LENGTH} characters, checked before anything else is read; an unknown protocol, a
 * missing or malformed value, a truncated value or a length running past the end fails with a
 * {@link MultiaddrException} naming the input and the bad part. IPv4 text must be dotted decimal and
 * IPv6 text is parsed by hand: nothing here ever resolves a name.
 *
 * <p>Immutable and thread-safe; equal when the binary forms are equal.
 */
public final class Multiaddr {
    /** Longest binary multiaddr accepted or built: 1024 bytes. */
    public static final int MAX_BYTES = 1024;
    /** Longest text multiaddr accepted: 4096 characters. */
    public static final int MAX_TEXT_LENGTH = 4096;

    private final List<Component> components;
    private final byte[] bytes;
    private final String text;

    private Multiaddr(List<Component> components) {
        this.components = List.copyOf(components);
        int size = 0;
        List<byte[]> parts = new ArrayList<>(components.size());
        StringBuilder sb = new StringBuilder();
        for (Component c : components) {
            byte[] part = c.toBytes();
            parts.add(part);
            size += part.length;
            sb.append(c);
        }
        if (size > MAX_BYTES) {
            throw new MultiaddrException("invalid multiaddr " + abbreviate(sb.toString()) + ": " + size
                    + " bytes exceeds the limit of " + MAX_BYTES);
        }
        this.bytes = new byte[size];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, bytes, at, part.length);
            at += part.length;
        }
        this.text = sb.toString();
    }

    /**
     * Parses the text form: {@code /name/value} repeated, at least once; one trailing {@code /} is
     * tolerated; {@code /ipfs/} is read as {@code /p2p/}; p2p values may be base58btc or CID text.
     *
     * @param text the text form, at most {@link #MAX_TEXT_LENGTH} characters
     * @return the multiaddr
     * @throws MultiaddrException if the text is empty, too long, does not start with {@code /}, names an
     *     unknown protocol, lacks a value or has an invalid value
     */
    public static Multiaddr fromString(String text) {
        if (text == null || text.isEmpty()) {
            throw new MultiaddrException("invalid multiaddr '': empty");
        }
        if (text.length() > MAX_TEXT_LENGTH) {
            throw new MultiaddrException("invalid multiaddr " + abbreviate(text) + ": " + text.length()
                    + " characters exceeds the limit of " + MAX_TEXT_LENGTH);
        }
        try {
            if (text.charAt(0) != '/') {
                throw new MultiaddrException("must start with '/'");
            }
            String body = text.substring(1);
            if (body.endsWith("/")) {
                body = body.substring(0, body.length() - 1);
            }
            if (body.isEmpty()) {
                throw new MultiaddrException("no components");
            }
            String[] tokens = body.split("/", -1);
            List<Component> out = new ArrayList<>();
            for (int i = 0; i < tokens.length; i++) {
                String name = tokens[i];
                if (name.isEmpty()) {
                    throw new MultiaddrException("empty protocol name at component " + (out.size() + 1));
                }
                Protocol protocol = Protocol.forName(name);
                if (protocol == null) {
                    throw new MultiaddrException("unknown protocol '" + name + "'");
                }
                if (protocol.hasNoValue()) {
                    out.add(new Component(protocol, new byte[0]));
                    continue;
                }
                if (i + 1 >= tokens.length) {
                    throw new MultiaddrException("missing value for /" + name);
                }
                out.add(Component.parse(protocol, tokens[++i]));
            }
            return new Multiaddr(out);
        } catch (MultiaddrException e) {
            if (e.getMessage().startsWith("invalid multiaddr ")) {
                throw e;
            }
            throw new MultiaddrException("invalid multiaddr " + abbreviate(text) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses the binary form: repeated {@code varint code, [varint length,] value}.
     *
     * @param bytes the binary form, 1 to {@link #MAX_BYTES} bytes
     * @return the multiaddr
     * @throws MultiaddrException if the input is empty or too long, a code is unknown or a bad varint, a
     *     value is truncated, a length runs past the end, or a value is invalid for its protocol
     */
    public static Multiaddr fromBytes(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new MultiaddrException("invalid multiaddr (0 bytes): empty");
        }
        if (bytes.length > MAX_BYTES) {
            throw new MultiaddrException("invalid multiaddr of " + bytes.length + " bytes: exceeds the limit of "
                    + MAX_BYTES);
        }
        List<Component> out = new ArrayList<>();
        int at = 0;
        try {
            while (at < bytes.length) {
                UnsignedVarint.Decoded code = varint(bytes, at, "protocol code");
                Protocol protocol = Protocol.forCode(code.value());
                if (protocol == null) {
                    throw new MultiaddrException("unknown protocol code " + code.value() + " at byte " + at);
                }
                at += code.length();
                int length;
                if (protocol.isVariableLength()) {
                    UnsignedVarint.Decoded len = varint(bytes, at, "/" + protocol.protocolName() + " value length");
                    if (len.value() > bytes.length - at - len.length()) {
                        throw new MultiaddrException("/" + protocol.protocolName() + " value length " + len.value()
                                + " runs past the end (" + (bytes.length - at - len.length()) + " bytes left)");
                    }
                    at += len.length();
                    length = (int) len.value();
                } else {
                    length = protocol.sizeBits() / 8;
                    if (length > bytes.length - at) {
                        throw new MultiaddrException("truncated /" + protocol.protocolName() + " value: needs " + length
                                + " bytes, " + (bytes.length - at) + " left");
                    }
                }
                byte[] value = Arrays.copyOfRange(bytes, at, at + length);
                String problem = Component.check(protocol, value);
                if (problem != null) {
                    throw new MultiaddrException("bad /" + protocol.protocolName() + " value: " + problem);
                }
                out.add(new Component(protocol, value));
                at += length;
            }
        } catch (MultiaddrException e) {
            throw new MultiaddrException("invalid multiaddr " + hex(bytes) + ": " + e.getMessage(), e);
        }
        return new Multiaddr(out);
    }

    private static UnsignedVarint.Decoded varint(byte[] bytes, int at, String what) {
        try {
            return UnsignedVarint.decode(bytes, at);
        } catch (VarintException e) {
            throw new MultiaddrException("bad " + what + " at byte " + at + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param components one or more components
     * @return the multiaddr of those components in order
     * @throws MultiaddrException if the list is empty or the result exceeds {@link #MAX_BYTES}
     */
    public static Multiaddr of(List<Component> components) {
        if (components.isEmpty()) {
            throw new MultiaddrException("invalid multiaddr: no components");
        }
        return new Multiaddr(components);
    }

    /**
     * Builds {@code /ip4/<a>/tcp/<port>} or {@code /ip6/<a>/tcp/<port>} from a resolved address (an IPv6
     * scope ID is dropped); an unresolved address becomes {@code /dns/<host>/tcp/<port>}.
     *
     * @param address the socket address
     * @return the multiaddr
     * @throws MultiaddrException if an unresolved host name is not a valid dns value
     */
    public static Multiaddr fromSocketAddress(InetSocketAddress address) {
        Component port = new Component(Protocol.TCP,
                new byte[] {(byte) (address.getPort() >>> 8), (byte) address.getPort()});
        InetAddress ip = address.getAddress();
        Component host;
        if (ip == null) {
            try {
                host = Component.parse(Protocol.DNS, address.getHostString());
            } catch (MultiaddrException e) {
                throw new MultiaddrException("invalid multiaddr for " + address + ": " + e.getMessage(), e);
            }
        } else if (ip instanceof Inet4Address) {
            host = new Component(Protocol.IP4, ip.getAddress());
        } else {
            host = new Component(Protocol.IP6, ip.getAddress());
        }
        return new Multiaddr(List.of(host, port));
    }

    /** @return the binary form (a fresh copy) */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** @return the components in order (an unmodifiable list) */
    public List<Component> components() {
        return components;
    }

    /**
     * @param inner the multiaddr to append
     * @return this multiaddr followed by {@code inner}
     * @throws MultiaddrException if the result exceeds {@link #MAX_BYTES}
     */
    public Multiaddr encapsulate(Multiaddr inner) {
        List<Component> all = new ArrayList<>(components);
        all.addAll(inner.components);
        return new Multiaddr(all);
    }

    /**
     * @param peerId the peer to name
     * @return this multiaddr ending in {@code /p2p/<peerId>}; this instance if it already ends so
     * @throws MultiaddrException if this multiaddr already names a different peer
     */
    public Multiaddr withPeerId(PeerId peerId) {
        PeerId existing = peerId();
        if (existing != null) {
            if (existing.equals(peerId) && last().protocol() == Protocol.P2P) {
                return this;
            }
            throw new MultiaddrException("multiaddr " + text + " already names peer " + existing + ", not " + peerId);
        }
        List<Component> all = new ArrayList<>(components);
        all.add(new Component(Protocol.P2P, peerId.toBytes()));
        return new Multiaddr(all);
    }

    /**
     * @return this multiaddr without its final {@code /p2p/...} component; this instance if it does not end
     *     in one
     * @throws MultiaddrException if the p2p component is the only one
     */
    public Multiaddr withoutPeerId() {
        if (last().protocol() != Protocol.P2P) {
            return this;
        }
        if (components.size() == 1) {
            throw new MultiaddrException("multiaddr " + text + " is only a peer ID");
        }
        return new Multiaddr(components.subList(0, components.size() - 1));
    }

    /** @return the peer ID of the last p2p component, or null if there is none */
    public PeerId peerId() {
        for (int i = components.size() - 1; i >= 0; i--) {
            Component c = components.get(i);
            if (c.protocol() == Protocol.P2P) {
                return PeerId.fromBytes(c.valueUnsafe());
            }
        }
        return null;
    }

    /**
     * The first host component (ip4, ip6, dns, dns4, dns6) directly followed by tcp, as a socket address.
     * ip4 and ip6 give a resolved address built from the bytes (no lookup; an IPv4-mapped ip6 address
     * comes back as an {@link java.net.Inet4Address}, as the JDK does); dns names give
     * {@link InetSocketAddress#createUnresolved}, to be resolved by the caller.
     *
     * @return the TCP socket address
     * @throws MultiaddrException if there is no host component followed by tcp
     */
    public InetSocketAddress toSocketAddress() {
        for (int i = 0; i + 1 < components.size(); i++) {
            Component host = components.get(i);
            Component next = components.get(i + 1);
            if (next.protocol() != Protocol.TCP) {
                continue;
            }
            int port = next.port();
            switch (host.protocol()) {
                case IP4:
                case IP6:
                    try {
                        return new InetSocketAddress(InetAddress.getByAddress(host.valueUnsafe().clone()), port);
                    } catch (UnknownHostException e) {
                        throw new AssertionError("4 or 16 bytes are always an address", e);
                    }
                case DNS:
                case DNS4:
                case DNS6:
                    return InetSocketAddress.createUnresolved(host.valueText(), port);
                default:
                    break;
            }
        }
        throw new MultiaddrException("multiaddr " + text + " has no ip4, ip6 or dns host followed by tcp");
    }

    /** @return whether the first ip4, ip6 or dns* component is ip6 (an IPv6 literal address) */
    public boolean isIp6() {
        for (Component c : components) {
            switch (c.protocol()) {
                case IP6:
                    return true;
                case IP4:
                case DNS:
                case DNS4:
                case DNS6:
                case DNSADDR:
                    return false;
                default:
                    break;
            }
        }
        return false;
    }

    private Component last() {
        return components.get(components.size() - 1);
    }

    /** @return the canonical text form, such as {@code /ip4/127.0.0.1/tcp/4001} */
    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Multiaddr other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    private static String hex(byte[] b) {
        HexFormat hex = HexFormat.of();
        return b.length <= 100 ? hex.formatHex(b) : hex.formatHex(b, 0, 100) + "...";
    }
}
