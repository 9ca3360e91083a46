package io.crossdial.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * One fresh network namespace with only its loopback interface (up), for experiments that need their own
 * per-namespace settings, e.g. {@code net.ipv4.tcp_migrate_req}, without touching the machine's.
 *
 * <pre>
 *   namespace crossdial-&lt;tag&gt;-&lt;pid&gt;-&lt;n&gt;-a:   lo 127.0.0.1/8 (up), nothing else
 * </pre>
 *
 * <p>The name follows {@link NetnsLab}'s pattern, so {@link NetnsLab#cleanupStale(String)} also removes
 * namespaces of killed runs. Needs what {@link NetnsLab#unavailableReason()} checks (Linux, root, iproute2).
 * Every {@code ip} call has the timeout {@link NetnsLab#IP_TIMEOUT}; failures throw {@link LabException}
 * carrying the command's stderr. {@link #close()} kills what still runs inside and deletes the namespace; it
 * also runs from a JVM shutdown hook.
 *
 * <p>Thread-safety: all methods may be called from any thread.
 */
public final class SoloNetns implements AutoCloseable {
    private static final Pattern SYSCTL_KEY = Pattern.compile("[a-z0-9_]+(\\.[a-z0-9_]+)+");

    private final String namespace;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread shutdownHook;

    private SoloNetns(String namespace) {
        this.namespace = namespace;
        this.shutdownHook = new Thread(this::closeQuietly, "crossdial-solo-netns-cleanup");
    }

    /**
     * Creates the namespace and brings its loopback up.
     *
     * @param tag a word naming the user, put in the name (lower-cased, letters and digits, at most 16
     *     characters; {@code "solo"} if nothing remains)
     * @return the namespace, to be closed by the caller (it is also removed at JVM exit)
     * @throws LabException if an {@code ip} command fails (the namespace is then removed again)
     */
    public static SoloNetns create(String tag) {
        String clean = Objects.requireNonNull(tag, "tag").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        if (clean.length() > 16) {
            clean = clean.substring(0, 16);
        }
        String name = NetnsLab.NAME_PREFIX + (clean.isEmpty() ? "solo" : clean) + "-" + ProcessHandle.current().pid()
                + "-" + NetnsLab.nextNumber() + "-a";
        SoloNetns ns = new SoloNetns(name);
        Runtime.getRuntime().addShutdownHook(ns.shutdownHook);
        try {
            NetnsLab.ip("netns", "add", name);
            NetnsLab.ip("-n", name, "link", "set", "dev", "lo", "up");
        } catch (RuntimeException e) {
            ns.closeQuietly();
            throw e;
        }
        return ns;
    }

    /** @return the namespace's name, for {@code ip netns exec} */
    public String namespace() {
        return namespace;
    }

    /**
     * Sets a sysctl inside this namespace only, by writing {@code /proc/sys/<key with dots as slashes>} from a
     * shell run in it (no dependency on procps).
     *
     * @param key e.g. {@code net.ipv4.tcp_migrate_req}
     * @param value e.g. {@code 1}
     * @throws IllegalArgumentException if the key or value is not plain (letters, digits, dots, underscores)
     * @throws LabException if the write fails (e.g. the kernel has no such setting; stderr in the message)
     */
    public void sysctl(String key, String value) {
        if (!SYSCTL_KEY.matcher(key).matches() || !value.matches("[0-9A-Za-z_]+")) {
            throw new IllegalArgumentException("not a plain sysctl setting: " + key + "=" + value);
        }
        requireOpen();
        Exec.check(List.of(NetnsLab.ipCommand(), "netns", "exec", namespace, "sh", "-c",
                "echo " + value + " > /proc/sys/" + key.replace('.', '/')), NetnsLab.IP_TIMEOUT);
    }

    /**
     * Reads a sysctl as seen inside this namespace.
     *
     * @param key e.g. {@code net.ipv4.tcp_migrate_req}
     * @return its value, trimmed
     * @throws IllegalArgumentException if the key is not plain
     * @throws LabException if the read fails
     */
    public String readSysctl(String key) {
        if (!SYSCTL_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("not a plain sysctl key: " + key);
        }
        requireOpen();
        return Exec.check(List.of(NetnsLab.ipCommand(), "netns", "exec", namespace, "cat",
                "/proc/sys/" + key.replace('.', '/')), NetnsLab.IP_TIMEOUT).strip();
    }

    /**
     * A process builder running {@code argv} inside this namespace ({@code ip netns exec NS argv...}).
     *
     * @param argv the command and its arguments
     * @return a builder for the caller to start, e.g. with {@link LabPeer#start}
     * @throws IllegalArgumentException if {@code argv} is empty
     */
    public ProcessBuilder command(List<String> argv) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        List<String> full = new ArrayList<>(List.of(NetnsLab.ipCommand(), "netns", "exec", namespace));
        full.addAll(argv);
        return new ProcessBuilder(full);
    }

    /**
     * Kills every process still inside the namespace and deletes it. Idempotent.
     *
     * @throws LabException if the namespace could not be removed
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // called from the hook itself or during shutdown
        }
        if (NetnsLab.listNamespaces().contains(namespace)) {
            NetnsLab.removeNamespace(namespace);
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("crossdial lab: " + e.getMessage());
        }
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new LabException("the namespace " + namespace + " is closed");
        }
    }
}
