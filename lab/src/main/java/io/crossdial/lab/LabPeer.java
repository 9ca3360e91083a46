package io.crossdial.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.CodeSource;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A peer process driven through JSON lines: the controller writes one JSON object per line to the peer's
 * stdin, the peer answers with one JSON object per line on stdout.
 *
 * <p>Conventions: a command carries {@code "cmd"}, an answer or notification carries {@code "event"}; an
 * answer {@code {"event":"error","message":...}} makes {@link #awaitEvent} fail. Closing stdin asks the peer
 * to exit. The peer's stdout is read by a background thread; lines longer than {@link #MAX_LINE_CHARS} and
 * lines that are not one JSON object are skipped and noted in {@link #diagnostics()} (so a stray log line does
 * not break a run). stderr is kept up to its last {@link #MAX_STDERR_CHARS} characters and appears in every
 * exception message about this peer.
 *
 * <p>Thread-safety: {@link #send} and the receiving methods may be called from different threads; receiving
 * from several threads at once is allowed but each message goes to only one of them.
 */
public final class LabPeer implements AutoCloseable {
    /** The longest stdout line accepted, in chars; longer lines are skipped. */
    public static final int MAX_LINE_CHARS = 1 << 20;
    /** How many of the last stderr characters are kept. */
    public static final int MAX_STDERR_CHARS = 64 * 1024;
    /** How long {@link #close()} waits for the peer to exit after closing its stdin, before killing it. */
    public static final Duration EXIT_GRACE = Duration.ofSeconds(2);

    private final String name;
    private final Process process;
    private final OutputStream stdin;
    private final Object lock = new Object();
    private final Deque<Map<String, Object>> inbox = new ArrayDeque<>();
    private final StringBuilder stderr = new StringBuilder();
    private final StringBuilder diagnostics = new StringBuilder();
    private boolean stdoutEnded;
    private boolean closed;
    private Thread stderrReader;

    private LabPeer(String name, Process process) {
        this.name = name;
        this.process = process;
        this.stdin = process.getOutputStream();
    }

    /**
     * Starts the process described by {@code builder} (normally from {@link NetnsLab#command}) with piped
     * stdin, stdout and stderr.
     *
     * @param name a short label used in messages, e.g. {@code "A"}
     * @param builder the command; its stdin, stdout and stderr redirects are set to pipes here
     * @return the running peer, to be closed by the caller
     * @throws LabException if the process cannot be started
     */
    public static LabPeer start(String name, ProcessBuilder builder) {
        Objects.requireNonNull(name, "name");
        builder.redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.PIPE);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new LabException("cannot start peer " + name + " (`" + String.join(" ", builder.command())
                    + "`): " + e.getMessage(), e);
        }
        LabPeer peer = new LabPeer(name, process);
        peer.startReaders();
        return peer;
    }

    private void startReaders() {
        Thread out = new Thread(this::readStdout, "lab-peer-" + name + "-stdout");
        out.setDaemon(true);
        out.start();
        Thread err = new Thread(this::readStderr, "lab-peer-" + name + "-stderr");
        err.setDaemon(true);
        stderrReader = err;
        err.start();
    }

    /** @return the label given at start */
    public String name() {
        return name;
    }

    /** @return the operating-system process id of the peer */
    public long pid() {
        return process.pid();
    }

    /** @return whether the peer process still runs */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Writes {@code message} as one JSON line to the peer's stdin and flushes.
     *
     * @param message a map of strings, numbers, booleans, nulls, lists and maps
     * @throws LabException if the peer is closed or gone (with its stderr)
     */
    public void send(Map<String, ?> message) {
        byte[] line = (JsonLines.write(message) + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (stdin) {
            try {
                stdin.write(line);
                stdin.flush();
            } catch (IOException e) {
                throw failure("cannot send to peer " + name + " (" + e.getMessage() + ")", e);
            }
        }
    }

    /**
     * Takes the next message from the peer, waiting at most {@code timeout}.
     *
     * @param timeout the longest wait
     * @return the next JSON object the peer wrote
     * @throws LabException on timeout, or if the peer's stdout ended (both with its stderr)
     */
    public Map<String, Object> next(Duration timeout) {
        return take(null, timeout);
    }

    /**
     * Takes the first message whose {@code "event"} equals {@code event}, waiting at most {@code timeout}.
     * Other messages stay queued, in order, for later calls.
     *
     * @param event the awaited value of {@code "event"}
     * @param timeout the longest wait
     * @return the matching message
     * @throws LabException if an {@code "error"} event comes first (it is consumed; its message is in the
     *     exception), on timeout or if the peer's stdout ended (with its stderr)
     */
    public Map<String, Object> awaitEvent(String event, Duration timeout) {
        return take(Objects.requireNonNull(event, "event"), timeout);
    }

    private Map<String, Object> take(String event, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                for (Iterator<Map<String, Object>> it = inbox.iterator(); it.hasNext(); ) {
                    Map<String, Object> message = it.next();
                    Object kind = message.get("event");
                    if (event == null || event.equals(kind)) {
                        it.remove();
                        return message;
                    }
                    if ("error".equals(kind)) {
                        it.remove();
                        throw failure("peer " + name + " reported an error while awaiting '" + event + "': "
                                + JsonLines.write(message), null);
                    }
                }
                if (stdoutEnded) {
                    throw failure("peer " + name + " ended its output"
                            + (event == null ? "" : " before sending '" + event + "'"), null);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw failure("peer " + name + " sent no " + (event == null ? "message" : "'" + event + "'")
                            + " within " + timeout.toMillis() + " ms", null);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LabException("interrupted while waiting for peer " + name, e);
                }
            }
        }
    }

    /** @return the last (at most {@link #MAX_STDERR_CHARS}) characters the peer wrote to stderr */
    public String stderrTail() {
        synchronized (stderr) {
            return stderr.toString();
        }
    }

    /** @return notes about skipped stdout lines (not JSON, too long), bounded like stderr */
    public String diagnostics() {
        synchronized (diagnostics) {
            return diagnostics.toString();
        }
    }

    /**
     * Ends the peer: closes its stdin, waits up to {@link #EXIT_GRACE} for it to exit, then kills it and all
     * its descendants. Idempotent.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        synchronized (stdin) {
            try {
                stdin.close();
            } catch (IOException ignored) {
                // the peer is gone already
            }
        }
        try {
            if (!process.waitFor(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                List<ProcessHandle> tree = new ArrayList<>();
                process.descendants().forEach(tree::add);
                tree.forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private LabException failure(String what, Throwable cause) {
        StringBuilder message = new StringBuilder(what);
        boolean ended;
        synchronized (lock) {
            ended = stdoutEnded;
        }
        try {
            if (ended && process.waitFor(1, TimeUnit.SECONDS)) {
                stderrReader.join(1_000); // the process is gone: let its last stderr lines in
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!process.isAlive()) {
            message.append("; process exited with code ").append(process.exitValue());
        }
        String err = stderrTail().strip();
        message.append(err.isEmpty() ? "; stderr empty" : "; stderr:\n" + tail(err, 4000));
        String notes = diagnostics().strip();
        if (!notes.isEmpty()) {
            message.append("\nskipped stdout lines:\n").append(tail(notes, 2000));
        }
        return cause == null ? new LabException(message.toString()) : new LabException(message.toString(), cause);
    }

    private static String tail(String s, int max) {
        return s.length() <= max ? s : "..." + s.substring(s.length() - max);
    }

    private void readStdout() {
        try (Reader in = new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
            StringBuilder line = new StringBuilder();
            boolean overlong = false;
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    if (overlong) {
                        note("skipped a stdout line longer than " + MAX_LINE_CHARS + " chars");
                    } else {
                        deliver(line.toString());
                    }
                    line.setLength(0);
                    overlong = false;
                } else if (!overlong) {
                    if (line.length() >= MAX_LINE_CHARS) {
                        overlong = true;
                        line.setLength(0);
                    } else {
                        line.append((char) c);
                    }
                }
            }
            if (line.length() > 0 && !overlong) {
                deliver(line.toString());
            }
        } catch (IOException ignored) {
            // the process went away: treated as end of output
        } finally {
            synchronized (lock) {
                stdoutEnded = true;
                lock.notifyAll();
            }
        }
    }

    private void deliver(String line) {
        if (line.isBlank()) {
            return;
        }
        Map<String, Object> message;
        try {
            message = JsonLines.parseObject(line, MAX_LINE_CHARS, JsonLines.BigIntegers.ACCEPT);
        } catch (LabException e) {
            note("skipped a stdout line that is not a JSON object: " + JsonLines.abbreviate(line.strip()));
            return;
        }
        synchronized (lock) {
            inbox.addLast(message);
            lock.notifyAll();
        }
    }

    private void note(String text) {
        synchronized (diagnostics) {
            appendBounded(diagnostics, text + "\n");
        }
    }

    private void readStderr() {
        try (InputStream in = process.getErrorStream();
                Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            char[] buf = new char[4096];
            int n;
            while ((n = reader.read(buf)) >= 0) {
                synchronized (stderr) {
                    appendBounded(stderr, new String(buf, 0, n));
                }
            }
        } catch (IOException ignored) {
            // the process went away
        }
    }

    private static void appendBounded(StringBuilder sb, String text) {
        sb.append(text);
        if (sb.length() > MAX_STDERR_CHARS) {
            sb.delete(0, sb.length() - MAX_STDERR_CHARS);
        }
    }

    /**
     * Builds the command line of a Java peer run by the JVM this code runs in
     * ({@code <java.home>/bin/java jvmOptions -cp classpath mainClass args}), for {@link NetnsLab#command}.
     *
     * @param jvmOptions options placed before {@code -cp}, e.g. {@code -Xmx128m}
     * @param classpath the class path entries (directories or jars)
     * @param mainClass the fully qualified name of the class with {@code main}
     * @param args the program arguments
     * @return the argv, starting with the absolute path of the {@code java} binary
     */
    public static List<String> javaArgv(List<String> jvmOptions, List<Path> classpath, String mainClass,
            List<String> args) {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(jvmOptions);
        argv.add("-cp");
        StringBuilder cp = new StringBuilder();
        for (Path entry : classpath) {
            if (cp.length() > 0) {
                cp.append(java.io.File.pathSeparatorChar);
            }
            cp.append(entry.toAbsolutePath());
        }
        argv.add(cp.toString());
        argv.add(mainClass);
        argv.addAll(args);
        return argv;
    }

    /**
     * Where a class was loaded from (its jar or classes directory), to build a class path for
     * {@link #javaArgv}: e.g. {@code codeSourceOf(MyPeerMain.class)} and
     * {@code codeSourceOf(com.fasterxml.jackson.core.JsonFactory.class)}.
     *
     * @param type a class loaded from a jar or directory
     * @return that jar or directory
     * @throws IllegalArgumentException if the class has no file location (e.g. a JDK class)
     */
    public static Path codeSourceOf(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            throw new IllegalArgumentException(type.getName() + " has no code source");
        }
        try {
            return Path.of(source.getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(type.getName() + " has no file location: " + source.getLocation(), e);
        }
    }
}
