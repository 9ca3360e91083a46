package io.crossdial.cli.lab;

import io.crossdial.cli.Main;
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
 * <p>Against js (Node cannot set SO_REUSEPORT, so js dials from a fixed local port Q, not its listen port L):
 * A listens on P and dials {@code /ip4/198.18.2.2/tcp/Q/p2p/<js>} with B's listen address L as a further
 * address, js dials A at P from Q; the SYNs cross on P-Q, both fail that connection, and crossdial redials
 * from an ephemeral port (to Q: refused, then to L). Only A's connection counts.
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
     * @param echoBytes how many bytes each dialer echoes
     * @param log told one line per step worth showing (may be a no-op)
     */
    public record Config(Against against, Path jsDir, List<String> crossdialPeer, int basePort, int echoBytes,
            Consumer<String> log) {
        /** Checks the values. */
        public Config {
            Objects.requireNonNull(against, "against");
            Objects.requireNonNull(crossdialPeer, "crossdialPeer");
            Objects.requireNonNull(log, "log");
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
     */
    public record Round(SimopenRound row, int port, Map<String, Object> a, Map<String, Object> b,
            long dialsSentAtUs, long linksUpAtUs) {
    }

    /**
     * How long one side took from TCP connected to a usable upgraded connection, and that in round trips.
     *
     * @param side "A" or "B"
     * @param resolveMs from the round's TCP-connected instant ({@link #resolve}) to this side's dial future
     *     completing with the upgraded connection, ms
     * @param pingRttMs the smallest ping round trip measured on the same connection right after, ms
     * @param resolveRtts {@code resolveMs / pingRttMs}
     */
    public record SideResolve(String side, double resolveMs, double pingRttMs, double resolveRtts) {
    }

    /**
     * The resolve figures of one round, for each crossdial side that dialed (both in a simultaneous open,
     * only A in an ordinary dial, where B accepted).
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
        if (round.linksUpAtUs() != 0) {
            addSide(sides, names, "B", round.b());
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
        List<SideResolve> out = new ArrayList<>();
        if (connectedAtUs == Double.MAX_VALUE) {
            return out;
        }
        for (int i = 0; i < sides.size(); i++) {
            Map<String, Object> e = sides.get(i);
            Object rtt = e.get("pingRttMinMs") instanceof Number n ? n : e.get("pingRttMs");
            if (rtt instanceof Number r && r.doubleValue() > 0) {
                double ms = (((Number) e.get("usableAtUs")).doubleValue() - connectedAtUs) / 1e3;
                out.add(new SideResolve(names.get(i), ms, r.doubleValue(), ms / r.doubleValue()));
            }
        }
        return out;
    }

    private static void addSide(List<Map<String, Object>> sides, List<String> names, String name,
            Map<String, Object> dialed) {
        if (dialed != null && LabJson.flag(dialed, "ok") && LabJson.number(dialed, "redials", 0) == 0
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
    private String jsListenAddr;

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
        NetnsLab.unavailableReason().ifPresent(r -> {
            throw new IllegalStateException(r);
        });
        NetnsLab.cleanupStale(NetnsLab.NAME_PREFIX);
        NetnsLab lab = NetnsLab.create("simopen" + config.against().label());
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
                    lab.peerB().host(), "--port", Integer.toString(config.basePort()));
            b = start("B", lab.peerB(), argv, config.jsDir());
            Map<String, Object> listening = b.awaitEvent("listening", START_TIMEOUT);
            peerIdB = String.valueOf(listening.get("peerId"));
            jsListenAddr = "/ip4/" + lab.peerB().host() + "/tcp/" + config.basePort() + "/p2p/" + peerIdB;
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
        argv.addAll(List.of("lab-peer", "--ip", side.host()));
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
        String addrA = listen(a, port, true);
        Map<String, Object> dialA = new LinkedHashMap<>();
        Map<String, Object> dialB = new LinkedHashMap<>();
        dialA.put("cmd", "dial");
        dialB.put("cmd", "dial");
        if (config.against() == Against.CROSSDIAL) {
            String addrB = listen(b, port, false);
            dialA.put("addr", addrB);
            dialA.put("echoBytes", config.echoBytes());
            dialB.put("addr", addrA);
            dialB.put("echoBytes", config.echoBytes());
        } else {
            int q = config.basePort() + 20_000 + round;
            dialA.put("addr", "/ip4/" + lab.peerB().host() + "/tcp/" + q + "/p2p/" + peerIdB);
            dialA.put("peerAddrs", List.of(jsListenAddr));
            dialA.put("echoBytes", config.echoBytes());
            dialB.put("addr", addrA);
            dialB.put("localPort", q);
            dialB.put("timeoutMs", 10_000);
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
        SimopenRound row = config.against() == Against.CROSSDIAL
                ? crossdialRow(round, port, ea, eb) : jsRow(round, port, ea, eb, bNote);
        return new Round(row, port, ea, eb, sentAtUs, upAtUs);
    }

    /**
     * An ordinary dial in the lab: both listen on {@code basePort + round} with the links up, only A dials B
     * (from its listen port, as every crossdial dial with port reuse). Against crossdial only.
     *
     * @param round the round number, from 1
     * @return the outcome; {@code b} is B's {@code connections} answer
     * @throws LabException if a peer fails or does not answer in time
     */
    public Round ordinaryDial(int round) {
        if (config.against() != Against.CROSSDIAL) {
            throw new IllegalStateException("ordinary dials run against crossdial only");
        }
        int port = config.basePort() + round;
        lab.linksUp();
        listen(a, port, true);
        String addrB = listen(b, port, false);
        long sentAtUs = nowMicros();
        a.send(Map.of("cmd", "dial", "addr", addrB, "echoBytes", config.echoBytes()));
        a.awaitEvent("dialing", STEP_TIMEOUT);
        Map<String, Object> ea = a.awaitEvent("dialed", DIALED_TIMEOUT);
        b.send(Map.of("cmd", "connections"));
        Map<String, Object> eb = b.awaitEvent("connections", STEP_TIMEOUT);
        boolean ok = LabJson.flag(ea, "ok");
        SimopenRound row = new SimopenRound(round, LabJson.flag(ea, "detected"), LabJson.string(ea, "resolution"),
                ok ? OptionalLong.of(Math.round(((Number) ea.get("usableMs")).doubleValue())) : OptionalLong.empty(),
                false, SimopenRound.Check.of(ea.get("ping")), SimopenRound.Check.of(ea.get("echo")),
                ok ? "ordinary dial, " + LabJson.string(ea, "detection") : LabJson.string(ea, "error"));
        return new Round(row, port, ea, eb, sentAtUs, 0);
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

    private SimopenRound crossdialRow(int round, int port, Map<String, Object> ea, Map<String, Object> eb) {
        boolean okA = LabJson.flag(ea, "ok");
        boolean okB = LabJson.flag(eb, "ok");
        boolean usable = okA && okB;
        boolean detected = LabJson.flag(ea, "detected") && LabJson.flag(eb, "detected");
        String resA = LabJson.string(ea, "resolution");
        String resB = LabJson.string(eb, "resolution");
        String resolution = usable ? (Objects.equals(resA, resB) ? resA : resA + "/" + resB) : "failed";
        boolean sameTuple = usable && port(ea, "localPort") == port && port(ea, "remotePort") == port
                && port(eb, "localPort") == port && port(eb, "remotePort") == port
                && LabJson.number(ea, "inboundAccepted", -1) == 0 && LabJson.number(eb, "inboundAccepted", -1) == 0;
        List<String> notes = new ArrayList<>();
        if (usable) {
            String roleA = LabJson.string(ea, "role");
            String roleB = LabJson.string(eb, "role");
            notes.add("A " + roleA + ", B " + roleB);
            if (Objects.equals(roleA, roleB)) {
                notes.add("SAME ROLES");
            }
        }
        addError(notes, "A", ea);
        addError(notes, "B", eb);
        return new SimopenRound(round, detected, resolution,
                usable ? OptionalLong.of(Math.round(Math.max(ms(ea), ms(eb)))) : OptionalLong.empty(), sameTuple,
                both(ea, eb, "ping"), both(ea, eb, "echo"), String.join("; ", notes));
    }

    private SimopenRound jsRow(int round, int port, Map<String, Object> ea, Map<String, Object> eb, String bNote) {
        boolean ok = LabJson.flag(ea, "ok");
        int q = config.basePort() + 20_000 + round;
        List<String> notes = new ArrayList<>();
        long acceptedA = LabJson.number(ea, "inboundAccepted", -1);
        if (eb != null) {
            String err = LabJson.string(eb, "error");
            // A accepted nothing, so a js dial that got as far as the upgrade had the crossed connection
            notes.add(LabJson.flag(eb, "ok") ? "js dial ok"
                    : "js dial :" + q + "->:" + port + (acceptedA == 0 ? " (crossed, A accepted 0)" : "")
                            + " failed: " + (err == null ? "?" : err.replaceFirst("^dial: ", "")));
        } else {
            notes.add(bNote);
        }
        if (ok) {
            notes.add("A redials " + LabJson.number(ea, "redials", 0) + ", usable :" + ea.get("localPort") + "->:"
                    + ea.get("remotePort"));
        }
        addError(notes, "A", ea);
        // the usable connection is the redial's, never the crossed 4-tuple
        boolean sameTuple = ok && port(ea, "localPort") == port && LabJson.number(ea, "inboundAccepted", -1) == 0;
        return new SimopenRound(round, LabJson.flag(ea, "detected"), ok ? LabJson.string(ea, "resolution") : "failed",
                ok ? OptionalLong.of(Math.round(ms(ea))) : OptionalLong.empty(), sameTuple,
                SimopenRound.Check.of(ea.get("ping")), SimopenRound.Check.of(ea.get("echo")),
                String.join("; ", notes));
    }

    private static void addError(List<String> notes, String who, Map<String, Object> e) {
        String err = e == null ? "no dialed event" : LabJson.string(e, "error");
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
        return LabJson.number(e, key, -1);
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
