package io.crossdial.lab;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A three-namespace network in which a TCP simultaneous open happens every time, not by luck.
 *
 * <pre>
 *   namespace A                 namespace R (router, ip_forward=1)                 namespace B
 *   198.18.1.2/24 [pa]====veth====[ra] 198.18.1.1/24   198.18.2.1/24 [rb]====veth====[pb] 198.18.2.2/24
 *   default via 198.18.1.1                                                     default via 198.18.2.1
 * </pre>
 *
 * <p>The router ends {@code ra} and {@code rb} start DOWN. Each peer has a permanent ARP entry for its router
 * (without it, connect() fails with EHOSTUNREACH after about 3 s while the router end is down) and the router
 * has permanent entries for both peers. A simultaneous open then goes: both peers dial each other from their
 * listen ports (SO_REUSEADDR + SO_REUSEPORT); their first SYNs die on the down links; once both sockets are in
 * SYN_SENT the controller calls {@link #linksUp()}; the retransmitted SYNs (about 1 s later) cross, and both
 * connect() calls succeed on one connection with no accept on either side.
 *
 * <p>{@link Topology#NAT} puts each peer behind its own NAT namespace, as behind a Linux home router:
 *
 * <pre>
 *   ns A                   ns NA (NAT A)                         ns R (router)                ns NB (NAT B)       ns B
 *   198.19.1.2 [pa]==[ia] 198.19.1.1 | 198.18.1.2 [oa]==[ra] 198.18.1.1 | 198.18.2.1 [rb]==[ob] 198.18.2.2 | ...
 *                                                                                   ... 198.19.2.1 [ib]==[pb] 198.19.2.2
 * </pre>
 *
 * <p>Each NAT rewrites the source of what leaves by its outside interface to its public address
 * ({@code snat ip to 198.18.x.2}; the kernel keeps the source port whenever that 4-tuple is free) and filters
 * like a home router: its forward chain accepts conntrack-{@code established,related} packets and new
 * connections from the inside, and drops every other packet; its input chain drops what arrives from outside
 * unless it is {@code established,related} (so an unsolicited SYN to the public address gets no RST, just
 * silence). Dropped inbound packets are counted ({@link #inboundDropped}). The router ends of the public links
 * go down, as in the routed topology: the peers' first SYNs pass their own NAT (creating its mapping, a
 * conntrack entry in SYN_SENT) and die on the down link; the retransmitted SYNs cross between the NATs, and
 * each arrives at the other NAT as the reply of the entry the other peer's SYN made, so it is let in.
 * Peers bind their private address ({@link PeerNamespace#address()}) and dial each other's public one
 * ({@link PeerNamespace#publicAddress()}). {@link #conntrack} lists a NAT's entries and {@link #probeConnect}
 * tries a plain TCP connect from a namespace (needs {@code nft}, {@code conntrack}, {@code bash} and
 * {@code timeout}; {@link #unavailableReason(Topology)}).
 *
 * <p>Only the benchmarking range 198.18.0.0/15 is used, and only inside the lab's namespaces, so labs built
 * in parallel do not clash: namespaces are named {@code crossdial-<tag>-<pid>-<n>-a|b|r|na|nb}, interfaces
 * {@code cx<pid base 36>x<n base 36>pa|ra|pb|rb|ia|oa|ib|ob} (at most 15 characters, never a keyword of
 * {@code ip}).
 *
 * <p>Needs root and the {@code ip} command (iproute2); {@link #unavailableReason()} says why a lab cannot be
 * built here. Every {@code ip} call has a timeout of {@link #IP_TIMEOUT}; a failure throws
 * {@link LabException} carrying the command and its stderr. {@link #close()} removes everything; it also runs
 * from a JVM shutdown hook, so Ctrl-C cleans up; {@link #cleanupStale(String)} removes what killed runs left.
 *
 * <p>Thread-safety: all methods may be called from any thread; {@link #linksUp()} and {@link #linksDown()}
 * should not race each other.
 */
public final class NetnsLab implements AutoCloseable {
    /** The start of every namespace name the lab creates. */
    public static final String NAME_PREFIX = "crossdial-";
    /** The longest any single {@code ip} call may take. */
    public static final Duration IP_TIMEOUT = Duration.ofSeconds(10);

    /** The longest a plain TCP connect of {@link #probeConnect} may wait for an answer. */
    public static final Duration MAX_PROBE_TIMEOUT = Duration.ofSeconds(30);

    private static final Pattern NAMESPACE_NAME =
            Pattern.compile("crossdial-[a-z0-9]+-([0-9]+)-([0-9]+)-(a|b|r|na|nb)");
    private static final String NFT_TABLE = "crossdial";
    private static final String INBOUND_DROPPED = "inbound_dropped";
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final String MAC_RA = "02:cd:00:00:01:01";
    private static final String MAC_PA = "02:cd:00:00:01:02";
    private static final String MAC_RB = "02:cd:00:00:02:01";
    private static final String MAC_PB = "02:cd:00:00:02:02";
    private static final String MAC_IA = "02:cd:00:01:01:01";
    private static final String MAC_PA_INSIDE = "02:cd:00:01:01:02";
    private static final String MAC_IB = "02:cd:00:01:02:01";
    private static final String MAC_PB_INSIDE = "02:cd:00:01:02:02";

    /** How the two peers are connected. */
    public enum Topology {
        /** A - router - B, every address public: the peers dial each other's own address. */
        ROUTED,
        /** A - NAT A - router - NAT B - B: each peer behind its own port-preserving, filtering NAT. */
        NAT
    }

    /**
     * The NAT namespace in front of one peer (only in {@link Topology#NAT}).
     *
     * @param namespace the NAT's network namespace
     * @param insideAddress its address on the peer's link (the peer's default gateway, 198.19.x.1)
     * @param publicAddress its address on the router's link (198.18.x.2), the source of everything it forwards
     *     outward and the address other peers dial
     * @param insideInterfaceName its end of the peer's link
     * @param outsideInterfaceName its end of the router's link
     */
    public record Nat(String namespace, Inet4Address insideAddress, Inet4Address publicAddress,
            String insideInterfaceName, String outsideInterfaceName) {
    }

    /**
     * One peer's side of the lab.
     *
     * @param label {@code "A"} or {@code "B"}
     * @param namespace the network namespace the peer's processes run in
     * @param address the peer's IPv4 address (198.18.1.2 or 198.18.2.2)
     * @param gateway the router's address on the peer's link (its default route)
     * @param interfaceName the peer's end of its veth pair, inside {@code namespace}
     * @param routerInterfaceName the router's end of the link towards this side (the peer's, or in
     *     {@link Topology#NAT} its NAT's), the one {@link #linksDown()} takes down
     * @param publicAddress where other peers dial this peer: {@code address} when routed, the NAT's public
     *     address behind a NAT
     * @param nat the NAT in front of the peer, null when routed
     */
    public record PeerNamespace(String label, String namespace, Inet4Address address, Inet4Address gateway,
            String interfaceName, String routerInterfaceName, Inet4Address publicAddress, Nat nat) {
        /** @return the peer's own address as text, e.g. {@code 198.18.1.2} (routed) or {@code 198.19.1.2} */
        public String host() {
            return address.getHostAddress();
        }

        /** @return the address other peers dial, as text: {@link #host()} when routed, the NAT's when not */
        public String publicHost() {
            return publicAddress.getHostAddress();
        }
    }

    private final Topology topology;
    private final PeerNamespace peerA;
    private final PeerNamespace peerB;
    private final String routerNamespace;
    private final List<String> created = new ArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread shutdownHook;

    private NetnsLab(String tag, Topology topology) {
        this.topology = topology;
        long pid = ProcessHandle.current().pid();
        int n = COUNTER.incrementAndGet();
        String base = NAME_PREFIX + tag + "-" + pid + "-" + n + "-";
        String ifBase = "cx" + Long.toString(pid, 36) + "x" + Integer.toString(n, 36);
        if (ifBase.length() + 2 > 15) {
            ifBase = ifBase.substring(ifBase.length() - 13);
        }
        routerNamespace = base + "r";
        if (topology == Topology.ROUTED) {
            peerA = new PeerNamespace("A", base + "a", ipv4("198.18.1.2"), ipv4("198.18.1.1"), ifBase + "pa",
                    ifBase + "ra", ipv4("198.18.1.2"), null);
            peerB = new PeerNamespace("B", base + "b", ipv4("198.18.2.2"), ipv4("198.18.2.1"), ifBase + "pb",
                    ifBase + "rb", ipv4("198.18.2.2"), null);
        } else {
            Nat natA = new Nat(base + "na", ipv4("198.19.1.1"), ipv4("198.18.1.2"), ifBase + "ia", ifBase + "oa");
            Nat natB = new Nat(base + "nb", ipv4("198.19.2.1"), ipv4("198.18.2.2"), ifBase + "ib", ifBase + "ob");
            peerA = new PeerNamespace("A", base + "a", ipv4("198.19.1.2"), natA.insideAddress(), ifBase + "pa",
                    ifBase + "ra", natA.publicAddress(), natA);
            peerB = new PeerNamespace("B", base + "b", ipv4("198.19.2.2"), natB.insideAddress(), ifBase + "pb",
                    ifBase + "rb", natB.publicAddress(), natB);
        }
        shutdownHook = new Thread(this::closeQuietly, "crossdial-lab-cleanup-" + n);
    }

    /**
     * Builds a lab: three namespaces, two veth pairs, addresses, routes, ARP entries, forwarding on the
     * router, router ends DOWN.
     *
     * @param tag a word naming the user of the lab, put in the namespace names (lower-cased, reduced to
     *     letters and digits, at most 16 characters; {@code "lab"} if nothing remains)
     * @return the lab, to be closed by the caller (it is also closed at JVM exit)
     * @throws LabException if an {@code ip} command fails (whatever was built is removed again)
     */
    public static NetnsLab create(String tag) {
        return create(tag, Topology.ROUTED);
    }

    /**
     * Builds a lab of the given topology; {@link Topology#ROUTED} is {@link #create(String)}. A NAT lab adds
     * the two NAT namespaces, their links and nftables rulesets (see the class comment).
     *
     * @param tag as for {@link #create(String)}
     * @param topology routed or behind two NATs
     * @return the lab, to be closed by the caller (it is also closed at JVM exit)
     * @throws LabException if an {@code ip} or {@code nft} command fails (whatever was built is removed)
     */
    public static NetnsLab create(String tag, Topology topology) {
        Objects.requireNonNull(topology, "topology");
        String clean = Objects.requireNonNull(tag, "tag").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        if (clean.length() > 16) {
            clean = clean.substring(0, 16);
        }
        NetnsLab lab = new NetnsLab(clean.isEmpty() ? "lab" : clean, topology);
        Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
        try {
            lab.build();
        } catch (RuntimeException e) {
            lab.closeQuietly();
            throw e;
        }
        return lab;
    }

    private void build() {
        String r = routerNamespace;
        for (String ns : namespaces()) {
            ip("netns", "add", ns);
            synchronized (created) {
                created.add(ns);
            }
        }
        if (topology == Topology.ROUTED) {
            link(peerA.namespace, peerA.interfaceName, MAC_PA, peerA.address, r, peerA.routerInterfaceName, MAC_RA,
                    peerA.gateway);
            link(peerB.namespace, peerB.interfaceName, MAC_PB, peerB.address, r, peerB.routerInterfaceName, MAC_RB,
                    peerB.gateway);
        } else {
            buildNatSide(peerA, MAC_PA_INSIDE, MAC_IA, MAC_PA, MAC_RA);
            buildNatSide(peerB, MAC_PB_INSIDE, MAC_IB, MAC_PB, MAC_RB);
        }
        // loopback only where peers run: the router and NAT namespaces keep it down (a wildcard listener in the
        // router namespace lists only the router's own addresses)
        for (PeerNamespace p : List.of(peerA, peerB)) {
            ip("-n", p.namespace, "link", "set", "dev", "lo", "up");
        }
        enableForwarding(r);
    }

    private void buildNatSide(PeerNamespace p, String peerMac, String insideMac, String outsideMac, String routerMac) {
        Nat nat = p.nat;
        // the peer's link: the peer's default route is the NAT's inside address
        link(p.namespace, p.interfaceName, peerMac, p.address, nat.namespace, nat.insideInterfaceName, insideMac,
                nat.insideAddress);
        // the NAT's public link: the NAT's default route is the router; the router end starts DOWN
        link(nat.namespace, nat.outsideInterfaceName, outsideMac, nat.publicAddress, routerNamespace,
                p.routerInterfaceName, routerMac, ipv4(publicGateway(p)));
        enableForwarding(nat.namespace);
        loadNatRules(p);
    }

    private static String publicGateway(PeerNamespace p) {
        String pub = p.publicHost();
        return pub.substring(0, pub.lastIndexOf('.')) + ".1";
    }

    /**
     * One veth pair between {@code ns} (the "client" end, which gets a default route via {@code gw}) and
     * {@code gwNs} (the gateway end, left down: {@link #linksDown()} owns the router ends, a NAT's inside end
     * is brought up here), both /24, with permanent ARP entries in both directions.
     */
    private void link(String ns, String ifName, String mac, Inet4Address addr, String gwNs, String gwIfName,
            String gwMac, Inet4Address gw) {
        ip("link", "add", "name", ifName, "netns", ns, "address", mac, "type", "veth", "peer", "name", gwIfName,
                "netns", gwNs, "address", gwMac);
        ip("-n", ns, "addr", "add", addr.getHostAddress() + "/24", "dev", ifName);
        ip("-n", ns, "link", "set", "dev", ifName, "up");
        ip("-n", ns, "route", "add", "default", "via", gw.getHostAddress(), "dev", ifName);
        ip("-n", ns, "neigh", "replace", gw.getHostAddress(), "lladdr", gwMac, "dev", ifName, "nud", "permanent");
        ip("-n", gwNs, "addr", "add", gw.getHostAddress() + "/24", "dev", gwIfName);
        ip("-n", gwNs, "neigh", "replace", addr.getHostAddress(), "lladdr", mac, "dev", gwIfName, "nud", "permanent");
        if (!gwNs.equals(routerNamespace)) {
            ip("-n", gwNs, "link", "set", "dev", gwIfName, "up");
        }
    }

    private static void enableForwarding(String ns) {
        Exec.check(List.of(ipCommand(), "netns", "exec", ns, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"),
                IP_TIMEOUT);
    }

    /**
     * The NAT's nftables ruleset (table {@code ip crossdial}): source NAT to the public address on the way
     * out, and the filter of a home router on the way in. Dropped unsolicited packets are counted in the named
     * counter {@code inbound_dropped}; invalid ones in {@code invalid_dropped}.
     */
    static String natRules(String inside, String outside, String publicHost) {
        return "table ip " + NFT_TABLE + " {\n"
                + "  counter " + INBOUND_DROPPED + " {\n  }\n"
                + "  counter invalid_dropped {\n  }\n"
                + "  chain postrouting {\n"
                + "    type nat hook postrouting priority srcnat; policy accept;\n"
                + "    oifname \"" + outside + "\" snat ip to " + publicHost + "\n"
                + "  }\n"
                + "  chain forward {\n"
                + "    type filter hook forward priority filter; policy drop;\n"
                + "    ct state established,related accept\n"
                + "    ct state invalid counter name \"invalid_dropped\" drop\n"
                + "    iifname \"" + inside + "\" oifname \"" + outside + "\" ct state new accept\n"
                + "    counter name \"" + INBOUND_DROPPED + "\" drop\n"
                + "  }\n"
                + "  chain input {\n"
                + "    type filter hook input priority filter; policy accept;\n"
                + "    iifname \"" + outside + "\" ct state established,related accept\n"
                + "    iifname \"" + outside + "\" counter name \"" + INBOUND_DROPPED + "\" drop\n"
                + "  }\n"
                + "}\n";
    }

    private static void loadNatRules(PeerNamespace p) {
        Nat nat = p.nat;
        nft(nat.namespace, natRules(nat.insideInterfaceName, nat.outsideInterfaceName, p.publicHost()));
    }

    /** Loads an nftables ruleset into {@code ns} (through a temporary file: {@link Exec} gives no stdin). */
    private static void nft(String ns, String ruleset) {
        Path file = null;
        try {
            file = Files.createTempFile("crossdial-nft-", ".nft");
            Files.writeString(file, ruleset, StandardCharsets.UTF_8);
            Exec.check(List.of(ipCommand(), "netns", "exec", ns, tool("nft"), "-f", file.toString()), IP_TIMEOUT);
        } catch (java.io.IOException e) {
            throw new LabException("cannot write the nftables ruleset: " + e.getMessage(), e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (java.io.IOException ignored) {
                    // a temporary file left in /tmp is harmless
                }
            }
        }
    }

    /** @return a number not yet used in a namespace name by this JVM (shared with {@link SoloNetns}) */
    static int nextNumber() {
        return COUNTER.incrementAndGet();
    }

    /** @return how the peers are connected */
    public Topology topology() {
        return topology;
    }

    /**
     * @return peer A's side: namespace, 198.18.1.2, gateway 198.18.1.1 (routed); 198.19.1.2 behind NAT A
     *     (gateway 198.19.1.1, public address 198.18.1.2)
     */
    public PeerNamespace peerA() {
        return peerA;
    }

    /**
     * @return peer B's side: namespace, 198.18.2.2, gateway 198.18.2.1 (routed); 198.19.2.2 behind NAT B
     *     (gateway 198.19.2.1, public address 198.18.2.2)
     */
    public PeerNamespace peerB() {
        return peerB;
    }

    /** @return the router namespace's name */
    public String routerNamespace() {
        return routerNamespace;
    }

    /** @return the names of the namespaces: A, router, B (routed); A, NAT A, router, NAT B, B (NAT) */
    public List<String> namespaces() {
        if (topology == Topology.ROUTED) {
            return List.of(peerA.namespace, routerNamespace, peerB.namespace);
        }
        return List.of(peerA.namespace, peerA.nat.namespace, routerNamespace, peerB.nat.namespace,
                peerB.namespace);
    }

    /**
     * One TCP entry of a NAT's connection tracking table, as {@code conntrack -L -p tcp} prints it.
     *
     * @param state the TCP state as conntrack tracks it, e.g. {@code SYN_SENT}, {@code ESTABLISHED}
     * @param origSrc the original direction's source address (the inside peer, for an outbound connection)
     * @param origSport its source port
     * @param origDst the original direction's destination address
     * @param origDport its destination port
     * @param replySrc the reply direction's source address
     * @param replySport its source port
     * @param replyDst the reply direction's destination address: the address the NAT put as source outward
     * @param replyDport the reply direction's destination port: the mapped (public) source port
     * @param assured whether conntrack saw traffic both ways ({@code [ASSURED]})
     * @param unreplied whether no reply was seen yet ({@code [UNREPLIED]})
     * @param line the line as printed
     */
    public record ConntrackEntry(String state, String origSrc, int origSport, String origDst, int origDport,
            String replySrc, int replySport, String replyDst, int replyDport, boolean assured, boolean unreplied,
            String line) {
        private static final Pattern TUPLE = Pattern.compile(
                "src=(\\S+) dst=(\\S+) sport=(\\d+) dport=(\\d+)");

        /**
         * Parses one line of {@code conntrack -L -p tcp}.
         *
         * @param line e.g. {@code tcp 6 431999 ESTABLISHED src=198.19.1.2 dst=198.18.2.2 sport=20001
         *     dport=20001 src=198.18.2.2 dst=198.18.1.2 sport=20001 dport=20001 [ASSURED] mark=0 use=1}
         * @return the entry, or null if the line is not a TCP entry with both tuples
         */
        public static ConntrackEntry parse(String line) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4 || !f[0].equals("tcp")) {
                return null;
            }
            Matcher m = TUPLE.matcher(line);
            if (!m.find()) {
                return null;
            }
            String os = m.group(1);
            String od = m.group(2);
            int osp = Integer.parseInt(m.group(3));
            int odp = Integer.parseInt(m.group(4));
            if (!m.find()) {
                return null;
            }
            return new ConntrackEntry(f[3], os, osp, od, odp, m.group(1), Integer.parseInt(m.group(3)), m.group(2),
                    Integer.parseInt(m.group(4)), line.contains("[ASSURED]"), line.contains("[UNREPLIED]"),
                    line.strip());
        }

        /** @return whether the NAT kept the source port ({@code replyDport == origSport}) */
        public boolean portPreserved() {
            return replyDport == origSport;
        }

        /** @return whether either port of the original direction is {@code port} */
        public boolean involves(int port) {
            return origSport == port || origDport == port;
        }

        /**
         * @return a short form, e.g. {@code ESTABLISHED 198.19.1.2:20001 -> 198.18.2.2:20001 as
         *     198.18.1.2:20001 [ASSURED]}
         */
        public String summary() {
            return state + " " + origSrc + ":" + origSport + " -> " + origDst + ":" + origDport + " as " + replyDst
                    + ":" + replyDport + (assured ? " [ASSURED]" : "") + (unreplied ? " [UNREPLIED]" : "");
        }
    }

    /**
     * Lists the TCP entries of the connection tracking table of the NAT in front of {@code side}
     * ({@code conntrack -L -p tcp} in the NAT's namespace).
     *
     * @param side {@link #peerA()} or {@link #peerB()} of a {@link Topology#NAT} lab
     * @return the entries, in the order conntrack printed them
     * @throws IllegalStateException if this lab has no NATs
     * @throws LabException if {@code conntrack} fails or the lab is closed
     */
    public List<ConntrackEntry> conntrack(PeerNamespace side) {
        Nat nat = natOf(side);
        requireOpen();
        String out = Exec.check(List.of(ipCommand(), "netns", "exec", nat.namespace, tool("conntrack"), "-L", "-p",
                "tcp"), IP_TIMEOUT);
        List<ConntrackEntry> entries = new ArrayList<>();
        for (String line : out.split("\n")) {
            ConntrackEntry e = ConntrackEntry.parse(line);
            if (e != null) {
                entries.add(e);
            }
        }
        return entries;
    }

    /**
     * How many unsolicited packets from outside the NAT in front of {@code side} has dropped so far (its
     * nftables counter {@code inbound_dropped}: new connections from outside, to the NAT itself or through it).
     *
     * @param side {@link #peerA()} or {@link #peerB()} of a {@link Topology#NAT} lab
     * @return the packet count
     * @throws IllegalStateException if this lab has no NATs
     * @throws LabException if {@code nft} fails or prints no count
     */
    public long inboundDropped(PeerNamespace side) {
        Nat nat = natOf(side);
        requireOpen();
        String out = Exec.check(List.of(ipCommand(), "netns", "exec", nat.namespace, tool("nft"), "list", "counter",
                "ip", NFT_TABLE, INBOUND_DROPPED), IP_TIMEOUT);
        Matcher m = Pattern.compile("packets (\\d+)").matcher(out);
        if (!m.find()) {
            throw new LabException("no packet count in `nft list counter`: " + out.strip());
        }
        return Long.parseLong(m.group(1));
    }

    private Nat natOf(PeerNamespace side) {
        if (topology != Topology.NAT) {
            throw new IllegalStateException("this lab has no NATs (topology " + topology + ")");
        }
        if (side != peerA && side != peerB) {
            throw new IllegalArgumentException("not a side of this lab: " + side);
        }
        return side.nat;
    }

    /** What a plain TCP connect got. */
    public enum ProbeOutcome {
        /** A SYN-ACK came back: connected. */
        ANSWERED,
        /** A RST came back: refused. */
        REFUSED,
        /** Nothing came back within the timeout (the SYN and its retransmits were dropped). */
        NO_ANSWER,
        /** Something else went wrong (stderr in the message), e.g. no route. */
        ERROR
    }

    /**
     * The outcome of {@link #probeConnect}.
     *
     * @param outcome what came back
     * @param millis how long the connect took, ms
     * @param message the shell's stderr, empty if none
     */
    public record Probe(ProbeOutcome outcome, long millis, String message) {
    }

    /**
     * Tries one plain TCP connect from {@code namespace}, from an ephemeral source port, to {@code host:port}
     * ({@code timeout S bash -c 'exec 3<>/dev/tcp/HOST/PORT'}), closing it at once if it connects. The
     * kernel retransmits the SYN about every second meanwhile.
     *
     * @param namespace one of {@link #namespaces()}
     * @param host the destination
     * @param port the destination port
     * @param timeout how long to wait for an answer, at most {@link #MAX_PROBE_TIMEOUT}
     * @return what came back
     * @throws IllegalArgumentException for a namespace not of this lab, a bad port or timeout
     * @throws LabException if the commands cannot run or the lab is closed
     */
    public Probe probeConnect(String namespace, Inet4Address host, int port, Duration timeout) {
        if (!namespaces().contains(namespace)) {
            throw new IllegalArgumentException("not a namespace of this lab: " + namespace);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_PROBE_TIMEOUT) > 0) {
            throw new IllegalArgumentException("timeout must be in (0, " + MAX_PROBE_TIMEOUT + "]: " + timeout);
        }
        requireOpen();
        String seconds = String.format(Locale.ROOT, "%.3f", timeout.toMillis() / 1000.0);
        long start = System.nanoTime();
        Exec.Result r = Exec.run(List.of(ipCommand(), "netns", "exec", namespace, tool("timeout"), seconds,
                tool("bash"), "-c", "exec 3<>/dev/tcp/" + host.getHostAddress() + "/" + port),
                timeout.plus(IP_TIMEOUT));
        long millis = (System.nanoTime() - start) / 1_000_000L;
        String err = r.stderr().strip();
        ProbeOutcome outcome = r.exitCode() == 0 ? ProbeOutcome.ANSWERED
                : r.exitCode() == 124 ? ProbeOutcome.NO_ANSWER
                : err.contains("refused") ? ProbeOutcome.REFUSED : ProbeOutcome.ERROR;
        return new Probe(outcome, millis, err);
    }

    /**
     * Takes both router ends down: from now on every packet between the peers is dropped, while each peer's
     * own interface stays up (so connect() keeps retransmitting its SYN instead of failing).
     *
     * @throws LabException if an {@code ip} command fails or the lab is closed
     */
    public void linksDown() {
        setRouterLinks("down");
    }

    /**
     * Brings both router ends up: the next retransmitted SYNs reach the other peer.
     *
     * @throws LabException if an {@code ip} command fails or the lab is closed
     */
    public void linksUp() {
        setRouterLinks("up");
    }

    /**
     * Waits until both router ends are operationally up ({@code state UP} in {@code ip link}, the kernel's
     * {@code IFF_RUNNING}). {@link #linksUp()} returns once they are administratively up; the carrier follows
     * asynchronously (the kernel's link watch may delay it up to about a second), and until then the JDK's
     * {@code NetworkInterface.isUp()} reports {@code false}. Call this before starting a process in the router
     * namespace that enumerates its interfaces.
     *
     * @param max the longest wait
     * @throws LabException if an {@code ip} command fails, the lab is closed, or the links are not running
     *     within {@code max}
     */
    public void awaitRouterLinksRunning(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            requireOpen();
            boolean running = true;
            String last = "";
            for (String link : List.of(peerA.routerInterfaceName, peerB.routerInterfaceName)) {
                last = ip("-n", routerNamespace, "-o", "link", "show", "dev", link);
                running &= last.contains(" state UP ");
            }
            if (running) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new LabException("router links not running within " + max.toMillis() + " ms: " + last.strip());
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted while waiting for the router links", e);
            }
        }
    }

    private void setRouterLinks(String state) {
        requireOpen();
        ip("-n", routerNamespace, "link", "set", "dev", peerA.routerInterfaceName, state);
        ip("-n", routerNamespace, "link", "set", "dev", peerB.routerInterfaceName, state);
    }

    /**
     * A process builder that runs {@code argv} inside one of this lab's namespaces
     * ({@code ip netns exec NAMESPACE argv...}; {@code ip} execs the command, so the started process is the
     * command itself).
     *
     * @param namespace one of {@link #namespaces()}
     * @param argv the command and its arguments; use absolute paths where PATH may differ
     * @return a builder for the caller to start, e.g. with {@link LabPeer#start}
     * @throws IllegalArgumentException if {@code namespace} is not this lab's or {@code argv} is empty
     */
    public ProcessBuilder command(String namespace, List<String> argv) {
        if (!namespaces().contains(namespace)) {
            throw new IllegalArgumentException("not a namespace of this lab: " + namespace);
        }
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        List<String> full = new ArrayList<>(List.of(ipCommand(), "netns", "exec", namespace));
        full.addAll(argv);
        return new ProcessBuilder(full);
    }

    /**
     * Removes the lab: kills every process still inside its namespaces, deletes both veth pairs and the three
     * namespaces. Idempotent; later calls return at once.
     *
     * @throws LabException if something could not be removed (everything else is still removed first)
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // called from the hook itself or during shutdown: nothing to unregister
        }
        List<String> namespaces;
        synchronized (created) {
            namespaces = List.copyOf(created);
        }
        List<String> failures = new ArrayList<>();
        if (namespaces.contains(routerNamespace)) {
            for (String link : List.of(peerA.routerInterfaceName, peerB.routerInterfaceName)) {
                // fails harmlessly when create() stopped before making this veth
                Exec.run(List.of(ipCommand(), "-n", routerNamespace, "link", "delete", "dev", link), IP_TIMEOUT);
            }
        }
        for (String ns : namespaces) {
            try {
                removeNamespace(ns);
            } catch (LabException e) {
                failures.add(e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new LabException("lab cleanup incomplete: " + String.join("; ", failures));
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("crossdial lab: " + e.getMessage());
        }
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new LabException("the lab " + routerNamespace + " is closed");
        }
    }

    /**
     * Says why no lab can be built here, checking in turn: Linux, root, the {@code ip} command, and that a
     * namespace with a veth pair can be created (and is removed again). The answer is computed once per JVM.
     *
     * @return empty if labs can be built, else a sentence naming what is missing
     */
    public static Optional<String> unavailableReason() {
        return Availability.REASON;
    }

    /**
     * Says why no lab of {@code topology} can be built here: {@link #unavailableReason()}, and for
     * {@link Topology#NAT} also the {@code nft}, {@code conntrack}, {@code bash} and {@code timeout} commands
     * and that a namespace can load the NAT's nftables ruleset. Computed once per JVM.
     *
     * @param topology the topology wanted
     * @return empty if such labs can be built, else a sentence naming what is missing
     */
    public static Optional<String> unavailableReason(Topology topology) {
        Optional<String> basic = unavailableReason();
        if (basic.isPresent() || topology == Topology.ROUTED) {
            return basic;
        }
        return NatAvailability.REASON;
    }

    private static final class Availability {
        static final Optional<String> REASON = probe();
    }

    private static final class NatAvailability {
        static final Optional<String> REASON = probeNat();
    }

    private static Optional<String> probeNat() {
        for (String[] t : new String[][] {{"nft", "nftables"}, {"conntrack", "conntrack"}, {"bash", "bash"},
                {"timeout", "coreutils"}}) {
            if (findTool(t[0]) == null) {
                return Optional.of("the NAT lab needs the `" + t[0] + "` command (Debian package " + t[1]
                        + "), not found in PATH, /usr/sbin or /sbin");
            }
        }
        String probe = NAME_PREFIX + "probe-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet()
                + "-na";
        try {
            ip("netns", "add", probe);
            try {
                ip("-n", probe, "link", "add", "name", "cxprobe0", "type", "veth", "peer", "name", "cxprobe1");
                nft(probe, natRules("cxprobe0", "cxprobe1", "198.18.1.2"));
                Exec.check(List.of(ipCommand(), "netns", "exec", probe, tool("conntrack"), "-L", "-p", "tcp"),
                        IP_TIMEOUT);
            } finally {
                ip("netns", "delete", probe);
            }
        } catch (LabException e) {
            return Optional.of("cannot set up a NAT (nftables snat, conntrack) in a network namespace: "
                    + e.getMessage());
        }
        return Optional.empty();
    }

    private static Optional<String> probe() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Optional.of("the network-namespace lab needs Linux (this is " + System.getProperty("os.name")
                    + ")");
        }
        long uid = effectiveUid();
        if (uid != 0) {
            return Optional.of("the network-namespace lab needs root (running as uid " + uid + ")");
        }
        if (IpPath.PATH == null) {
            return Optional.of("the network-namespace lab needs the `ip` command (iproute2), not found in PATH,"
                    + " /usr/sbin or /sbin");
        }
        String probe = NAME_PREFIX + "probe-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet()
                + "-r";
        try {
            ip("netns", "add", probe);
            try {
                ip("-n", probe, "link", "add", "name", "cxprobe0", "type", "veth", "peer", "name", "cxprobe1");
            } finally {
                ip("netns", "delete", probe);
            }
        } catch (LabException e) {
            return Optional.of("cannot create a network namespace with a veth pair: " + e.getMessage());
        }
        return Optional.empty();
    }

    private static long effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (Exception e) {
            // fall through: unknown
        }
        return -1;
    }

    /**
     * Removes namespaces left behind by lab runs that were killed before they could clean up: every namespace
     * whose name starts with {@code prefix}, has the lab's naming pattern, and whose creating process
     * (the pid in its name) no longer runs. Processes still inside such a namespace are killed first.
     *
     * @param prefix the start of the names to consider; must start with {@link #NAME_PREFIX} so that no
     *     namespace this lab did not make is touched
     * @return the names of the namespaces removed
     * @throws IllegalArgumentException if {@code prefix} does not start with {@link #NAME_PREFIX}
     * @throws LabException if listing or removing fails
     */
    public static List<String> cleanupStale(String prefix) {
        if (!prefix.startsWith(NAME_PREFIX)) {
            throw new IllegalArgumentException("prefix must start with " + NAME_PREFIX + ": " + prefix);
        }
        List<String> removed = new ArrayList<>();
        for (String ns : listNamespaces()) {
            Matcher m = NAMESPACE_NAME.matcher(ns);
            if (!ns.startsWith(prefix) || !m.matches()) {
                continue;
            }
            long pid = Long.parseLong(m.group(1));
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                continue;
            }
            removeNamespace(ns);
            removed.add(ns);
        }
        return removed;
    }

    /**
     * @return the names of all network namespaces on this machine ({@code ip netns list})
     * @throws LabException if {@code ip} fails
     */
    public static List<String> listNamespaces() {
        List<String> names = new ArrayList<>();
        for (String line : ip("netns", "list").split("\n")) {
            String name = line.strip();
            if (!name.isEmpty()) {
                names.add(name.split("\\s+")[0]);
            }
        }
        return names;
    }

    static void removeNamespace(String ns) {
        Exec.Result pids = Exec.run(List.of(ipCommand(), "netns", "pids", ns), IP_TIMEOUT);
        if (pids.ok()) {
            for (String line : pids.stdout().split("\n")) {
                if (!line.isBlank()) {
                    killTree(Long.parseLong(line.strip()));
                }
            }
        }
        Exec.Result result = Exec.run(List.of(ipCommand(), "netns", "delete", ns), IP_TIMEOUT);
        if (!result.ok() && listNamespaces().contains(ns)) {
            throw new LabException("`ip netns delete " + ns + "` failed: " + result.stderr().strip());
        }
    }

    static void killTree(long pid) {
        ProcessHandle.of(pid).ifPresent(handle -> {
            handle.descendants().forEach(ProcessHandle::destroyForcibly);
            handle.destroyForcibly();
            try {
                handle.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort: the namespace delete reports what remains
            }
        });
    }

    static String ip(String... args) {
        List<String> argv = new ArrayList<>(args.length + 1);
        argv.add(ipCommand());
        argv.addAll(List.of(args));
        return Exec.check(argv, IP_TIMEOUT);
    }

    static String ipCommand() {
        if (IpPath.PATH == null) {
            throw new LabException("the `ip` command (iproute2) is not installed");
        }
        return IpPath.PATH;
    }

    private static final class IpPath {
        static final String PATH = findTool("ip");
    }

    /** @return the absolute path of {@code name} (PATH, then the sbin and bin directories) */
    static String tool(String name) {
        String path = findTool(name);
        if (path == null) {
            throw new LabException("the `" + name + "` command is not installed");
        }
        return path;
    }

    private static String findTool(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        for (String dir : dirs) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        return null;
    }

    private static Inet4Address ipv4(String literal) {
        try {
            return (Inet4Address) InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // a literal never needs a lookup
        }
    }
}
