package io.crossdial.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a short external command (normally {@code ip}) with a timeout, capturing stdout and stderr up to
 * {@link #MAX_OUTPUT_BYTES} each. Thread-safe (stateless).
 */
final class Exec {
    /** Bytes kept of each of stdout and stderr; the rest is read and dropped. */
    static final int MAX_OUTPUT_BYTES = 64 * 1024;

    /** The outcome of one command. */
    record Result(List<String> argv, int exitCode, String stdout, String stderr) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    private Exec() {}

    /**
     * Runs {@code argv} and waits at most {@code timeout}.
     *
     * @throws LabException if the command cannot be started or does not finish in time (it is then killed)
     */
    static Result run(List<String> argv, Duration timeout) {
        Process process;
        try {
            process = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            throw new LabException("cannot start `" + String.join(" ", argv) + "`: " + e.getMessage(), e);
        }
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // the command reads no input; a failed close changes nothing
        }
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new LabException("`" + String.join(" ", argv) + "` did not finish within "
                        + timeout.toMillis() + " ms; stderr: " + err.getNow("").strip());
            }
            return new Result(List.copyOf(argv), process.exitValue(),
                    out.get(timeout.toMillis(), TimeUnit.MILLISECONDS),
                    err.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running `" + String.join(" ", argv) + "`", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new LabException("cannot read the output of `" + String.join(" ", argv) + "`", e);
        }
    }

    /**
     * Runs {@code argv} and fails unless it exits with 0.
     *
     * @return the command's stdout
     * @throws LabException on a non-zero exit (the message carries the command line and its stderr), on a
     *     timeout or if the command cannot be started
     */
    static String check(List<String> argv, Duration timeout) {
        Result result = run(argv, timeout);
        if (!result.ok()) {
            throw new LabException("`" + String.join(" ", argv) + "` failed with exit code " + result.exitCode()
                    + ": " + result.stderr().strip());
        }
        return result.stdout();
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> done = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            ByteArrayOutputStream kept = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    int room = MAX_OUTPUT_BYTES - kept.size();
                    if (room > 0) {
                        kept.write(buf, 0, Math.min(room, n));
                    }
                }
            } catch (IOException ignored) {
                // the process went away; keep what was read
            }
            done.complete(kept.toString(StandardCharsets.UTF_8));
        }, "lab-exec-drain");
        reader.setDaemon(true);
        reader.start();
        return done;
    }
}
