package io.crossdial.lab;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.JsonFactory;
import java.nio.file.Path;
import java.util.List;

/** Shared helpers of the lab tests. */
final class LabTesting {
    private LabTesting() {}

    /** @return whether {@code CI=true}: there the lab must be available, a test that cannot build it fails */
    static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Skips the calling test, with the reason, where no lab can be built (not root, no `ip`, ...); fails it
     * instead under {@code CI=true}, where {@code .ci/run} runs as root with the lab's packages installed.
     */
    static void assumeLabAvailable() {
        require(NetnsLab.unavailableReason().orElse(null), "network-namespace lab");
    }

    /** As {@link #assumeLabAvailable()}, for the NAT topology (which also needs nftables or iptables). */
    static void assumeNatLabAvailable() {
        assumeLabAvailable();
        require(NetnsLab.unavailableReason(NetnsLab.Topology.NAT).orElse(null), "NAT lab");
    }

    private static void require(String reason, String what) {
        if (reason != null && inCi()) {
            fail("CI=true, so the " + what + " tests must run, but: " + reason);
        }
        assumeTrue(reason == null, () -> what + " unavailable: " + reason);
    }

    /** Starts {@link SocketPeerMain} as a child JVM inside {@code side}'s namespace. */
    static LabPeer startSocketPeer(NetnsLab lab, NetnsLab.PeerNamespace side) {
        List<Path> classpath = List.of(LabPeer.codeSourceOf(SocketPeerMain.class),
                LabPeer.codeSourceOf(JsonLines.class),
                LabPeer.codeSourceOf(io.crossdial.core.CrossdialException.class),
                LabPeer.codeSourceOf(JsonFactory.class));
        List<String> argv = LabPeer.javaArgv(List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Xshare:auto"), classpath, SocketPeerMain.class.getName(), List.of());
        return LabPeer.start(side.label(), lab.command(side.namespace(), argv));
    }
}
