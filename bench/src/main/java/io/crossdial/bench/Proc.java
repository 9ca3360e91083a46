package io.crossdial.bench;

import io.crossdial.lab.JsonLines;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child process of the runner that speaks JSON lines on stdout: lines that parse as JSON objects are
 * queued, anything else is ignored; stderr goes to a log file. {@link #close()} closes stdin, waits a
 * little, then destroys the process (and only its descendants).
 */
final class Proc implements AutoCloseable {
    private final Process process;
    private final Writer stdin;
    private final LinkedBlockingQueue<Map<String, Object>> lines = new LinkedBlockingQueue<>();
    private final String name;

    private Proc(String name, Process process) {
        this.name = name;
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    String t = line.trim();
                    if (t.startsWith("{")) {
                        try {
                            lines.add(JsonLines.parseObject(t, Integer.MAX_VALUE, JsonLines.BigIntegers.REJECT));
                        } catch (RuntimeException e) {
                            // not JSON after all
                        }
                    }
                }
            } catch (IOException e) {
                // process gone
            }
        }, "proc-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    static Proc start(String name, List<String> argv, Path stderrLog) {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.redirectError(ProcessBuilder.Redirect.appendTo(stderrLog.toFile()));
        try {
            return new Proc(name, pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + argv, e);
        }
    }

    /** @return the next JSON object whose "event" is {@code event}; fails on an "error" event or timeout */
    Map<String, Object> await(String event, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Map<String, Object> m;
            try {
                m = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(name + ": interrupted");
            }
            if (m == null) {
                throw new IllegalStateException(name + ": no '" + event + "' within " + timeout
                        + (process.isAlive() ? "" : " (exited " + process.exitValue() + ")"));
            }
            if (event.equals(m.get("event"))) {
                return m;
            }
            if ("error".equals(m.get("event"))) {
                throw new IllegalStateException(name + ": " + m.get("error"));
            }
        }
    }

    void send(String line) {
        try {
            stdin.write(line + "\n");
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": stdin closed", e);
        }
    }

    @Override
    public void close() {
        try {
            stdin.close();
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroy);
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
