package io.crossdial.core.multiaddr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Multiaddr text and binary forms against the multiaddr spec's and go-multiaddr's vectors. */
class MultiaddrTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final String QM = "QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC";
    private static final String QM_HEX = "1220d52ebb89d85b02a284948203a62ff28389c57c9f42beec4ec20db76a68911c0b";
    private static final String ED = "12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV";
    private static final String ED_HEX = "0024080112202d3de6d16ae87f7a933fe1552162a2d3f04951e90e8051e4ee2c18f002dd0fb4";

    @ParameterizedTest(name = "{0} <-> {1}")
    @CsvSource({
        // multiformats/multiaddr test/multiaddr.feature
        "/ip4/192.0.2.42/tcp/443, 04c000022a0601bb",
        // go-multiaddr multiaddr_test.go TestStringToBytes / TestBytesToString
        "/ip4/127.0.0.1/udp/1234, 047f000001910204d2",
        "/ip4/127.0.0.1/tcp/4321, 047f0000010610e1",
        "/ip4/127.0.0.1/udp/1234/ip4/127.0.0.1/tcp/4321, 047f000001910204d2047f0000010610e1",
        // the value layouts of the protocol table
        "/ip4/127.0.0.1/tcp/4001, 047f000001060fa1",
        "/ip6/::1/tcp/38539, 29000000000000000000000000000000010696" + "8b",
        "/ip6/2601:9:4f81:9700:803e:ca65:66e8:c21/udp/0, 29260100094f819700803eca6566e80c21910200" + "00",
        "/ip6/::ffff:1.2.3.4/tcp/65535, 2900000000000000000000ffff0102030406ffff",
        "/dns/example.com/tcp/443, 350b6578616d706c652e636f6d0601bb",
        "/dns4/a.io/tcp/1, 3604612e696f060001",
        "/dns6/a.io, 3704612e696f",
        "/p2p/" + QM + ", a50322" + QM_HEX,
        "/ip4/1.2.3.4/tcp/4001/p2p/" + ED + ", 0401020304060fa1a50326" + ED_HEX,
    })
    void convertsBetweenTextAndBinary(String text, String hex) {
        Multiaddr fromText = Multiaddr.fromString(text);
        assertEquals(hex, HEX.formatHex(fromText.toBytes()));
        assertEquals(text, fromText.toString());
        Multiaddr fromBytes = Multiaddr.fromBytes(HEX.parseHex(hex));
        assertEquals(text, fromBytes.toString());
        assertEquals(fromText, fromBytes);
        assertEquals(fromText.hashCode(), fromBytes.hashCode());
    }

    @ParameterizedTest(name = "{0} is printed {1}")
    @CsvSource({
        "/ip4/127.0.0.1/tcp/1234/, /ip4/127.0.0.1/tcp/1234",
        "/ipfs/" + QM + ", /p2p/" + QM,
        "/p2p/bafzbeigvf25ytwc3akrijfecaotc74udrhcxzh2cx3we5qqnw5vgrei4bm, /p2p/" + QM,
        "/p2p/k2k4r8oqamigqdo6o7hsbfwd45y70oyynp98usk7zmyfrzpqxh1pohl7/tcp/1234, /p2p/" + QM + "/tcp/1234",
        "/p2p/bafzaajaiaejcalj543iwv2d7pkjt7ykvefrkfu7qjfi6sduakhso4lay6abn2d5u, /p2p/" + ED,
        "/p2p/k51qzi5uqu5dhb6l8spkdx7yxafegfkee5by8h7lmjh2ehc2sgg34z7c15vzqs, /p2p/" + ED,
        "/ip6/0:0:0:0:0:0:0:1/tcp/1, /ip6/::1/tcp/1",
        "/ip6/2001:DB8:0:0:1:0:0:1, /ip6/2001:db8::1:0:0:1",
        "/ip6/2001:db8:0:0:0:0:2:1, /ip6/2001:db8::2:1",
        "/ip6/2001:db8:0:1:1:1:1:1, /ip6/2001:db8:0:1:1:1:1:1",
        "/ip6/::, /ip6/::",
        "/ip6/1::, /ip6/1::",
        "/ip6/::127.0.0.1, /ip6/::7f00:1",
        "/ip6/0000:0000:0000:0000:0000:ffff:0a00:0001, /ip6/::ffff:10.0.0.1",
        "/tcp/00080, /tcp/80",
    })
    void printsTheCanonicalTextForm(String input, String canonical) {
        assertEquals(canonical, Multiaddr.fromString(input).toString());
        assertEquals(canonical, Multiaddr.fromBytes(Multiaddr.fromString(input).toBytes()).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // go-multiaddr TestConstructFails, for the protocols crossdial knows
        "/ip4", "/ip4/::1", "/ip4/fdpsofodsajfdoisa", "/ip6", "/udp", "/tcp", "/udp/65536", "/tcp/65536",
        "/ip4/127.0.0.1/udp/jfodsajfidosajfoidsa", "/ip4/127.0.0.1/udp", "/ip4/127.0.0.1/tcp/jfodsajfidosajfoidsa",
        "/ip4/127.0.0.1/tcp", "/ip4/127.0.0.1/ipfs", "/ip4/127.0.0.1/ipfs/tcp", "/ip4/127.0.0.1/p2p",
        "/ip4/127.0.0.1/p2p/tcp", "/ip4/1.2.3.4/tcp/-1", "/", "",
        "/p2p/QmxoHT6iViN5xAjoz1VZ553cL31U9F94ht3QvWR1FrEbZY",
        // strict dotted decimal
        "/ip4/999.1.1.1", "/ip4/1.2.3", "/ip4/1.2.3.4.5", "/ip4/01.2.3.4", "/ip4/1.2.3.", "/ip4/.1.2.3",
        "/ip4/1..2.3", "/ip4/1.2.3.4 ", "/ip4/0x7f.0.0.1", "/ip4/2130706433", "/ip4/localhost", "/ip4/+1.2.3.4",
        // IPv6 without lookups, zones or brackets
        "/ip6/1:2:3:4:5:6:7", "/ip6/1:2:3:4:5:6:7:8:9", "/ip6/1::2::3", "/ip6/:::", "/ip6/12345::", "/ip6/g::",
        "/ip6/fe80::1%eth0", "/ip6/[::1]", "/ip6/:1::", "/ip6/1:2:3:4:5:6:7:8::", "/ip6/::1.2.3", "/ip6/1.2.3.4",
        "/ip6/1.2.3.4::", "/ip6/localhost", "/ip6/1:2:3:4:5:6:7::8", "/ip6/::ffff:999.0.0.1",
        // ports and names
        "/tcp/+80", "/tcp/123456", "/tcp/", "/udp/8.0", "/dns4/", "/dns4//tcp/1",
        // structure
        "ip4/127.0.0.1", "/ip4/127.0.0.1//tcp/1", "/quic-v1", "/ws", "/unix/a", "/ip4/1.2.3.4/tcp/1/ws",
        "/p2p/" + QM + "x",
    })
    void rejectsInvalidText(String text) {
        assertThrows(MultiaddrException.class, () -> Multiaddr.fromString(text));
    }

    @Test
    void namesTheBadPartInTheMessage() {
        MultiaddrException e = assertThrows(MultiaddrException.class,
                () -> Multiaddr.fromString("/ip4/999.1.1.1/tcp/1"));
        assertEquals("invalid multiaddr /ip4/999.1.1.1/tcp/1: bad ip4 address '999.1.1.1'", e.getMessage());
        e = assertThrows(MultiaddrException.class, () -> Multiaddr.fromString("/ip4/1.1.1.1/tcp/65536"));
        assertEquals("invalid multiaddr /ip4/1.1.1.1/tcp/65536: bad tcp port '65536'", e.getMessage());
        e = assertThrows(MultiaddrException.class, () -> Multiaddr.fromString("/ip4/1.1.1.1/quic/1"));
        assertEquals("invalid multiaddr /ip4/1.1.1.1/quic/1: unknown protocol 'quic'", e.getMessage());
        e = assertThrows(MultiaddrException.class, () -> Multiaddr.fromString("/ip4/1.1.1.1/tcp"));
        assertEquals("invalid multiaddr /ip4/1.1.1.1/tcp: missing value for /tcp", e.getMessage());
        e = assertThrows(MultiaddrException.class, () -> Multiaddr.fromBytes(HEX.parseHex("047f0000")));
        assertEquals("invalid multiaddr 047f0000: truncated /ip4 value: needs 4 bytes, 3 left", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "04", "047f0000", "047f00000106", "047f0000010610", // truncated fixed-size values
        "3605612e696f", "350a", "a50323" + QM_HEX, // lengths running past the end
        "3600", "3601" + "2f", "3601" + "00", "3602c328", // empty name, '/', control byte, bad UTF-8
        "a50300", "a50322" + "1320d52ebb89d85b02a284948203a62ff28389c57c9f42beec4ec20db76a68911c0b", // bad multihash
        "a503211220d52ebb89d85b02a284948203a62ff28389c57c9f42beec4ec20db76a68911c0b", // digest one short
        "07", "00", "ff01", "8000", "ffffffffffffffffffff01", // unknown codes and bad varints
        "36" + "8080808080808080ff01", // bad length varint
        "a6030400", "a302", // codes 422 and 291: not protocols crossdial knows
    })
    void rejectsInvalidBinary(String hex) {
        assertThrows(MultiaddrException.class, () -> Multiaddr.fromBytes(HEX.parseHex(hex)));
    }

    @Test
    void parsesCircuitAddressWithValuelessP2pCircuit() {
        String text = "/ip4/1.2.3.4/tcp/4001/p2p/" + QM + "/p2p-circuit/p2p/" + ED;
        Multiaddr a = Multiaddr.fromString(text);
        assertEquals(text, a.toString());
        // p2p-circuit is code 290 (varint a2 02) and has no value (multiformats multiaddr table: size 0)
        String hex = "0401020304" + "060fa1" + "a50322" + QM_HEX + "a202" + "a50326" + ED_HEX;
        assertEquals(hex, HEX.formatHex(a.toBytes()));
        assertEquals(a, Multiaddr.fromBytes(HEX.parseHex(hex)));
        assertEquals(ED, a.peerId().toBase58());
        assertEquals("/p2p-circuit", Multiaddr.fromString("/p2p-circuit").toString());
        assertEquals("/p2p-circuit", Multiaddr.fromBytes(HEX.parseHex("a202")).toString());
    }

    @Test
    void rejectsOversizedInputBeforeParsing() {
        assertThrows(MultiaddrException.class, () -> Multiaddr.fromBytes(new byte[Multiaddr.MAX_BYTES + 1]));
        assertThrows(MultiaddrException.class,
                () -> Multiaddr.fromString("/" + "x".repeat(Multiaddr.MAX_TEXT_LENGTH)));
        assertThrows(MultiaddrException.class, () -> Multiaddr.fromBytes(null));
        assertThrows(MultiaddrException.class, () -> Multiaddr.fromString(null));
        assertThrows(MultiaddrException.class, () -> Multiaddr.fromString("/dns/" + "a".repeat(256)));
        String big = "/dns/" + "a".repeat(255);
        Multiaddr one = Multiaddr.fromString(big);
        Multiaddr four = one.encapsulate(one).encapsulate(one);
        assertEquals(3 * 258, four.toBytes().length);
        assertThrows(MultiaddrException.class, () -> four.encapsulate(one).encapsulate(one));
        assertThrows(MultiaddrException.class, () -> Multiaddr.fromString(big + big + big + big));
    }

    @Test
    void pinsProtocolCodesAndSizes() {
        assertEquals(List.of(Protocol.IP4, Protocol.TCP, Protocol.IP6, Protocol.DNS, Protocol.DNS4, Protocol.DNS6,
                Protocol.DNSADDR, Protocol.UDP, Protocol.P2P, Protocol.P2P_CIRCUIT), List.of(Protocol.values()));
        int[][] expected = {{4, 32}, {6, 16}, {41, 128}, {53, -1}, {54, -1}, {55, -1}, {56, -1}, {273, 16},
            {421, -1}, {290, 0}};
        for (Protocol p : Protocol.values()) {
            assertEquals(expected[p.ordinal()][0], p.code(), p.toString());
            assertEquals(expected[p.ordinal()][1], p.sizeBits(), p.toString());
            assertEquals(p.sizeBits() == Protocol.VARIABLE, p.isVariableLength());
            assertEquals(p.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), p.protocolName());
        }
    }

    @Test
    void parsesDnsaddrWithItsBinaryForm() {
        Multiaddr ma = Multiaddr.fromString("/dnsaddr/bootstrap.example/p2p/" + ED);
        assertEquals("/dnsaddr/bootstrap.example/p2p/" + ED, ma.toString());
        byte[] bytes = ma.toBytes();
        assertEquals(56, bytes[0]); // code 0x38, one varint byte
        assertEquals("bootstrap.example".length(), bytes[1]);
        assertEquals(ma, Multiaddr.fromBytes(bytes));
        assertThrows(MultiaddrException.class, ma::toSocketAddress);
    }

    @Test
    void exposesComponents() {
        Multiaddr ma = Multiaddr.fromString("/ip4/127.0.0.1/tcp/4001/p2p/" + ED);
        List<Component> parts = ma.components();
        assertEquals(3, parts.size());
        assertEquals(Protocol.IP4, parts.get(0).protocol());
        assertArrayEquals(new byte[] {127, 0, 0, 1}, parts.get(0).value());
        assertEquals("127.0.0.1", parts.get(0).valueText());
        assertEquals("4001", parts.get(1).valueText());
        assertEquals(ED, parts.get(2).valueText());
        assertEquals("/tcp/4001", parts.get(1).toString());
        assertEquals(new Component(Protocol.TCP, new byte[] {0x0f, (byte) 0xa1}), parts.get(1));
        assertThrows(UnsupportedOperationException.class, () -> parts.remove(0));
        assertEquals(ma, Multiaddr.of(parts));
        assertThrows(MultiaddrException.class, () -> Multiaddr.of(List.of()));
    }

    @Test
    void componentsAreImmutableAndValidated() {
        byte[] value = {1, 2, 3, 4};
        Component c = new Component(Protocol.IP4, value);
        value[0] = 9;
        assertEquals("1.2.3.4", c.valueText());
        c.value()[1] = 9;
        assertEquals("1.2.3.4", c.valueText());
        assertThrows(MultiaddrException.class, () -> new Component(Protocol.IP4, new byte[3]));
        assertThrows(MultiaddrException.class, () -> new Component(Protocol.TCP, new byte[3]));
        assertThrows(MultiaddrException.class, () -> new Component(Protocol.DNS, new byte[0]));
        assertThrows(MultiaddrException.class, () -> new Component(Protocol.P2P, new byte[] {0x12, 0x01, 0}));
        assertThrows(NullPointerException.class, () -> new Component(null, new byte[4]));
        Multiaddr ma = Multiaddr.fromString("/ip4/1.2.3.4");
        ma.toBytes()[1] = 9;
        assertEquals("/ip4/1.2.3.4", ma.toString());
    }

    @Test
    void addsAndRemovesPeerIds() {
        PeerId peer = PeerId.fromString(ED);
        Multiaddr base = Multiaddr.fromString("/ip4/10.0.0.1/tcp/4001");
        assertNull(base.peerId());
        Multiaddr full = base.withPeerId(peer);
        assertEquals("/ip4/10.0.0.1/tcp/4001/p2p/" + ED, full.toString());
        assertEquals(peer, full.peerId());
        assertSame(full, full.withPeerId(peer));
        assertEquals(base, full.withoutPeerId());
        assertSame(base, base.withoutPeerId());
        PeerId other = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        assertThrows(MultiaddrException.class, () -> full.withPeerId(other));
        assertThrows(MultiaddrException.class, () -> Multiaddr.fromString("/p2p/" + ED).withoutPeerId());
    }

    @Test
    void encapsulatesInOrder() {
        Multiaddr a = Multiaddr.fromString("/ip4/1.2.3.4");
        Multiaddr b = Multiaddr.fromString("/tcp/80");
        assertEquals("/ip4/1.2.3.4/tcp/80", a.encapsulate(b).toString());
        assertEquals("/tcp/80/ip4/1.2.3.4", b.encapsulate(a).toString());
        assertEquals("/ip4/1.2.3.4", a.toString());
    }

    @Test
    void convertsToSocketAddressWithoutLookups() throws Exception {
        InetSocketAddress v4 = Multiaddr.fromString("/ip4/127.0.0.1/tcp/4001/p2p/" + ED).toSocketAddress();
        assertFalse(v4.isUnresolved());
        assertEquals(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), v4.getAddress());
        assertEquals("127.0.0.1", v4.getHostString());
        assertEquals(4001, v4.getPort());

        InetSocketAddress v6 = Multiaddr.fromString("/ip6/2001:db8::1/tcp/443").toSocketAddress();
        assertFalse(v6.isUnresolved());
        assertEquals(InetAddress.getByAddress(HEX.parseHex("20010db8000000000000000000000001")), v6.getAddress());
        assertEquals(443, v6.getPort());

        InetSocketAddress dns = Multiaddr.fromString("/dns4/bootstrap.example/tcp/4001").toSocketAddress();
        assertTrue(dns.isUnresolved());
        assertEquals("bootstrap.example", dns.getHostString());
        assertEquals(4001, dns.getPort());

        // the first host followed by tcp wins
        assertEquals(4321, Multiaddr.fromString("/ip4/127.0.0.1/udp/1234/ip4/127.0.0.1/tcp/4321").toSocketAddress()
                .getPort());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/ip4/127.0.0.1", "/ip4/127.0.0.1/udp/1", "/tcp/1/ip4/1.2.3.4", "/p2p/" + ED})
    void refusesSocketAddressWithoutHostAndTcp(String text) {
        Multiaddr ma = Multiaddr.fromString(text);
        assertThrows(MultiaddrException.class, ma::toSocketAddress);
    }

    @Test
    void buildsFromSocketAddresses() throws Exception {
        assertEquals("/ip4/192.0.2.42/tcp/443", Multiaddr.fromSocketAddress(
                new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 42}), 443)).toString());
        Multiaddr v6 = Multiaddr.fromSocketAddress(
                new InetSocketAddress(InetAddress.getByAddress(HEX.parseHex("00000000000000000000000000000001")), 0));
        assertEquals("/ip6/::1/tcp/0", v6.toString());
        assertTrue(v6.isIp6());
        assertEquals("/dns/example.com/tcp/80",
                Multiaddr.fromSocketAddress(InetSocketAddress.createUnresolved("example.com", 80)).toString());
        InetSocketAddress sa = new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 1, 2, 3}), 65535);
        assertEquals(sa, Multiaddr.fromSocketAddress(sa).toSocketAddress());
    }

    @Test
    void reportsIpv6Hosts() {
        assertTrue(Multiaddr.fromString("/ip6/::1/tcp/1").isIp6());
        assertFalse(Multiaddr.fromString("/ip4/1.2.3.4/tcp/1").isIp6());
        assertFalse(Multiaddr.fromString("/dns6/a.io/tcp/1").isIp6());
        assertFalse(Multiaddr.fromString("/p2p/" + ED).isIp6());
        assertTrue(Multiaddr.fromString("/p2p/" + ED + "/ip6/::1").isIp6());
    }

    @Test
    void equalityFollowsTheBinaryForm() {
        assertEquals(Multiaddr.fromString("/ipfs/" + QM), Multiaddr.fromString("/p2p/" + QM));
        assertEquals(Multiaddr.fromString("/ip6/0::1"), Multiaddr.fromString("/ip6/::1"));
        assertNotEquals(Multiaddr.fromString("/dns/a.io"), Multiaddr.fromString("/dns4/a.io"));
        assertNotEquals(Multiaddr.fromString("/ip4/1.2.3.4"), null);
    }

    @Property
    void roundTripsIpv4AndPorts(@ForAll @Size(4) byte[] ip, @ForAll @IntRange(max = 65535) int port) {
        String text = "/ip4/" + IpText.formatIp4(ip, 0) + "/tcp/" + port;
        Multiaddr ma = Multiaddr.fromString(text);
        assertEquals(text, ma.toString());
        assertEquals(ma, Multiaddr.fromBytes(ma.toBytes()));
    }

    @Property
    void roundTripsIpv6(@ForAll @Size(16) byte[] ip) throws Exception {
        Multiaddr ma = Multiaddr.of(List.of(new Component(Protocol.IP6, ip)));
        Multiaddr reparsed = Multiaddr.fromString(ma.toString());
        assertEquals(ma, reparsed);
        // the JDK's own parser reads our text as the same address (a literal, so no lookup)
        assertEquals(InetAddress.getByAddress(ip), InetAddress.getByName(ma.components().get(0).valueText()));
    }

    @Property
    void randomBytesOnlyEverFailWithMultiaddrException(@ForAll @Size(max = 64) byte[] bytes) {
        try {
            Multiaddr ma = Multiaddr.fromBytes(bytes);
            assertArrayEquals(bytes, ma.toBytes());
            assertEquals(ma, Multiaddr.fromString(ma.toString()));
        } catch (MultiaddrException expected) {
            // the only allowed failure
        }
    }

    @Property
    void randomTextOnlyEverFailsWithMultiaddrException(@ForAll String text) {
        try {
            Multiaddr.fromString("/ip6/" + text);
        } catch (MultiaddrException expected) {
            // the only allowed failure
        }
        try {
            Multiaddr.fromString(text);
        } catch (MultiaddrException expected) {
            // the only allowed failure
        }
    }
}
