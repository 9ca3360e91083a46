package io.crossdial.cli;

import io.crossdial.core.CrossdialException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code crossdial} command. Exit codes: 0 success, 1 failure (one line on stderr), 2 usage error.
 * With {@code --verbose} a failure also prints its stack trace.
 */
@Command(name = "crossdial", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "libp2p over TCP with simultaneous-open resolution: listen, dial, ping, echo, perf.",
        subcommands = {KeygenCommand.class, ListenCommand.class, DialCommand.class, PerfCommand.class, RelayCommand.class,
                DemoCommand.class, io.crossdial.cli.lab.LabCommand.class,
                io.crossdial.cli.lab.LabPeerCommand.class, TestPlansCommand.class})
public final class Main implements Runnable {
    @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces and debug logs on failure")
    boolean verbose;

    static boolean verboseRequested;
    /** Held so the JUL configuration of BouncyCastle's TLS provider is not garbage-collected. */
    private static final java.util.logging.Logger BOUNCY_CASTLE_LOG = java.util.logging.Logger.getLogger("org.bouncycastle");

    private Main() {}

    /** The version every command prints for {@code -V}. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"crossdial 0.1.0 (JVM " + System.getProperty("java.vm.name") + " "
                    + Runtime.version() + ")",
                    "crypto: " + io.crossdial.core.crypto.CryptoProvider.awaitSettled(5000)};
        }
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "a command is required");
    }

    /**
     * Runs the command line and exits the JVM with its exit code.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line.
     *
     * @param args the arguments
     * @return the exit code
     */
    public static int run(String... args) {
        for (String a : args) {
            if (a.equals("-v") || a.equals("--verbose")) {
                verboseRequested = true;
            }
        }
        if (!verboseRequested) {
            // BouncyCastle's JSSE provider (TLS) logs its configuration through java.util.logging at INFO.
            BOUNCY_CASTLE_LOG.setLevel(java.util.logging.Level.SEVERE);
        }
        // In a network namespace without a hardware interface Netty warns that it found no MAC address for
        // its channel IDs; that is harmless (it uses a random ID) and would add a line to every error.
        System.setProperty("org.slf4j.simpleLogger.log.io.netty.util.internal.MacAddressUtil", "error");
        if (!verboseRequested && System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            err.println("crossdial: error: " + oneLine(ex));
            if (verboseRequested) {
                ex.printStackTrace(err);
            }
            err.flush();
            return ex instanceof CliException c ? c.exitCode : 1;
        });
        return cli.execute(args);
    }

    /**
     * @param value a measurement, e.g. milliseconds or Gbit/s
     * @return {@code value} rounded to 3 decimals, as the {@code --json} events carry fractions
     */
    static double round3(double value) {
        return Math.round(value * 1000.0) / 1000.0;
    }

    static String oneLine(Throwable ex) {
        String message = ex.getMessage();
        if (!(ex instanceof CliException) && !(ex instanceof CrossdialException)) {
            message = ex.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        }
        return message == null ? ex.toString() : message.replace('\n', ' ');
    }
}
