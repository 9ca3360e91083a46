package io.crossdial.cli.lab;

import io.crossdial.cli.Main;
import io.crossdial.lab.JsonLines;
import io.crossdial.lab.LabException;
import io.crossdial.lab.LabPeer;
import io.crossdial.lab.NetnsLab;
import io.crossdial.lab.SimopenRound;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Runs TCP simultaneous opens between two real peer processes in a {@link NetnsLab}: peer A is always a
 * crossdial {@code lab-peer} (in namespace A, 198.18.1.2), peer B a second crossdial {@code lab-peer} or the
 * js-libp2p peer {@code interop-tests/js/peer.mjs serve} (in namespace B, 198.18.2.2).
 *
 * <p>One {@link #simultaneousOpen(int) round} against crossdial: links down; both listen on port
 * {@code P = basePort + round} (fresh each round: TIME_WAIT blocks the old 4-tuple); each dials the other's
 * multiaddr from P; once both said {@code dialing} and {@value #SETTLE_MILLIS} ms passed, links up; the
 * retransmitted SYNs cross; both report {@code dialed} within {@link #DIALED_TIMEOUT}.
 *
 * <p>Against js (Node cannot set SO_REUSEPORT, so js dials from a fixed local port Q, not its listen port L,
 * like a stock peer whose listen port sits behind a NAT): A listens on P and dials
 * {@code /ip4/<B>/tcp/Q/p2p/<js>} and knows no other address of js; js dials A at P from Q
 * ({@code serve}'s {@code localPort}, with ping and a {@value #JS_ECHO_BYTES}-byte echo on its own connection).
 * The SYNs cross on P-Q: one connection, which crossdial resolves in-band against the stock dialer (its
 * detection {@code STOCK_DIALER}); a redial from an ephemeral port could only reach Q, where nobody listens.
 * The round is usable when both A's and js's own checks passed on that one 4-tuple.
 *
 * <p>With {@link NetnsLab.Topology#NAT} each peer sits behind its own NAT; the peers listen on their private
 * addresses and dial each other's public (NAT) address, same port numbers (the NATs keep ports). After the
 * checks each round lists both NATs' conntrack entries for the round's ports (one each for the 4-tuple) and
 * tries a plain connect from A's namespace, from an ephemeral port, to the address A dialed: NAT B drops it
 * ({@link NatView}).
 *
 * <p>Usage: {@code try (SimopenLab lab = SimopenLab.open(config)) { lab.simultaneousOpen(1).row(); }}.
 * Not thread-safe: one caller drives the rounds. {@link #close()} kills the peers and removes the lab; it
 * also runs from a JVM shutdown hook (Ctrl-C).
 */
public final class SimopenLab implements AutoCloseable {
    /** How long after both peers said {@code dialing} the links come up, in ms (both SYNs died by then). */
    public static final long SETTLE_MILLIS = 300;
    /** How long each peer has to report its {@code dialed} event after the links came up. */
    public static final Duration DIALED_TIMEOUT = Duration.ofSeconds(15);
    /** How long a peer has to start and listen (JVM or Node start-up included). */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    /** How long a peer has to answer any other command. */
    public static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);
    /** How many bytes the js peer's own dial echoes (after its pings) on the crossed connection. */
    public static final int JS_ECHO_BYTES = 64 * 1024;
    /** How long the ephemeral-port connect behind NATs waits for an answer by default. */
    public static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofSeconds(2);

    /** What peer B is. */
    public enum Against {
        /** A second crossdial lab-peer. */
        CROSSDIAL,
        /** The js-libp2p peer ({@code peer.mjs serve}). */
        JS;

        /** @return the lower-case name, as on the command line */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * How to run the lab.
     *
     * @param against what peer B is
     * @param jsDir the directory of {@code peer.mjs} (with {@code node_modules}); used only against js
     * @param crossdialPeer the argv that starts a crossdial peer up to (and without) {@code lab-peer}'s options,
     *     e.g. {@link #jarPeerCommand()}
     * @param basePort round r listens on {@code basePort + r}; the js peer listens on {@code basePort} and dials
     *     from {@code basePort + 20000 + r}
     * @param echoBytes how many bytes each crossdial dialer echoes (the js peer echoes {@value #JS_ECHO_BYTES})
     * @param log told one line per step worth showing (may be a no-op)
     * @param topology routed, or each peer behind its own NAT
     * @param probeTimeout how long the ephemeral-port connect behind NATs waits for an answer
     * @param security the only security transport both peers offer: {@code noise} or {@code tls}
     */
    public record Config(Against against, Path jsDir, List<String> crossdialPeer, int basePort, int echoBytes,
            Consumer<String> log, NetnsLab.Topology topology, Duration probeTimeout, String security) {
        /**
         * A routed lab ({@link NetnsLab.Topology#ROUTED}).
         *
         * @param against what peer B is
         * @param jsDir the js peer's directory, used only against js
         * @param crossdialPeer the argv that starts a crossdial peer
         * @param basePort the ports' base
         * @param echoBytes how many bytes each crossdial dialer echoes
         * @param log told one line per step
         */
        public Config(Against against, Path jsDir, List<String> crossdialPeer, int basePort, int echoBytes,
                Consumer<String> log) {
            this(against, jsDir, crossdialPeer, basePort, echoBytes, log, NetnsLab.Topology.ROUTED,
                    DEFAULT_PROBE_TIMEOUT, "noise");
        }

        /** Checks the values. */
        public Config {
            Objects.requireNonNull(against, "against");
            Objects.requireNonNull(crossdialPeer, "crossdialPeer");
            Objects.requireNonNull(log, "log");
            Objects.requireNonNull(topology, "topology");
            Objects.requireNonNull(probeTimeout, "probeTimeout");
            if (!"noise".equals(security) && !"tls".equals(security)) {
                throw new IllegalArgumentException("security must be noise or tls: " + security);
            }
            if (probeTimeout.isNegative() || probeTimeout.isZero()
                    || probeTimeout.compareTo(NetnsLab.MAX_PROBE_TIMEOUT) > 0) {
                throw new IllegalArgumentException("probeTimeout must be in (0, " + NetnsLab.MAX_PROBE_TIMEOUT + "]: "
                        + probeTimeout);
            }
            if (basePort < 1024 || basePort > 40_000) {
                throw new IllegalArgumentException("basePort must be in [1024, 40000]: " + basePort);
            }
            if (echoBytes < 0) {
                throw new IllegalArgumentException("echoBytes must be >= 0: " + echoBytes);
            }
            if (against == Against.JS && jsDir == null) {
                throw new IllegalArgumentException("the js peer's directory is required against js");
            }
            crossdialPeer = List.copyOf(crossdialPeer);
        }

        /**
         * @param value the topology
         * @return this configuration with another topology
         */
        public Config withTopology(NetnsLab.Topology value) {
            return new Config(against, jsDir, crossdialPeer, basePort, echoBytes, log, value, probeTimeout, security);
        }

        /**
         * @param value {@code noise} or {@code tls}
         * @return this configuration with another security transport
         */
        public Config withSecurity(String value) {
            return new Config(against, jsDir, crossdialPeer, basePort, echoBytes, log, topology, probeTimeout, value);
        }
    }

    /**
     * What the NATs showed after a round (only with {@link NetnsLab.Topology#NAT}).
     *
     * @param natA NAT A's conntrack entries that involve the round's ports, after the checks
     * @param natB NAT B's
     * @param tupleA of {@code natA}, the entries of the round's connection (A's private address and P to B's
     *     public address and port)
     * @param tupleB of {@code natB}, the entries of the round's connection seen from B
     * @param probePort the port the ephemeral-port connect went to (the one A dialed)
     * @param probe what that connect got
     * @param droppedByNatB how many packets NAT B's filter dropped meanwhile (its {@code inbound_dropped}
     *     counter's increase)
     * @param probeMappings NAT A's entries for the probe (its ephemeral port mapped), after it
     * @param probeEntriesAtB NAT B's entries for the probe's port after it (none: the SYNs were dropped)
     */
    public record NatView(List<NetnsLab.ConntrackEntry> natA, List<NetnsLab.ConntrackEntry> natB,
            List<NetnsLab.ConntrackEntry> tupleA, List<NetnsLab.ConntrackEntry> tupleB, int probePort,
            NetnsLab.Probe probe, long droppedByNatB, List<NetnsLab.ConntrackEntry> probeMappings,
            List<NetnsLab.ConntrackEntry> probeEntriesAtB) {
        /** Copies the lists. */
        public NatView {
            natA = List.copyOf(natA);
            natB = List.copyOf(natB);
            tupleA = List.copyOf(tupleA);
            tupleB = List.copyOf(tupleB);
            probeMappings = List.copyOf(probeMappings);
            probeEntriesAtB = List.copyOf(probeEntriesAtB);
        }

        /**
         * @return {@code dropped} when the probe got no answer and NAT B counted dropped packets (and holds no
         *     entry for it), else what it got, e.g. {@code answered}
         */
        public String ephemeralRedial() {
            if (probe.outcome() == NetnsLab.ProbeOutcome.NO_ANSWER) {
                return droppedByNatB > 0 && probeEntriesAtB.isEmpty() ? "dropped" : "no answer, not counted by NAT B";
            }
            return probe.outcome().name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }

        /** @return whether every entry of the 4-tuple kept the peer's port */
        public boolean portsKept() {
            return !tupleA.isEmpty() && !tupleB.isEmpty()
                    && tupleA.stream().allMatch(NetnsLab.ConntrackEntry::portPreserved)
                    && tupleB.stream().allMatch(NetnsLab.ConntrackEntry::portPreserved);
        }

        /** @return the report's summary of this view */
        public SimopenRound.Nat row() {
            return new SimopenRound.Nat(tupleA.size(), tupleB.size(), portsKept(), ephemeralRedial());
        }

        /**
         * @param probeFrom A's private address, for the text
         * @param probeTo the address the probe went to
         * @return lines for a human: both NATs' entries and the probe's outcome
         */
        public List<String> describe(String probeFrom, String probeTo) {
            List<String> lines = new ArrayList<>();
            lines.add("NAT A conntrack: " + entries(tupleA));
            lines.add("NAT B conntrack: " + entries(tupleB));
            String mapped = probeMappings.isEmpty() ? "NAT A made no mapping for it"
                    : "NAT A mapped it (" + probeMappings.get(0).summary() + ")";
            lines.add(String.format(Locale.ROOT, "ephemeral redial %s -> %s:%d: %s (%s in %.1f s; NAT B dropped %d"
                    + " packet(s) and holds %d entries for it); %s", probeFrom, probeTo, probePort, ephemeralRedial(),
                    probe.outcome() == NetnsLab.ProbeOutcome.NO_ANSWER ? "no SYN-ACK" : probe.outcome().name(),
                    probe.millis() / 1000.0, droppedByNatB, probeEntriesAtB.size(), mapped));
            return lines;
        }

        private static String entries(List<NetnsLab.ConntrackEntry> list) {
            if (list.isEmpty()) {
                return "NO ENTRY for the 4-tuple";
            }
            List<String> parts = new ArrayList<>();
            for (NetnsLab.ConntrackEntry e : list) {
                parts.add(e.summary());
            }
            return (list.size() == 1 ? "1 entry: " : list.size() + " entries: ") + String.join("; ", parts);
        }
    }

    /**
     * One round's outcome.
     *
     * @param row the report row
     * @param port A's listen port P in this round
     * @param a peer A's {@code dialed} event
     * @param b peer B's {@code dialed} event (null if B did not dial, or gave none in time)
     * @param dialsSentAtUs when the controller sent the dial commands, epoch microseconds
     * @param linksUpAtUs when the links came up, epoch microseconds (0 in an ordinary dial)
     * @param bPort B's port of the connection: P against crossdial, js's dial port Q against js
     * @param nat what the NATs showed, null without NATs
     */
    public record Round(SimopenRound row, int port, Map<String, Object> a, Map<String, Object> b,
            long dialsSentAtUs, long linksUpAtUs, int bPort, NatView nat) {
    }

    /**
     * How long one side took from TCP connected to a usable upgraded connection, and that in round trips.
     *
     * @param side "A", "B" or "js"
     * @param resolveMs from the round's TCP-connected instant ({@link #resolve}) to this side's dial future
     *     completing with the upgraded connection, ms
     * @param pingRttMs the smallest ping round trip measured on the same connection right after, ms
     * @param resolveRtts {@code resolveMs / pingRttMs}
     */
    public record SideResolve(String side, double resolveMs, double pingRttMs, double resolveRtts) {
    }

    /**
     * The resolve figures of one round, for each side that dialed (both in a simultaneous open, only A in an
     * ordinary dial, where B accepted); the js peer's side when its dial reported its own instants
     * ({@code tcpConnectedAtUs}, {@code usableAtUs}; its round trip is A's ping RTT, the same path).
     *
     * <p>The TCP-connected instant is the earliest of, over those sides: the socket first seen ESTABLISHED in
     * {@code /proc/net/tcp} ({@code tcpEstablishedAtUs}, polled, so possibly late when the host is busy) and
     * {@code usableAtUs - resolvedAfterConnectMs} (the role resolution's own clock starts at the channel's
     * {@code channelActive} on the event loop, so this is never earlier than the real connect). Both are
     * upper bounds of the connect instant; the crossed connections of a simultaneous open complete within one
     * round trip of each other. So {@code resolveMs} is, if anything, slightly short. Rounds with a redial are
     * not measured (the watched socket is not the usable one).
     *
     * @param round the round
     * @return the sides' figures, A first; empty when nothing was measured
     */
    public static List<SideResolve> resolve(Round round) {
        List<Map<String, Object>> sides = new ArrayList<>();
        List<String> names = new ArrayList<>();
        addSide(sides, names, "A", round.a());
        Map<String, Object> js = null;
        if (round.linksUpAtUs() != 0) {
            if (round.b() != null && round.b().containsKey("tcpConnectedAtUs")) {
                // the js peer: no redials field, its own instants
                if (JsonLines.flag(round.b(), "ok") && round.b().get("tcpConnectedAtUs") instanceof Number
                        && round.b().get("usableAtUs") instanceof Number) {
                    js = round.b();
                }
            } else {
                addSide(sides, names, "B", round.b());
            }
        }
        double connectedAtUs = Double.MAX_VALUE;
        for (Map<String, Object> e : sides) {
            if (e.get("tcpEstablishedAtUs") instanceof Number n) {
                connectedAtUs = Math.min(connectedAtUs, n.doubleValue());
            }
            if (e.get("resolvedAfterConnectMs") instanceof Number n) {
                connectedAtUs = Math.min(connectedAtUs, ((Number) e.get("usableAtUs")).doubleValue()
                        - n.doubleValue() * 1e3);
            }
        }
        if (js != null) {
            connectedAtUs = Math.min(connectedAtUs, ((Number) js.get("tcpConnectedAtUs")).doubleValue());
        }
        List<SideResolve> out = new ArrayList<>();
        if (connectedAtUs == Double.MAX_VALUE) {
            return out;
        }
        double rttA = 0;
        for (int i = 0; i < sides.size(); i++) {
            Map<String, Object> e = sides.get(i);
            Object rtt = e.get("pingRttMinMs") instanceof Number n ? n : e.get("pingRttMs");
            if (rtt instanceof Number r && r.doubleValue() > 0) {
                double ms = (((Number) e.get("usableAtUs")).doubleValue() - connectedAtUs) / 1e3;
                out.add(new SideResolve(names.get(i), ms, r.doubleValue(), ms / r.doubleValue()));
                if (names.get(i).equals("A")) {
                    rttA = r.doubleValue();
                }
            }
        }
        if (js != null && rttA > 0) {
            double ms = (((Number) js.get("usableAtUs")).doubleValue() - connectedAtUs) / 1e3;
            out.add(new SideResolve("js", ms, rttA, ms / rttA));
        }
        return out;
    }

    private static void addSide(List<Map<String, Object>> sides, List<String> names, String name,
            Map<String, Object> dialed) {
        if (dialed != null && JsonLines.flag(dialed, "ok") && JsonLines.number(dialed, "redials", 0) == 0
                && dialed.get("usableAtUs") instanceof Number) {
            sides.add(dialed);
            names.add(name);
        }
    }

    private final Config config;
    private final NetnsLab lab;
    private final List<LabPeer> peers = new ArrayList<>();
    private final Thread hook;
    private LabPeer a;
    private LabPeer b;
    private String peerIdA;
    private String peerIdB;

    private SimopenLab(Config config, NetnsLab lab) {
        this.config = config;
        this.lab = lab;
        this.hook = new Thread(this::closeQuietly, "crossdial-simopen-lab-cleanup");
    }

    /**
     * Builds the lab and starts both peers (B listening already when it is the js peer).
     *
     * @param config how to run
     * @return the running lab, to be closed
     * @throws LabException if the lab cannot be built or a peer does not start (with its stderr)
     * @throws IllegalStateException if the lab is unavailable here ({@link NetnsLab#unavailableReason()})
     */
    public static SimopenLab open(Config config) {
        NetnsLab.unavailableReason(config.topology()).ifPresent(r -> {
            throw new IllegalStateException(r);
        });
        NetnsLab.cleanupStale(NetnsLab.NAME_PREFIX);
        NetnsLab lab = NetnsLab.create("simopen" + config.against().label()
                + (config.topology() == NetnsLab.Topology.NAT ? "nat" : ""), config.topology());
        SimopenLab s = new SimopenLab(config, lab);
        Runtime.getRuntime().addShutdownHook(s.hook);
        try {
            s.startPeers();
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void startPeers() {
        a = start("A", lab.peerA(), crossdialArgv(lab.peerA()), null);
        if (config.against() == Against.CROSSDIAL) {
            b = start("B", lab.peerB(), crossdialArgv(lab.peerB()), null);
        } else {
            Path script = config.jsDir().resolve("peer.mjs");
            if (!Files.isRegularFile(script)) {
                throw new LabException("no js peer at " + script);
            }
            List<String> argv = List.of(findOnPath("node"), script.toString(), "serve", "--host",
                    lab.peerB().host(), "--port", Integer.toString(config.basePort()), "--security", config.security());
            b = start("B", lab.peerB(), argv, config.jsDir());
            Map<String, Object> listening = b.awaitEvent("listening", START_TIMEOUT);
            peerIdB = String.valueOf(listening.get("peerId"));
        }
    }

    private LabPeer start(String name, NetnsLab.PeerNamespace side, List<String> argv, Path dir) {
        ProcessBuilder pb = lab.command(side.namespace(), argv);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        LabPeer p = LabPeer.start(name, pb);
        peers.add(p);
        return p;
    }

    private List<String> crossdialArgv(NetnsLab.PeerNamespace side) {
        List<String> argv = new ArrayList<>(config.crossdialPeer());
        argv.addAll(List.of("lab-peer", "--ip", side.host(), "--security", config.security()));
        return argv;
    }

    /** @return the lab (namespaces, links) */
    public NetnsLab lab() {
        return lab;
    }

    /** @return the configuration */
    public Config config() {
        return config;
    }

    /** @return peer A's peer ID, known after its first listen (null before) */
    public String peerIdA() {
        return peerIdA;
    }

    /** @return peer B's peer ID, known after its first listen (null before) */
    public String peerIdB() {
        return peerIdB;
    }

    /**
     * Runs one simultaneous-open round as described in the class comment.
     *
     * @param round the round number, from 1
     * @return the round's outcome; a failure of the peers to connect is a row, not an exception
     * @throws LabException if a peer dies, reports an error, or does not answer in time
     */
    public Round simultaneousOpen(int round) {
        int port = config.basePort() + round;
        lab.linksDown();
        listen(a, port, true);
        // each peer dials the other's public address: the peer's own when routed, its NAT's behind NATs
        String addrA = "/ip4/" + lab.peerA().publicHost() + "/tcp/" + port + "/p2p/" + peerIdA;
        Map<String, Object> dialA = new LinkedHashMap<>();
        Map<String, Object> dialB = new LinkedHashMap<>();
        dialA.put("cmd", "dial");
        dialB.put("cmd", "dial");
        int bPort;
        if (config.against() == Against.CROSSDIAL) {
            listen(b, port, false);
            bPort = port;
            dialA.put("addr", "/ip4/" + lab.peerB().publicHost() + "/tcp/" + port + "/p2p/" + peerIdB);
            dialA.put("echoBytes", config.echoBytes());
            dialB.put("addr", addrA);
            dialB.put("echoBytes", config.echoBytes());
        } else {
            // js's dial port Q, mapped by NAT B to the same public port; A knows no other address of js
            bPort = jsDialPort(round);
            dialA.put("addr", "/ip4/" + lab.peerB().publicHost() + "/tcp/" + bPort + "/p2p/" + peerIdB);
            dialA.put("echoBytes", config.echoBytes());
            dialB.put("addr", addrA);
            dialB.put("localPort", bPort);
            dialB.put("timeoutMs", 10_000);
            dialB.put("echoBytes", JS_ECHO_BYTES);
            dialB.put("skip", List.of("identify", "streams"));
        }
        long sentAtUs = nowMicros();
        a.send(dialA);
        b.send(dialB);
        a.awaitEvent("dialing", STEP_TIMEOUT);
        b.awaitEvent("dialing", STEP_TIMEOUT);
        sleep(SETTLE_MILLIS);
        lab.linksUp();
        long upAtUs = nowMicros();
        Map<String, Object> ea = a.awaitEvent("dialed", DIALED_TIMEOUT);
        Map<String, Object> eb;
        String bNote = "";
        try {
            eb = b.awaitEvent("dialed", DIALED_TIMEOUT);
        } catch (LabException e) {
            if (config.against() == Against.CROSSDIAL) {
                throw e;
            }
            eb = null;
            bNote = "js gave no dialed event";
        }
        NatView nat = lab.topology() == NetnsLab.Topology.NAT ? natView(port, bPort) : null;
        SimopenRound row = config.against() == Against.CROSSDIAL
                ? crossdialRow(round, port, ea, eb, nat) : jsRow(round, port, bPort, ea, eb, bNote, nat);
        return new Round(row, port, ea, eb, sentAtUs, upAtUs, bPort, nat);
    }

    /** @return js's dial port Q in round {@code round} */
    private int jsDialPort(int round) {
        return config.basePort() + 20_000 + round;
    }

    /**
     * Lists both NATs' conntrack entries for the round's ports, then connects from an ephemeral port of A's
     * namespace to the address A dialed and sees whether anything answers.
     */
    private NatView natView(int port, int bPort) {
        NetnsLab.PeerNamespace sa = lab.peerA();
        NetnsLab.PeerNamespace sb = lab.peerB();
        List<NetnsLab.ConntrackEntry> natA = lab.conntrack(sa).stream()
                .filter(e -> e.involves(port) || e.involves(bPort)).toList();
        List<NetnsLab.ConntrackEntry> natB = lab.conntrack(sb).stream()
                .filter(e -> e.involves(port) || e.involves(bPort)).toList();
        List<NetnsLab.ConntrackEntry> tupleA = natA.stream().filter(e -> e.origSrc().equals(sa.host())
                && e.origSport() == port && e.origDst().equals(sb.publicHost()) && e.origDport() == bPort).toList();
        List<NetnsLab.ConntrackEntry> tupleB = natB.stream().filter(e -> e.origSrc().equals(sb.host())
                && e.origSport() == bPort && e.origDst().equals(sa.publicHost()) && e.origDport() == port).toList();
        long droppedBefore = lab.inboundDropped(sb);
        NetnsLab.Probe probe = lab.probeConnect(sa.namespace(), sb.publicAddress(), bPort, config.probeTimeout());
        long dropped = lab.inboundDropped(sb) - droppedBefore;
        List<NetnsLab.ConntrackEntry> mappings = lab.conntrack(sa).stream().filter(e -> e.origSrc().equals(sa.host())
                && e.origSport() != port && e.origDst().equals(sb.publicHost()) && e.origDport() == bPort).toList();
        List<NetnsLab.ConntrackEntry> atB = lab.conntrack(sb).stream()
                .filter(e -> mappings.stream().anyMatch(m -> e.involves(m.replyDport()))).toList();
        return new NatView(natA, natB, tupleA, tupleB, bPort, probe, dropped, mappings, atB);
    }

    /**
     * An ordinary dial in the lab: both listen on {@code basePort + round} with the links up, only A dials B
     * (from its listen port, as every crossdial dial with port reuse). Against crossdial only.
     *
     * @param round the round number, from 1
     * @return the outcome; {@code b} is B's {@code connections} answer
     * @throws IllegalStateException against js, or behind NATs (NAT B drops unsolicited connections)
     * @throws LabException if a peer fails or does not answer in time
     */
    public Round ordinaryDial(int round) {
        if (config.against() != Against.CROSSDIAL) {
            throw new IllegalStateException("ordinary dials run against crossdial only");
        }
        if (lab.topology() != NetnsLab.Topology.ROUTED) {
            throw new IllegalStateException("ordinary dials need the routed lab: NAT B drops unsolicited connections");
        }
        int port = config.basePort() + round;
        lab.linksUp();
        listen(a, port, true);
        listen(b, port, false);
        String addrB = "/ip4/" + lab.peerB().publicHost() + "/tcp/" + port + "/p2p/" + peerIdB;
        long sentAtUs = nowMicros();
        a.send(Map.of("cmd", "dial", "addr", addrB, "echoBytes", config.echoBytes()));
        a.awaitEvent("dialing", STEP_TIMEOUT);
        Map<String, Object> ea = a.awaitEvent("dialed", DIALED_TIMEOUT);
        b.send(Map.of("cmd", "connections"));
        Map<String, Object> eb = b.awaitEvent("connections", STEP_TIMEOUT);
        boolean ok = JsonLines.flag(ea, "ok");
        SimopenRound row = new SimopenRound(round, JsonLines.flag(ea, "detected"), JsonLines.string(ea, "resolution"),
                ok ? OptionalLong.of(Math.round(((Number) ea.get("usableMs")).doubleValue())) : OptionalLong.empty(),
                false, SimopenRound.Check.of(ea.get("ping")), SimopenRound.Check.of(ea.get("echo")),
                ok ? "ordinary dial, " + JsonLines.string(ea, "detection") : JsonLines.string(ea, "error"),
                crossdialUsable(ea), SimopenRound.Check.SKIPPED, (int) JsonLines.number(ea, "redials", 0),
                JsonLines.string(ea, "detection"), ok ? JsonLines.string(ea, "role") : "", null);
        return new Round(row, port, ea, eb, sentAtUs, 0, port, null);
    }

    private String listen(LabPeer p, int port, boolean isA) {
        p.send(Map.of("cmd", "listen", "port", port));
        Map<String, Object> e = p.awaitEvent("listening", START_TIMEOUT);
        String id = String.valueOf(e.get("peerId"));
        if (isA) {
            peerIdA = id;
        } else {
            peerIdB = id;
        }
        return String.valueOf(e.get("multiaddr"));
    }

    private SimopenRound crossdialRow(int round, int port, Map<String, Object> ea, Map<String, Object> eb,
            NatView nat) {
        boolean okA = JsonLines.flag(ea, "ok");
        boolean okB = JsonLines.flag(eb, "ok");
        boolean usable = okA && okB;
        boolean detected = JsonLines.flag(ea, "detected") && JsonLines.flag(eb, "detected");
        String resA = JsonLines.string(ea, "resolution");
        String resB = JsonLines.string(eb, "resolution");
        String resolution = usable ? (Objects.equals(resA, resB) ? resA : resA + "/" + resB) : "failed";
        boolean sameTuple = usable && port(ea, "localPort") == port && port(ea, "remotePort") == port
                && port(eb, "localPort") == port && port(eb, "remotePort") == port
                && remoteHostIs(ea, lab.peerB().publicHost()) && remoteHostIs(eb, lab.peerA().publicHost())
                && JsonLines.number(ea, "inboundAccepted", -1) == 0 && JsonLines.number(eb, "inboundAccepted", -1) == 0;
        List<String> notes = new ArrayList<>();
        if (usable) {
            String roleA = JsonLines.string(ea, "role");
            String roleB = JsonLines.string(eb, "role");
            notes.add("A " + roleA + ", B " + roleB);
            if (Objects.equals(roleA, roleB)) {
                notes.add("SAME ROLES");
            }
        }
        addError(notes, "A", ea);
        addError(notes, "B", eb);
        String detA = JsonLines.string(ea, "detection");
        String detB = JsonLines.string(eb, "detection");
        return new SimopenRound(round, detected, resolution,
                usable ? OptionalLong.of(Math.round(Math.max(ms(ea), ms(eb)))) : OptionalLong.empty(), sameTuple,
                both(ea, eb, "ping"), both(ea, eb, "echo"), String.join("; ", notes), crossdialUsable(ea),
                crossdialUsable(eb), (int) (JsonLines.number(ea, "redials", 0) + JsonLines.number(eb, "redials", 0)),
                Objects.equals(detA, detB) ? detA : detA + "/" + detB, okA ? JsonLines.string(ea, "role") : "",
                nat == null ? null : nat.row());
    }

    private SimopenRound jsRow(int round, int port, int q, Map<String, Object> ea, Map<String, Object> eb,
            String bNote, NatView nat) {
        boolean okA = JsonLines.flag(ea, "ok");
        boolean okJs = eb != null && JsonLines.flag(eb, "ok");
        List<String> notes = new ArrayList<>();
        long acceptedA = JsonLines.number(ea, "inboundAccepted", -1);
        if (eb != null) {
            String err = JsonLines.string(eb, "error");
            notes.add(okJs ? "js dial :" + portOf(JsonLines.string(eb, "localAddr")) + "->:"
                    + portOf(JsonLines.string(eb, "remoteAddr")) + " ok over " + eb.get("encryption")
                    + (eb.get("pingRttMs") instanceof List<?> l
                            ? ", ping x" + l.size() : "") + ", echo " + eb.get("echoBytes") + " B"
                    : "js dial :" + q + "->:" + port + " failed: " + (err == null ? "?" : err.replaceFirst("^dial: ", "")));
        } else {
            notes.add(bNote);
        }
        if (okA) {
            notes.add("A " + JsonLines.string(ea, "role") + " over " + JsonLines.string(ea, "security") + ", usable :"
                    + ea.get("localPort") + "->:" + ea.get("remotePort") + ", accepted " + acceptedA);
        }
        addError(notes, "A", ea);
        // one connection: A from P to js's Q, js from Q to A's P, nobody accepted (js does not listen on Q)
        boolean sameTuple = okA && okJs && port(ea, "localPort") == port && port(ea, "remotePort") == q
                && remoteHostIs(ea, lab.peerB().publicHost()) && acceptedA == 0
                && portOf(JsonLines.string(eb, "localAddr")) == q && portOf(JsonLines.string(eb, "remoteAddr")) == port
                && String.valueOf(JsonLines.string(eb, "remoteAddr")).startsWith("/ip4/" + lab.peerA().publicHost() + "/");
        return new SimopenRound(round, JsonLines.flag(ea, "detected"), okA ? JsonLines.string(ea, "resolution") : "failed",
                okA ? OptionalLong.of(Math.round(ms(ea))) : OptionalLong.empty(), sameTuple,
                SimopenRound.Check.of(ea.get("ping")), SimopenRound.Check.of(ea.get("echo")),
                String.join("; ", notes), crossdialUsable(ea), jsUsable(eb),
                (int) JsonLines.number(ea, "redials", 0), JsonLines.string(ea, "detection"),
                okA ? JsonLines.string(ea, "role") : "", nat == null ? null : nat.row());
    }

    /** A crossdial side is usable when its dial gave a connection and its ping and echo passed on it. */
    private static SimopenRound.Check crossdialUsable(Map<String, Object> e) {
        if (e == null) {
            return SimopenRound.Check.FAILED;
        }
        return JsonLines.flag(e, "ok") && SimopenRound.Check.of(e.get("ping")) == SimopenRound.Check.OK
                && SimopenRound.Check.of(e.get("echo")) == SimopenRound.Check.OK
                ? SimopenRound.Check.OK : SimopenRound.Check.FAILED;
    }

    /** The js side is usable when its dial, its pings and its {@value #JS_ECHO_BYTES}-byte echo all passed. */
    private static SimopenRound.Check jsUsable(Map<String, Object> e) {
        if (e == null) {
            return SimopenRound.Check.FAILED;
        }
        return JsonLines.flag(e, "ok") && e.get("pingRttMs") instanceof List<?> pings && !pings.isEmpty()
                && JsonLines.number(e, "echoBytes", -1) == JS_ECHO_BYTES
                ? SimopenRound.Check.OK : SimopenRound.Check.FAILED;
    }

    private static boolean remoteHostIs(Map<String, Object> e, String host) {
        return String.valueOf(JsonLines.string(e, "remoteAddr")).startsWith("/ip4/" + host + "/");
    }

    /** @return the port of a {@code /ip4/H/tcp/P...} multiaddr, -1 if none */
    private static long portOf(String multiaddr) {
        if (multiaddr == null) {
            return -1;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("/tcp/([0-9]+)").matcher(multiaddr);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static void addError(List<String> notes, String who, Map<String, Object> e) {
        String err = e == null ? "no dialed event" : JsonLines.string(e, "error");
        if (err != null && !err.isEmpty()) {
            notes.add(who + ": " + err);
        }
    }

    private static SimopenRound.Check both(Map<String, Object> ea, Map<String, Object> eb, String key) {
        SimopenRound.Check x = SimopenRound.Check.of(ea.get(key));
        SimopenRound.Check y = SimopenRound.Check.of(eb.get(key));
        return x == SimopenRound.Check.OK && y == SimopenRound.Check.OK ? SimopenRound.Check.OK
                : x == SimopenRound.Check.FAILED || y == SimopenRound.Check.FAILED ? SimopenRound.Check.FAILED
                : SimopenRound.Check.SKIPPED;
    }

    private static long port(Map<String, Object> e, String key) {
        return JsonLines.number(e, key, -1);
    }

    private static double ms(Map<String, Object> e) {
        Object v = e.get("usableMs");
        return v instanceof Number n ? n.doubleValue() : 0;
    }

    /** Kills the peers and removes the lab; idempotent. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // running from the hook, or the JVM is going down: nothing to unregister
        }
        closeQuietly();
    }

    private synchronized void closeQuietly() {
        for (LabPeer p : peers) {
            try {
                p.close();
            } catch (RuntimeException e) {
                config.log().accept("closing peer " + p.name() + ": " + e.getMessage());
            }
        }
        peers.clear();
        try {
            lab.close();
        } catch (RuntimeException e) {
            config.log().accept(e.getMessage());
        }
    }

    /**
     * The command that starts a crossdial peer with the same Java as this process
     * ({@code ProcessHandle.current().info().command()}): {@code java -jar <crossdial.jar>} when this code runs
     * from the fat jar (its manifest names {@code io.crossdial.cli.Main}), else {@link #classPathPeerCommand()}.
     * JVM options that the launcher needs on new JDKs ({@code --sun-misc-unsafe-memory-access},
     * {@code --enable-native-access}) and Netty's leak-detection level are passed on.
     *
     * @return the argv up to {@code lab-peer}
     */
    public static List<String> jarPeerCommand() {
        Path source = LabPeer.codeSourceOf(Main.class);
        if (!isFatJar(source)) {
            return classPathPeerCommand();
        }
        List<String> argv = javaWithOptions();
        argv.addAll(List.of("-jar", source.toString()));
        return argv;
    }

    /**
     * Like {@link #jarPeerCommand()} but always {@code java -cp <java.class.path> io.crossdial.cli.Main} (for
     * tests, which run from class directories).
     *
     * @return the argv up to {@code lab-peer}
     */
    public static List<String> classPathPeerCommand() {
        List<String> argv = javaWithOptions();
        argv.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        return argv;
    }

    private static boolean isFatJar(Path source) {
        if (!Files.isRegularFile(source) || !source.toString().endsWith(".jar")) {
            return false;
        }
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(source.toFile())) {
            java.util.jar.Manifest m = jar.getManifest();
            return m != null && Main.class.getName().equals(m.getMainAttributes().getValue("Main-Class"));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static List<String> javaWithOptions() {
        List<String> argv = new ArrayList<>();
        argv.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String opt : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (opt.startsWith("--sun-misc-unsafe-memory-access") || opt.startsWith("--enable-native-access")) {
                argv.add(opt);
            }
        }
        String leak = System.getProperty("io.netty.leakDetection.level");
        if (leak != null) {
            argv.add("-Dio.netty.leakDetection.level=" + leak);
        }
        if ("root".equals(System.getProperty("user.name"))) {
            // lets the lab-peer's TCP state watch run at a higher OS priority than the event loops
            argv.add("-XX:ThreadPriorityPolicy=1");
        }
        argv.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
        return argv;
    }

    /** @return the last stderr lines of both peers, each headed by its name (for failure messages) */
    public synchronized String peerStderr() {
        StringBuilder sb = new StringBuilder();
        for (LabPeer p : List.copyOf(peers)) {
            sb.append("--- peer ").append(p.name()).append(" stderr ---\n").append(p.stderrTail());
        }
        return sb.toString();
    }

    /**
     * Where the js peer is: {@code interop-tests/js} of the source tree this jar was built in
     * ({@code cli/target/crossdial.jar} -&gt; {@code cli/target/../../interop-tests/js}), or from the current
     * directory.
     *
     * @return the directory holding {@code peer.mjs}, or null if none was found
     */
    public static Path defaultJsDir() {
        List<Path> candidates = new ArrayList<>();
        try {
            Path source = LabPeer.codeSourceOf(Main.class).toAbsolutePath();
            // cli/target/crossdial.jar or cli/target/classes
            candidates.add(source.getParent().getParent().getParent().resolve("interop-tests").resolve("js"));
        } catch (RuntimeException e) {
            // no code source: only the working directory
        }
        candidates.add(Path.of("interop-tests", "js").toAbsolutePath());
        candidates.add(Path.of("..", "interop-tests", "js").toAbsolutePath().normalize());
        for (Path p : candidates) {
            if (Files.isRegularFile(p.resolve("peer.mjs"))) {
                return p.normalize();
            }
        }
        return null;
    }

    static String findOnPath(String name) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        for (String dir : List.of("/usr/local/bin", "/usr/bin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new LabException("`" + name + "` not found in PATH");
    }

    static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        }
    }
}
