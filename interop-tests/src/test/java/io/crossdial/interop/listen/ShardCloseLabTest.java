package io.crossdial.interop.listen;

import static io.crossdial.interop.listen.ListenRuns.number;
import static io.crossdial.interop.listen.ListenRuns.requireLab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.crossdial.lab.LabPeer;
import io.crossdial.lab.SoloNetns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Closing one shard during a connect storm loses nothing where the kernel migrates queued requests: the storm
 * ({@link ShardCloseStormMain}) runs in a fresh network namespace whose {@code net.ipv4.tcp_migrate_req} is set
 * to 1 there only (the setting is per namespace), so the machine's own setting is neither needed nor touched.
 * Skipped where the kernel has no such setting (before Linux 5.14).
 */
class ShardCloseLabTest {
    private static final String MIGRATE = "net.ipv4.tcp_migrate_req";

    @Test
    @Timeout(120)
    void closingAShardDuringTwoThousandConnectsLosesNoneWithTcpMigrateReq() {
        requireLab();
        assumeTrue(Files.exists(Path.of("/proc/sys/net/ipv4/tcp_migrate_req")),
                () -> "this kernel (" + System.getProperty("os.version") + ") has no " + MIGRATE + " (Linux 5.14+)");
        try (SoloNetns ns = SoloNetns.create("listen2mig")) {
            ns.sysctl(MIGRATE, "1");
            assertEquals("1", ns.readSysctl(MIGRATE));
            // java [options] -cp <test class path> ShardCloseStormMain
            List<String> argv = new ArrayList<>(ListenRuns.crossdial());
            argv.set(argv.size() - 1, ShardCloseStormMain.class.getName());
            try (LabPeer storm = LabPeer.start("storm", ns.command(argv))) {
                Map<String, Object> r = storm.awaitEvent("storm", Duration.ofSeconds(100));
                System.out.println("closing shard 0 during a connect storm, " + MIGRATE + "=1 in " + ns.namespace()
                        + ": " + r);
                String where = r + "\n" + storm.stderrTail();
                assertEquals(Boolean.TRUE, r.get("tcpMigrateReq"), where);
                assertEquals(0, number(r, "lost"), where);
                assertEquals(0, number(r, "refused"), where);
                assertEquals(number(r, "connects"), number(r, "served"), where);
            }
        }
    }
}
