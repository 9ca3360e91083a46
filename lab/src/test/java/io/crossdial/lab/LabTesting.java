package io.crossdial.lab;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.JsonFactory;
import java.nio.file.Path;
import java.util.List;

/** Shared helpers of the lab tests. */
final class LabTesting {
    private LabTesting() {}

    /** Skips the calling test, with the reason, where no lab can be built (not root, no `ip`, ...). */
    static void assumeLabAvailable() {
        String reason = NetnsLab.unavailableReason().orElse(null);
        assumeTrue(reason == null, () -> "network-namespace lab unavailable: " + reason);
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
