package io.crossdial.cli;

import io.crossdial.lab.JsonLines;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.Connection;
import io.crossdial.host.Host;
import io.crossdial.host.protocol.PerfClient;
import io.crossdial.host.protocol.PerfResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code crossdial perf MA}: a /perf/1.0.0 client (libp2p/specs perf/perf.md). */
@Command(name = "perf", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = "Measure throughput with /perf/1.0.0: upload, then download")
final class PerfCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MULTIADDR", description = "the perf server")
    String target;

    /** Bytes each way when neither {@code --upload} nor {@code --download} is given. */
    static final long DEFAULT_BYTES = 100L << 20;

    @Option(names = "--upload", paramLabel = "BYTES", description = "Bytes to send; default: 0 when --download is"
            + " given, else 104857600 (100 MiB)")
    Long upload;

    @Option(names = "--download", paramLabel = "BYTES", description = "Bytes to receive; default: 0 when --upload"
            + " is given, else 104857600 (100 MiB)")
    Long download;

    @Option(names = "--streams", paramLabel = "N", description = "Parallel perf streams, each with the full amounts; default 1")
    int streams = 1;

    @Option(names = "--warmup-seconds", paramLabel = "S", description = "First repeat the same transfer on the"
            + " same connection for at least S seconds, not counted (the JIT's warm-up; the first round's rate is"
            + " printed as the cold figure); default 0")
    double warmupSeconds;

    @Option(names = "--timeout-ms", paramLabel = "MS", description = "Time limit in ms; default 300000")
    long timeoutMillis = 300_000;

    @Option(names = "--json", description = "Print one JSON line with the outcome")
    boolean json;

    @Mixin
    HostOptions hostOptions;

    @Override
    public Integer call() {
        Multiaddr addr = HostOptions.parse(target);
        if (upload == null && download == null) {
            upload = DEFAULT_BYTES;
            download = DEFAULT_BYTES;
        } else if (upload == null) {
            upload = 0L;
        } else if (download == null) {
            download = 0L;
        }
        if (upload < 0 || download < 0 || streams < 1 || warmupSeconds < 0) {
            throw new CliException("--upload and --download must be >= 0, --streams >= 1, --warmup-seconds >= 0", 2,
                    null);
        }
        try (Host host = hostOptions.builder(List.of()).build().start()) {
            Connection c = Await.result(host.dial(addr), timeoutMillis, "dial " + addr);
            int warmupRounds = 0;
            double coldGbps = 0;
            long warmStart = System.nanoTime();
            if (warmupSeconds > 0) {
                while (warmupRounds == 0 || (System.nanoTime() - warmStart) / 1e9 < warmupSeconds) {
                    long t0 = System.nanoTime();
                    long[] moved = transfer(c);
                    if (warmupRounds == 0) {
                        coldGbps = (moved[0] + moved[1]) * 8 / ((System.nanoTime() - t0) / 1e9) / 1e9;
                    }
                    warmupRounds++;
                }
            }
            long start = System.nanoTime();
            double warmupTaken = (start - warmStart) / 1e9;
            long[] moved = transfer(c);
            long up = moved[0];
            long down = moved[1];
            double seconds = (System.nanoTime() - start) / 1e9;
            double gbps = (up + down) * 8 / seconds / 1e9;
            String jvm = System.getProperty("java.vm.name") + " " + Runtime.version();
            String crypto = io.crossdial.core.crypto.CryptoProvider.describe();
            if (json) {
                System.out.println(JsonLines.line("event", "perf", "ok", true, "remotePeer", c.remotePeer().toString(),
                        "security", c.security(), "muxer", c.muxer(), "streams", streams,
                        "uploadBytes", up, "downloadBytes", down, "seconds", Main.round3(seconds),
                        "gbitPerSecond", Main.round3(gbps), "warmupRounds", warmupRounds,
                        "warmupFirstGbitPerSecond", warmupRounds == 0 ? null : Main.round3(coldGbps), "jvm", jvm,
                        "cryptoProvider", io.crossdial.core.crypto.CryptoProvider.active(), "crypto", crypto));
            } else {
                System.out.printf("perf %s over %s + %s, %d stream(s), JVM %s%n", c.remotePeer(), c.security(),
                        c.muxer(), streams, jvm);
                System.out.printf("crypto: %s%n", crypto);
                if (warmupRounds > 0) {
                    System.out.printf("warm-up: %d round(s) in %.1f s, the first at %.2f Gbit/s (cold)%n", warmupRounds,
                            warmupTaken, coldGbps);
                }
                System.out.printf("uploaded %d bytes, downloaded %d bytes in %.3f s: %.2f Gbit/s%n", up, down,
                        seconds, gbps);
            }
            c.close().awaitUninterruptibly(2000);
            return 0;
        }
    }

    /** @return bytes uploaded and downloaded by {@code streams} parallel perf streams on {@code c} */
    private long[] transfer(Connection c) {
        // each stream's opening and run are bounded by timeoutMillis in runParallel; this wait only backs them up
        PerfResult r = Await.result(PerfClient.runParallel(c, streams, upload, download,
                Duration.ofMillis(timeoutMillis), timeoutMillis, timeoutMillis), 3 * timeoutMillis, "perf");
        return new long[] {r.uploadBytes(), r.downloadBytes()};
    }
}
