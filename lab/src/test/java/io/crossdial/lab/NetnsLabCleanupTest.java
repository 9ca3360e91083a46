package io.crossdial.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetnsLabCleanupTest {

    @Test
    void closeRemovesEveryNamespaceVethAndProcessItMade() throws Exception {
        LabTesting.assumeLabAvailable();
        NetnsLab lab = NetnsLab.create("cleanup");
        List<String> namespaces = lab.namespaces();
        assertTrue(NetnsLab.listNamespaces().containsAll(namespaces), "namespaces exist while the lab is open");
        Process sleeper = lab.command(lab.peerA().namespace(), List.of("sleep", "600")).start();

        lab.close();

        List<String> left = NetnsLab.listNamespaces();
        for (String ns : namespaces) {
            assertFalse(left.contains(ns), ns + " left behind: " + left);
        }
        assertTrue(sleeper.waitFor(5, java.util.concurrent.TimeUnit.SECONDS), "process in the namespace killed");
        String rootLinks = Exec.check(List.of("ip", "-o", "link", "show"), NetnsLab.IP_TIMEOUT);
        assertFalse(rootLinks.contains(lab.peerA().interfaceName()), rootLinks);
        assertFalse(rootLinks.contains(lab.peerA().routerInterfaceName()), rootLinks);
        lab.close(); // idempotent
    }

    @Test
    void interfaceNamesFitTheKernelLimitAndAddressesStayInTheBenchmarkingRange() {
        LabTesting.assumeLabAvailable();
        try (NetnsLab lab = NetnsLab.create("a-very-long-tag-with-symbols!")) {
            for (NetnsLab.PeerNamespace side : List.of(lab.peerA(), lab.peerB())) {
                assertTrue(side.interfaceName().length() <= 15, side.interfaceName());
                assertTrue(side.routerInterfaceName().length() <= 15, side.routerInterfaceName());
                assertTrue(side.host().startsWith("198.18."), side.host());
                assertTrue(side.namespace().startsWith("crossdial-averylongtagwith-"), side.namespace());
            }
            assertThrows(IllegalArgumentException.class, () -> lab.command("not-ours", List.of("true")));
        }
    }

    @Test
    void cleanupStaleRemovesNamespacesOfDeadRunsOnly() {
        LabTesting.assumeLabAvailable();
        long deadPid = 4_000_000;
        while (ProcessHandle.of(deadPid).isPresent()) {
            deadPid--;
        }
        String stale = NetnsLab.NAME_PREFIX + "stale-" + deadPid + "-1-a";
        Exec.check(List.of("ip", "netns", "add", stale), Duration.ofSeconds(10));
        try (NetnsLab live = NetnsLab.create("stale")) {
            List<String> removed = NetnsLab.cleanupStale(NetnsLab.NAME_PREFIX + "stale-");
            assertEquals(List.of(stale), removed);
            List<String> left = NetnsLab.listNamespaces();
            assertFalse(left.contains(stale));
            assertTrue(left.containsAll(live.namespaces()), "a live lab's namespaces are kept");
        } finally {
            Exec.run(List.of("ip", "netns", "delete", stale), Duration.ofSeconds(10));
        }
    }

    @Test
    void cleanupStaleRefusesPrefixesOutsideTheLabsNames() {
        assertThrows(IllegalArgumentException.class, () -> NetnsLab.cleanupStale("docker-"));
    }
}
