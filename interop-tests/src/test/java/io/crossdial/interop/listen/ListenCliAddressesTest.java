package io.crossdial.interop.listen;

import static io.crossdial.interop.listen.ListenRuns.crossdial;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.crossdial.cli.Main;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.lab.LabPeer;
import io.crossdial.lab.SoloNetns;
import java.io.File;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What {@code crossdial listen} prints for a wildcard address, and its one-line error for port 80 unprivileged. */
class ListenCliAddressesTest {
    private static final String PORT_80_ERROR = "crossdial: error: cannot listen on /ip4/127.0.0.1/tcp/80: permission"
            + " denied for port 80 (ports below 1024 need root or CAP_NET_BIND_SERVICE); choose a port >= 1024 or"
            + " grant the capability";
    /** nobody / nogroup on Debian, Ubuntu and Fedora alike. */
    private static final String NOBODY = "65534";

    @Test
    @Timeout(60)
    void wildcardListenOnThisMachineListsItsIpv4InterfaceAddressesNeverTheWildcard() throws IOException {
        Set<String> expected = new TreeSet<>();
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (ni.isUp()) {
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        expected.add(a.getHostAddress());
                    }
                }
            }
        }
        try (LabPeer listen = LabPeer.start("listen", new ProcessBuilder(crossdial("listen", "--listen",
                "/ip4/0.0.0.0/tcp/0", "--json")))) {
            Map<String, Object> listening = listen.awaitEvent("listening", ListenRuns.LINE_WAIT);
            System.out.println("crossdial listen --listen /ip4/0.0.0.0/tcp/0 --json: " + listening);
            Set<String> hosts = new TreeSet<>();
            for (Object o : (List<?>) listening.get("multiaddrs")) {
                assertFalse(String.valueOf(o).startsWith("/ip4/0.0.0.0/"), listening.toString());
                hosts.add(Multiaddr.fromString(String.valueOf(o)).toSocketAddress().getAddress().getHostAddress());
            }
            assertEquals(expected, hosts, listening.toString());
        }
    }

    /**
     * As the issue states it: {@code setpriv --reuid=nobody ... crossdial listen --listen /ip4/127.0.0.1/tcp/80}
     * prints one line and exits 1. Run as root, it runs in a fresh network namespace (where
     * {@code net.ipv4.ip_unprivileged_port_start} has its default 1024 even if a container lowered it) from a
     * world-readable copy of the class path; run as another user, it runs directly.
     */
    @Test
    @Timeout(90)
    void unprivilegedListenOnPort80PrintsOneLineAndExitsOne(@TempDir Path tmp) throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            ListenRuns.requireLab(); // root binds port 80 anywhere; only a fresh namespace + setpriv shows the line
        }
        List<String> argv = new ArrayList<>();
        SoloNetns ns = null;
        try {
            if (root) {
                ns = SoloNetns.create("listen2p80");
                argv.addAll(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
                argv.add(ListenRuns.crossdial().get(0));
                argv.addAll(List.of("-cp", readableClassPath(tmp), Main.class.getName()));
            } else {
                String start = Files.readString(Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start")).strip();
                assumeTrue(Integer.parseInt(start) > 80,
                        "ip_unprivileged_port_start is " + start + ": port 80 is not privileged here");
                argv.addAll(crossdial());
            }
            argv.addAll(List.of("listen", "--listen", "/ip4/127.0.0.1/tcp/80"));
            ProcessBuilder pb = root ? ns.command(argv) : new ProcessBuilder(argv);
            Path out = tmp.resolve("stdout");
            Path err = tmp.resolve("stderr");
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("still running after 60 s: " + String.join(" ", argv));
            }
            List<String> errLines = new ArrayList<>();
            for (String line : Files.readAllLines(err, StandardCharsets.UTF_8)) {
                // left out: the JVM's own start-up warnings on newer JDKs, and Netty's note that the namespace
                // (loopback only, no hardware address) gives it no MAC for channel IDs; on a host with a NIC
                // the second does not appear
                if (!line.startsWith("WARNING: ") && !line.contains("WARN io.netty.util.internal.MacAddressUtil")) {
                    errLines.add(line);
                }
            }
            String where = "exit " + p.exitValue() + ", stderr " + errLines + ", stdout " + Files.readString(out);
            System.out.println("unprivileged listen on port 80: " + where);
            assertEquals(1, p.exitValue(), where);
            assertEquals(List.of(PORT_80_ERROR), errLines, where);
            assertTrue(Files.readString(out).isEmpty(), where);
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }

    /** Copies every class-path entry under {@code dir} (world-readable) and returns the new class path. */
    private static String readableClassPath(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path from = Path.of(entry);
            if (!Files.exists(from)) {
                continue;
            }
            Path to = dir.resolve("cp" + i++ + (Files.isDirectory(from) ? "" : ".jar"));
            if (Files.isDirectory(from)) {
                try (Stream<Path> tree = Files.walk(from)) {
                    for (Path f : (Iterable<Path>) tree::iterator) {
                        Path target = to.resolve(from.relativize(f).toString());
                        if (Files.isDirectory(f)) {
                            Files.createDirectories(target);
                            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
                        } else {
                            Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
                        }
                    }
                }
            } else {
                Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-r--r--"));
            }
            entries.add(to.toString());
        }
        return String.join(File.pathSeparator, entries);
    }
}
