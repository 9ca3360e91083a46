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
 * <p>Only the benchmarking range 198.18.0.0/15 is used, and only inside the lab's namespaces, so labs built
 * in parallel do not clash: namespaces are named {@code crossdial-<tag>-<pid>-<n>-a|b|r}, interfaces
 * {@code cx<pid base 36>x<n base 36>pa|ra|pb|rb} (at most 15 characters, never a keyword of {@code ip}).
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

    private static final Pattern NAMESPACE_NAME =
            Pattern.compile("crossdial-[a-z0-9]+-([0-9]+)-([0-9]+)-[abr]");
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final String MAC_RA = "02:cd:00:00:01:01";
    private static final String MAC_PA = "02:cd:00:00:01:02";
    private static final String MAC_RB = "02:cd:00:00:02:01";
    private static final String MAC_PB = "02:cd:00:00:02:02";

    /**
     * One peer's side of the lab.
     *
     * @param label {@code "A"} or {@code "B"}
     * @param namespace the network namespace the peer's processes run in
     * @param address the peer's IPv4 address (198.18.1.2 or 198.18.2.2)
     * @param gateway the router's address on the peer's link (its default route)
     * @param interfaceName the peer's end of its veth pair, inside {@code namespace}
     * @param routerInterfaceName the router's end of that veth pair, the one {@link #linksDown()} takes down
     */
    public record PeerNamespace(String label, String namespace, Inet4Address address, Inet4Address gateway,
            String interfaceName, String routerInterfaceName) {
        /** @return the peer's address as text, e.g. {@code 198.18.1.2} */
        public String host() {
            return address.getHostAddress();
        }
    }

    private final PeerNamespace peerA;
    private final PeerNamespace peerB;
    private final String routerNamespace;
    private final List<String> created = new ArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread shutdownHook;

    private NetnsLab(String tag) {
        long pid = ProcessHandle.current().pid();
        int n = COUNTER.incrementAndGet();
        String base = NAME_PREFIX + tag + "-" + pid + "-" + n + "-";
        String ifBase = "cx" + Long.toString(pid, 36) + "x" + Integer.toString(n, 36);
        if (ifBase.length() + 2 > 15) {
            ifBase = ifBase.substring(ifBase.length() - 13);
        }
        routerNamespace = base + "r";
        peerA = new PeerNamespace("A", base + "a", ipv4("198.18.1.2"), ipv4("198.18.1.1"), ifBase + "pa",
                ifBase + "ra");
        peerB = new PeerNamespace("B", base + "b", ipv4("198.18.2.2"), ipv4("198.18.2.1"), ifBase + "pb",
                ifBase + "rb");
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
        String clean = Objects.requireNonNull(tag, "tag").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        if (clean.length() > 16) {
            clean = clean.substring(0, 16);
        }
        NetnsLab lab = new NetnsLab(clean.isEmpty() ? "lab" : clean);
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
        for (String ns : List.of(peerA.namespace, r, peerB.namespace)) {
            ip("netns", "add", ns);
            synchronized (created) {
                created.add(ns);
            }
        }
        buildSide(peerA, MAC_PA, MAC_RA);
        buildSide(peerB, MAC_PB, MAC_RB);
        Exec.check(List.of(ipCommand(), "netns", "exec", r, "sh", "-c",
                "echo 1 > /proc/sys/net/ipv4/ip_forward"), IP_TIMEOUT);
    }

    private void buildSide(PeerNamespace p, String peerMac, String routerMac) {
        String r = routerNamespace;
        ip("link", "add", "name", p.interfaceName, "netns", p.namespace, "address", peerMac, "type", "veth",
                "peer", "name", p.routerInterfaceName, "netns", r, "address", routerMac);
        ip("-n", p.namespace, "link", "set", "dev", "lo", "up");
        ip("-n", p.namespace, "addr", "add", p.host() + "/24", "dev", p.interfaceName);
        ip("-n", p.namespace, "link", "set", "dev", p.interfaceName, "up");
        ip("-n", p.namespace, "route", "add", "default", "via", p.gateway.getHostAddress(), "dev",
                p.interfaceName);
        ip("-n", p.namespace, "neigh", "replace", p.gateway.getHostAddress(), "lladdr", routerMac, "dev",
                p.interfaceName, "nud", "permanent");
        ip("-n", r, "addr", "add", p.gateway.getHostAddress() + "/24", "dev", p.routerInterfaceName);
        ip("-n", r, "neigh", "replace", p.host(), "lladdr", peerMac, "dev", p.routerInterfaceName, "nud",
                "permanent");
    }

    /** @return a number not yet used in a namespace name by this JVM (shared with {@link SoloNetns}) */
    static int nextNumber() {
        return COUNTER.incrementAndGet();
    }

    /** @return peer A's side: namespace, 198.18.1.2, gateway 198.18.1.1 */
    public PeerNamespace peerA() {
        return peerA;
    }

    /** @return peer B's side: namespace, 198.18.2.2, gateway 198.18.2.1 */
    public PeerNamespace peerB() {
        return peerB;
    }

    /** @return the router namespace's name */
    public String routerNamespace() {
        return routerNamespace;
    }

    /** @return the names of the three namespaces: A, router, B */
    public List<String> namespaces() {
        return List.of(peerA.namespace, routerNamespace, peerB.namespace);
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

    private static final class Availability {
        static final Optional<String> REASON = probe();
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
        static final String PATH = findIp();
    }

    private static String findIp() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        for (String dir : dirs) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, "ip");
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
