package io.crossdial.cli.lab;

import io.crossdial.lab.LabReport;
import io.crossdial.lab.NetnsLab;
import io.crossdial.lab.SimopenRound;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code crossdial lab ...}: experiments in the network-namespace lab (needs root and iproute2).
 * Its one experiment so far is {@link Simopen simopen}.
 */
@Command(name = "lab", mixinStandardHelpOptions = true, description = "Experiments in a network-namespace lab (needs root and iproute2)",
        subcommands = {LabCommand.Simopen.class})
public final class LabCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a lab experiment is required: simopen");
    }

    /**
     * {@code crossdial lab simopen}: N rounds of real TCP simultaneous opens (crossed SYNs) between two peer
     * processes, a report table at the end. Exit code 0 only if every round gave a usable connection, 1 if
     * one did not or the lab failed, 2 on a usage error.
     */
    @Command(name = "simopen", mixinStandardHelpOptions = true, description = {
        "Run N TCP simultaneous opens (crossed SYNs) between two peers in network namespaces and report,",
        "per round, detection, resolution, ms to a usable connection, same 4-tuple, ping and echo."})
    public static final class Simopen implements Callable<Integer> {
        @Option(names = "--pairs", paramLabel = "N", description = "Rounds to run; default 10")
        int pairs = 10;

        @Option(names = "--against", paramLabel = "PEER", description = "Peer B: crossdial (default) or js")
        String against = "crossdial";

        @Option(names = "--json", description = "Print the report as JSON on stdout (progress goes to stderr)")
        boolean json;

        @Option(names = "--keep-going", description = "Run every round even after one failed")
        boolean keepGoing;

        @Option(names = "--js-dir", paramLabel = "DIR",
                description = "The js peer's directory (peer.mjs, node_modules); default: interop-tests/js next"
                        + " to this jar's source tree")
        Path jsDir;

        @Option(names = "--echo-bytes", paramLabel = "N", description = "Bytes each dialer echoes; default 1048576")
        int echoBytes = 1 << 20;

        @Option(names = "--base-port", paramLabel = "P", description = "Round r uses port P+r; default 20000")
        int basePort = 20_000;

        @Override
        public Integer call() {
            PrintStream progress = json ? System.err : System.out;
            Optional<String> unavailable = NetnsLab.unavailableReason();
            if (unavailable.isPresent()) {
                System.err.println("crossdial: error: " + unavailable.get());
                return 1;
            }
            if (pairs < 1 || pairs > 10_000) {
                System.err.println("crossdial: error: --pairs must be in [1, 10000]: " + pairs);
                return 2;
            }
            SimopenLab.Against peer;
            try {
                peer = SimopenLab.Against.valueOf(against.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                System.err.println("crossdial: error: --against must be crossdial or js: " + against);
                return 2;
            }
            Path dir = null;
            if (peer == SimopenLab.Against.JS) {
                dir = jsDir != null ? jsDir.toAbsolutePath() : SimopenLab.defaultJsDir();
                if (dir == null || !Files.isRegularFile(dir.resolve("peer.mjs"))) {
                    System.err.println("crossdial: error: no js peer (peer.mjs) found; pass --js-dir");
                    return 1;
                }
                if (!Files.isDirectory(dir.resolve("node_modules"))) {
                    System.err.println("crossdial: error: " + dir + "/node_modules is missing: run `npm ci` there");
                    return 1;
                }
            }
            String title = "simopen crossdial <-> " + peer.label() + ", netns lab (real crossed SYNs)";
            LabReport report = new LabReport(title);
            boolean allUsable = true;
            SimopenLab.Config config = new SimopenLab.Config(peer, dir, SimopenLab.jarPeerCommand(), basePort,
                    echoBytes, line -> System.err.println("crossdial lab: " + line));
            progress.println(title + ": starting the lab and both peers");
            try (SimopenLab lab = SimopenLab.open(config)) {
                for (int round = 1; round <= pairs; round++) {
                    SimopenLab.Round r = lab.simultaneousOpen(round);
                    SimopenRound row = r.row();
                    report.add(row);
                    progress.println(progressLine(row, r.port(), pairs));
                    progress.flush();
                    if (!row.usable()) {
                        allUsable = false;
                        if (!keepGoing) {
                            progress.println("stopping after the first round without a usable connection"
                                    + " (--keep-going runs every round)");
                            break;
                        }
                    }
                }
            } catch (RuntimeException e) {
                String message = e.getMessage() == null ? e.toString() : e.getMessage();
                System.err.println("crossdial: error: lab run failed: " + message);
                printReport(report);
                return 1;
            }
            printReport(report);
            return allUsable && report.rounds().size() == pairs ? 0 : 1;
        }

        private void printReport(LabReport report) {
            if (json) {
                System.out.println(report.toJson());
            } else {
                System.out.println();
                System.out.print(report.toText());
            }
            System.out.flush();
        }

        private static String progressLine(SimopenRound row, int port, int pairs) {
            String width = Integer.toString(Integer.toString(pairs).length());
            return String.format("round %" + width + "d/%d  port %d  %s  %s  %s ms  4-tuple %s  ping %s  echo %s%s",
                    row.round(), pairs, port, row.detected() ? "detected" : "not detected",
                    row.resolution().isEmpty() ? "-" : row.resolution(),
                    row.usableMillis().isPresent() ? Long.toString(row.usableMillis().getAsLong()) : "-",
                    row.sameFourTuple() ? "same" : "different", row.ping().label(), row.echo().label(),
                    row.note().isEmpty() ? "" : "  (" + row.note() + ")");
        }
    }
}
