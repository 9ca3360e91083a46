package io.crossdial.interop;

import static org.junit.jupiter.api.Assertions.fail;

import io.crossdial.lab.JsonLines;
import io.crossdial.lab.LabException;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;

/**
 * The js-libp2p test peer ({@code interop-tests/js/peer.mjs}) as a child process: starts {@code node} with
 * a command ({@code listen}, {@code serve}, {@code dial}), collects the JSON lines it prints on stdout,
 * keeps the tail of its stderr for failure messages, and writes {@code serve} commands to its stdin.
 *
 * <p>Every wait is bounded. {@link #close()} closes stdin (the peer stops on EOF), then destroys the process
 * if it has not exited within 5 s. {@link #closeAll()} does that for every peer still running; tests call
 * it in {@code @AfterEach}. Thread-safe.
 */
final class JsPeer implements AutoCloseable {
    /** How long a {@code listen}/{@code serve} peer may take to print its {@code listening} line, ms. */
    static final long START_TIMEOUT_MILLIS = 15_000;
    private static final int STDERR_TAIL_CHARS = 8192;
    /** The longest line the js peer may print (its largest line, `dialed`, is a few KiB). */
    static final int MAX_LINE_CHARS = 1 << 20;
    private static final Set<JsPeer> RUNNING = ConcurrentHashMap.newKeySet();

    private final String description;
    private final Process process;
    private final OutputStream stdin;
    private final List<Map<String, Object>> lines = new ArrayList<>();
    private final StringBuilder stderrTail = new StringBuilder();
    private boolean stdoutEnded;

    private JsPeer(List<String> args) {
        Path dir = jsDir();
        List<String> command = new ArrayList<>();
        command.add(node().toString());
        command.add(dir.resolve("peer.mjs").toString());
        command.addAll(args);
        this.description = "node peer.mjs " + String.join(" ", args);
        try {
            process = new ProcessBuilder(command).directory(dir.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + description, e);
        }
        RUNNING.add(this);
        stdin = process.getOutputStream();
        Thread out = new Thread(() -> readStdout(process.getInputStream()), "js-peer-stdout");
        out.setDaemon(true);
        out.start();
        Thread err = new Thread(() -> readStderr(process.getErrorStream()), "js-peer-stderr");
        err.setDaemon(true);
        err.start();
    }

    // ---- locating node and the js peer ----------------------------------------------------------------

    /** @return {@code interop-tests/js}, from the module basedir (surefire's {@code basedir}, else the cwd) */
    static Path jsDir() {
        String base = System.getProperty("basedir", System.getProperty("user.dir"));
        Path module = Path.of(base).toAbsolutePath();
        Path dir = module.resolve("js");
        if (!Files.isRegularFile(dir.resolve("peer.mjs"))) {
            dir = module.resolve("interop-tests").resolve("js"); // run from the repository root
        }
        return dir;
    }

    /** @return the {@code node} executable on PATH, or null */
    static Path node() {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String entry : path.split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(entry, "node");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Skips the calling test when node or the js peer's npm packages are missing, with the reason; in CI
     * ({@code CI=true}, where {@code .ci/install-deps.sh} installs both) fails instead.
     */
    static void requireAvailable() {
        String problem = null;
        if (node() == null) {
            problem = "node is not on PATH (the js-libp2p interop tests need Node.js >= 20)";
        } else if (!Files.isRegularFile(jsDir().resolve("peer.mjs"))) {
            problem = "the js peer is missing: " + jsDir().resolve("peer.mjs");
        } else if (!Files.isDirectory(jsDir().resolve("node_modules"))) {
            problem = "the js peer's packages are not installed: run `npm ci` in " + jsDir()
                    + " (or `bash .ci/install-deps.sh`)";
        }
        if (problem == null) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("CI=true, so the js-libp2p interop tests must run, but " + problem);
        }
        Assumptions.abort("js-libp2p interop skipped: " + problem);
    }

    // ---- starting -------------------------------------------------------------------------------------

    /**
     * Starts {@code peer.mjs listen} on 127.0.0.1 with a free port and waits for its {@code listening} line.
     *
     * @param extraArgs more options, e.g. {@code --security tls}
     */
    static JsPeer listen(String... extraArgs) {
        return started("listen", extraArgs);
    }

    /** Starts {@code peer.mjs relay} (a js-libp2p circuit relay v2 server) and waits for its {@code listening} line. */
    static JsPeer relay(String... extraArgs) {
        return started("relay", extraArgs);
    }

    /** Starts {@code peer.mjs serve} (listen + stdin commands) and waits for its {@code listening} line. */
    static JsPeer serve(String... extraArgs) {
        return started("serve", extraArgs);
    }

    private static JsPeer started(String command, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of(command, "--host", "127.0.0.1", "--port", "0"));
        args.addAll(List.of(extraArgs));
        JsPeer peer = new JsPeer(args);
        peer.await(e -> "listening".equals(e.get("event")), 0, START_TIMEOUT_MILLIS);
        return peer;
    }

    /**
     * Runs {@code peer.mjs dial ADDR ARGS} to completion.
     *
     * @param timeoutMillis how long the process may run; the peer also gets {@code --timeout-ms} a little below
     * @return the {@code dialed} line (check {@code ok})
     */
    static Map<String, Object> dial(String addr, long timeoutMillis, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("dial", addr, "--timeout-ms", Long.toString(timeoutMillis - 2000)));
        args.addAll(List.of(extraArgs));
        try (JsPeer peer = new JsPeer(args)) {
            return peer.await(e -> "dialed".equals(e.get("event")) || "error".equals(e.get("event")), 0, timeoutMillis);
        }
    }

    // ---- lines ---------------------------------------------------------------------------------------

    private void readStdout(InputStream in) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                Map<String, Object> event;
                try {
                    event = JsonLines.parseObject(line, MAX_LINE_CHARS, JsonLines.BigIntegers.REJECT);
                } catch (LabException e) {
                    event = Map.of("event", "unparsable", "line", line);
                }
                synchronized (this) {
                    lines.add(event);
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // the process is gone
        } finally {
            synchronized (this) {
                stdoutEnded = true;
                notifyAll();
            }
        }
    }

    private void readStderr(InputStream in) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (stderrTail) {
                    stderrTail.append(line).append('\n');
                    if (stderrTail.length() > STDERR_TAIL_CHARS) {
                        stderrTail.delete(0, stderrTail.length() - STDERR_TAIL_CHARS);
                    }
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    /** @return how many lines arrived so far: a mark for {@link #await(Predicate, int, long)} */
    synchronized int mark() {
        return lines.size();
    }

    /** @return a copy of every line so far */
    synchronized List<Map<String, Object>> lines() {
        return List.copyOf(lines);
    }

    /** @return the {@code listening} line */
    Map<String, Object> listening() {
        return await(e -> "listening".equals(e.get("event")), 0, 0);
    }

    /** @return the peer ID it listens as */
    String peerId() {
        return (String) listening().get("peerId");
    }

    /** @return its first listen multiaddr, with {@code /p2p/} */
    String multiaddr() {
        @SuppressWarnings("unchecked")
        List<Object> addrs = (List<Object>) listening().get("multiaddrs");
        return (String) addrs.get(0);
    }

    /**
     * Waits for the first line at index {@code >= from} that matches.
     *
     * @param from a {@link #mark()} taken before the action whose answer is awaited
     * @param timeoutMillis how long to wait, ms
     * @return the line
     * @throws AssertionError on timeout or when the peer ends first, with the lines and the stderr tail
     */
    synchronized Map<String, Object> await(Predicate<Map<String, Object>> matches, int from, long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        int i = from;
        while (true) {
            for (; i < lines.size(); i++) {
                if (matches.test(lines.get(i))) {
                    return lines.get(i);
                }
            }
            long left = deadline - System.nanoTime();
            if (stdoutEnded || left <= 0) {
                throw new AssertionError((stdoutEnded ? "the js peer ended" : "no matching line within "
                        + timeoutMillis + " ms") + " (" + description + ")" + diagnostics());
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for the js peer", e);
            }
        }
    }

    /** Sends one {@code serve} command (a JSON object) as a line on stdin. */
    void send(Map<String, Object> command) {
        try {
            synchronized (stdin) {
                stdin.write((JsonLines.write(command) + "\n").getBytes(StandardCharsets.UTF_8));
                stdin.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing to the js peer failed" + diagnostics(), e);
        }
    }

    /**
     * Sends {@code command} and waits for the first line whose {@code event} is {@code answer}.
     *
     * @return that line
     */
    Map<String, Object> request(Map<String, Object> command, String answer, long timeoutMillis) {
        int from = mark();
        send(command);
        return await(e -> answer.equals(e.get("event")), from, timeoutMillis);
    }

    /** @return the lines so far and the stderr tail, for failure messages */
    String diagnostics() {
        String err;
        synchronized (stderrTail) {
            err = stderrTail.toString();
        }
        StringBuilder b = new StringBuilder("\n--- js peer stdout ---\n");
        for (Map<String, Object> line : lines()) {
            String text = JsonLines.write(line);
            b.append(text, 0, Math.min(text.length(), 2000)).append('\n');
        }
        return b.append("--- js peer stderr (tail) ---\n").append(err).toString();
    }

    /** Closes stdin, waits up to 5 s for the peer to exit, then kills it. Idempotent. */
    @Override
    public void close() {
        RUNNING.remove(this);
        try {
            stdin.close();
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(2, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Stops every js peer still running. */
    static void closeAll() {
        for (JsPeer p : List.copyOf(RUNNING)) {
            p.close();
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
