package io.crossdial.cli.lab;

import io.crossdial.cli.Await;
import io.crossdial.core.CrossdialException;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.Role;
import io.crossdial.host.Connection;
import io.crossdial.host.Direction;
import io.crossdial.host.Host;
import io.crossdial.host.protocol.EchoClient;
import io.crossdial.host.protocol.EchoResponder;
import io.crossdial.host.protocol.PingClient;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.lab.JsonLines;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.simopen.SimopenMode;
import io.crossdial.simopen.SimopenResult;
import io.crossdial.transport.tcp.TcpTransportConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code crossdial lab-peer} (hidden): a crossdial peer driven by JSON lines, for the network-namespace lab.
 *
 * <p>Commands on stdin, one JSON object per line; answers on stdout, one per line; logs only on stderr.
 * <pre>
 * {"cmd":"listen","port":P}        -&gt; {"event":"listening","peerId":..,"multiaddr":"/ip4/IP/tcp/P/p2p/.."}
 *     (re)starts the host, same identity every time, port reuse on, serving ping, identify and echo
 * {"cmd":"dial","addr":MA,"peerAddrs":[MA..],"echoBytes":N}
 *                                  -&gt; {"event":"dialing","synSent":..} once its socket is in SYN_SENT, then
 *                                     {"event":"dialed","ok":..,"detected":..,"detection":..,"resolution":..,
 *                                      "role":..,"select":{"local":..,"remote":..},"selectRounds":..,
 *                                      "redials":..,"usableMs":..,"localAddr":..,"remoteAddr":..,
 *                                      "inboundAccepted":..,"ping":..,"pingRttMs":..,"echo":..,"error":..}
 * {"cmd":"connections"}            -&gt; {"event":"connections","count":n,"list":[{..}]}
 * {"cmd":"close"}                  -&gt; {"event":"closed"}
 * </pre>
 * A malformed command answers {@code {"event":"error","message":..}}; end of stdin closes the host and exits.
 * {@code usableMs} runs from the {@code Host.dial} call to the upgraded connection (JVM start-up is not in
 * it). For the lab's timeline the {@code dialed} event also carries wall-clock instants in epoch microseconds
 * ({@code dialAtUs}, {@code tcpEstablishedAtUs} as seen in {@code /proc/net/tcp}, {@code usableAtUs} taken
 * on the event loop when the dial future completed, {@code pingAtUs}, {@code echoDoneAtUs}),
 * {@code resolvedAfterConnectMs} (from TCP connect to the role resolution), {@code connectedToUsableMs}
 * ({@code usableAtUs - tcpEstablishedAtUs} in ms; {@code /proc} is polled every 250 us, but on a busy host the
 * poll can see ESTABLISHED several ms late, so this is a lower bound: {@code SimopenLab.resolve} combines it with
 * {@code resolvedAfterConnectMs} and the other side's figures; null after a redial or when the connect was not
 * seen) and {@code pingRttMinMs} (the smallest of {@value #RTT_PINGS} pings on the connection, the first of
 * which is {@code pingRttMs}).
 */
@Command(name = "lab-peer", mixinStandardHelpOptions = true, versionProvider = io.crossdial.cli.Main.Version.class, hidden = true,
        description = "A crossdial peer driven by JSON lines on stdin (for the network-namespace lab)")
public final class LabPeerCommand implements Callable<Integer> {
    /** The longest command line the peer accepts, in chars (commands are small). */
    static final int MAX_COMMAND_CHARS = 64 * 1024;
    /** How long a dial, with its redials, may take before the peer reports it failed. */
    static final Duration DIAL_TIMEOUT = Duration.ofSeconds(14);
    /** How long the ping and the echo may each take. */
    static final Duration CHECK_TIMEOUT = Duration.ofSeconds(10);
    /** How long {@code dial} waits to see its socket in SYN_SENT before it says {@code dialing} anyway. */
    static final Duration CONNECTING_WAIT = Duration.ofSeconds(5);
    /** How many pings {@code pingRttMinMs} is the smallest of (the first one is {@code pingRttMs}). */
    static final int RTT_PINGS = 5;
    /** The largest echo a dial command may ask for. */
    static final int MAX_ECHO_BYTES = 64 << 20;

    @Option(names = "--ip", required = true, paramLabel = "IP", description = "The IPv4 address to listen on")
    String ip;

    @Option(names = "--key", paramLabel = "FILE", description = "Identity key file; default: a new Ed25519 key")
    Path keyFile;

    @Option(names = "--simopen", paramLabel = "MODE", description = "poison (default), spec or off")
    String simopen = "poison";

    @Option(names = "--security", paramLabel = "NAME", description = "noise (default) or tls: the security"
            + " transport proposed first; the other is accepted too, and mplex after yamux")
    String security = "noise";

    private final PrintStream out = System.out;
    private final ExecutorService work = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "lab-peer-work");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger inboundAccepted = new AtomicInteger();
    private PrivateKey identity;
    private SimopenMode mode;
    private volatile Host host;
    private volatile int listenPort;

    @Override
    public Integer call() throws IOException {
        mode = switch (simopen.toLowerCase(Locale.ROOT)) {
            case "poison" -> SimopenMode.POISON_BYTE;
            case "spec" -> SimopenMode.SPEC;
            case "off" -> SimopenMode.OFF;
            default -> throw new picocli.CommandLine.ParameterException(
                    new picocli.CommandLine(this), "--simopen must be poison, spec or off: " + simopen);
        };
        identity = keyFile == null ? Keys.generateEd25519() : loadKey(keyFile);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    handle(JsonLines.parseObject(line, MAX_COMMAND_CHARS, JsonLines.BigIntegers.REJECT));
                } catch (RuntimeException e) {
                    emit(event("error").with("message", oneLine(e)));
                }
            }
        } finally {
            closeHost();
            work.shutdownNow();
        }
        return 0;
    }

    private static PrivateKey loadKey(Path file) {
        try {
            return Keys.unmarshalPrivateKey(Files.readAllBytes(file));
        } catch (IOException | CrossdialException e) {
            throw new IllegalArgumentException("cannot read key file " + file + ": " + e.getMessage(), e);
        }
    }

    private void handle(Map<String, Object> cmd) {
        String name = JsonLines.string(cmd, "cmd");
        if (name == null) {
            throw new IllegalArgumentException("a command needs \"cmd\"");
        }
        switch (name) {
            case "listen" -> listen((int) JsonLines.number(cmd, "port", 0));
            case "dial" -> dial(cmd);
            case "connections" -> connections();
            case "close" -> {
                closeHost();
                emit(event("closed"));
            }
            default -> throw new IllegalArgumentException("unknown command '" + name + "'");
        }
    }

    /** @return the security transports in preference order: {@code --security} first, then the other */
    private List<io.crossdial.core.spi.SecurityTransport> securityTransports() {
        io.crossdial.core.spi.SecurityTransport noise = new NoiseSecurityTransport();
        io.crossdial.core.spi.SecurityTransport tls = new io.crossdial.security.tls.TlsSecurityTransport();
        return switch (security) {
            case "noise" -> List.of(noise, tls);
            case "tls" -> List.of(tls, noise);
            default -> throw new IllegalArgumentException("--security must be noise or tls: " + security);
        };
    }

    private void listen(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        closeHost();
        inboundAccepted.set(0);
        io.crossdial.host.HostBuilder b = Host.builder()
                .identity(identity)
                .listen(Multiaddr.fromString("/ip4/" + ip + "/tcp/" + port));
        securityTransports().forEach(b::security);
        Host h = b
                .muxer(new YamuxStreamMuxer())
                .muxer(new io.crossdial.muxer.mplex.MplexStreamMuxer())
                .simopenMode(mode)
                .transportConfig(TcpTransportConfig.defaults().withPortReuse(true))
                .protocol(ProtocolIds.ECHO, connection -> new EchoResponder())
                .onConnection(c -> {
                    if (c.direction() == Direction.INBOUND) {
                        inboundAccepted.incrementAndGet();
                    }
                })
                .onInboundFailure((addr, cause) -> inboundAccepted.incrementAndGet())
                .agentVersion("crossdial-lab-peer/0.1.0")
                .build()
                .start();
        host = h;
        Multiaddr bound = h.listenAddrs().get(0);
        listenPort = bound.toSocketAddress().getPort();
        emit(event("listening").with("peerId", h.peerId().toString())
                .with("multiaddr", bound.withPeerId(h.peerId()).toString()));
    }

    private void dial(Map<String, Object> cmd) {
        Host h = host;
        if (h == null) {
            throw new IllegalStateException("dial before listen");
        }
        Multiaddr addr = Multiaddr.fromString(require(cmd, "addr"));
        long echoBytes = JsonLines.number(cmd, "echoBytes", 1 << 20);
        if (echoBytes < 0 || echoBytes > MAX_ECHO_BYTES) {
            throw new IllegalArgumentException("echoBytes must be in [0, " + MAX_ECHO_BYTES + "]: " + echoBytes);
        }
        PeerId remote = addr.peerId();
        if (cmd.get("peerAddrs") instanceof List<?> list && !list.isEmpty()) {
            if (remote == null) {
                throw new IllegalArgumentException("peerAddrs need an addr with /p2p/");
            }
            List<Multiaddr> others = new ArrayList<>();
            for (Object o : list) {
                others.add(Multiaddr.fromString(String.valueOf(o)));
            }
            h.addPeerAddresses(remote, others);
        }
        InetSocketAddress target = addr.toSocketAddress();
        TcpStateWatch watch = TcpStateWatch.start(listenPort, target.getPort());
        long dialAtUs = nowMicros();
        long start = System.nanoTime();
        CompletableFuture<Connection> future = h.dial(addr);
        // the instant the upgrade completed, taken on the event loop (not after a worker thread woke up)
        java.util.concurrent.atomic.AtomicLong doneAtUs = new java.util.concurrent.atomic.AtomicLong();
        future.whenComplete((done, failure) -> doneAtUs.compareAndSet(0, nowMicros()));
        // connect() runs on an event loop: tell the controller only once the SYN is out (SYN_SENT), so that
        // the links do not come up before both sockets are connecting
        boolean synSent = watch.awaitConnecting(future, CONNECTING_WAIT);
        emit(event("dialing").with("synSent", synSent).with("synSentAtUs", watch.synSentAtUs()));
        work.execute(() -> finishDial(h, future, start, dialAtUs, doneAtUs, (int) echoBytes, watch));
    }

    private void finishDial(Host h, CompletableFuture<Connection> future, long start, long dialAtUs,
            java.util.concurrent.atomic.AtomicLong doneAtUs, int echoBytes, TcpStateWatch watch) {
        Event e = event("dialed");
        Connection c;
        try {
            c = Await.result(future, DIAL_TIMEOUT.toMillis(), "dial");
        } catch (RuntimeException ex) {
            watch.stop();
            emit(e.with("ok", false).with("detected", false).with("detection", "NONE").with("resolution", "none")
                    .with("usableMs", null).with("inboundAccepted", inboundAccepted.get()).with("ping", false)
                    .with("echo", false).with("error", oneLine(ex)).with("dialAtUs", dialAtUs)
                    .with("tcpEstablishedAtUs", watch.establishedAtUs()));
            return;
        }
        long usableNanos = System.nanoTime() - start;
        long usableAtUs = doneAtUs.get() != 0 ? doneAtUs.get() : nowMicros();
        watch.stop();
        Long establishedAtUs = watch.establishedAtUs();
        // the watched socket is the one from the listen port to the dialed port: after a redial the usable
        // connection is another one, whose connect instant is unknown
        Double connectedToUsableMs = establishedAtUs == null || c.redials() > 0
                ? null : (usableAtUs - establishedAtUs) / 1e3;
        SimopenResult r = c.simopen();
        boolean detected = r != null && r.simultaneousOpen();
        String resolution = c.redials() > 0 ? "redial" : detected ? "in-band" : "none";
        Map<String, Object> select = new LinkedHashMap<>();
        select.put("local", r == null ? "0" : Long.toUnsignedString(r.localNonce()));
        select.put("remote", r == null ? "0" : Long.toUnsignedString(r.remoteNonce()));
        InetSocketAddress local = (InetSocketAddress) c.channel().localAddress();
        InetSocketAddress remote = (InetSocketAddress) c.channel().remoteAddress();
        e.with("ok", true).with("detected", detected)
                .with("detection", r == null ? "NONE" : r.detection().name())
                .with("resolution", resolution)
                .with("role", c.role() == Role.INITIATOR ? "initiator" : "responder")
                .with("select", select)
                .with("selectRounds", r == null ? 0 : r.selectRounds())
                .with("resolvedAfterConnectMs", r == null ? null : r.elapsedNanos() / 1e6)
                .with("redials", c.redials())
                .with("usableMs", usableNanos / 1e6)
                .with("localAddr", c.localAddr().toString()).with("localPort", local.getPort())
                .with("remoteAddr", c.remoteAddr().toString()).with("remotePort", remote.getPort())
                .with("remotePeer", c.remotePeer().toString())
                .with("security", c.security()).with("muxer", c.muxer())
                .with("dialAtUs", dialAtUs).with("tcpEstablishedAtUs", watch.establishedAtUs())
                .with("usableAtUs", usableAtUs)
                .with("connectedToUsableMs", connectedToUsableMs);
        List<String> errors = new ArrayList<>();
        try {
            PingClient ping = Await.result(c.newStream(s -> new PingClient(s, CHECK_TIMEOUT), ProtocolIds.PING),
                    CHECK_TIMEOUT.toMillis(), "ping stream");
            long rtt = Await.result(ping.ping(), CHECK_TIMEOUT.toMillis(), "ping");
            long pingAtUs = nowMicros();
            long minRtt = rtt;
            for (int i = 1; i < RTT_PINGS; i++) {
                minRtt = Math.min(minRtt, Await.result(ping.ping(), CHECK_TIMEOUT.toMillis(), "ping"));
            }
            ping.close();
            e.with("ping", true).with("pingRttMs", rtt / 1e6).with("pingAtUs", pingAtUs)
                    .with("pingRttMinMs", minRtt / 1e6);
        } catch (RuntimeException ex) {
            e.with("ping", false);
            errors.add("ping: " + oneLine(ex));
        }
        try {
            byte[] data = new byte[echoBytes];
            new SecureRandom().nextBytes(data);
            long echoStart = System.nanoTime();
            EchoClient echo = Await.result(c.newStream(s -> new EchoClient(s, CHECK_TIMEOUT), ProtocolIds.ECHO),
                    CHECK_TIMEOUT.toMillis(), "echo stream");
            byte[] back = Await.result(echo.echo(data), CHECK_TIMEOUT.toMillis(), "echo");
            boolean same = Arrays.equals(data, back);
            e.with("echo", same).with("echoBytes", echoBytes).with("echoMs", (System.nanoTime() - echoStart) / 1e6)
                    .with("echoDoneAtUs", nowMicros());
            if (!same) {
                errors.add("echo: the bytes came back different");
            }
        } catch (RuntimeException ex) {
            e.with("echo", false);
            errors.add("echo: " + oneLine(ex));
        }
        e.with("inboundAccepted", inboundAccepted.get());
        e.with("error", errors.isEmpty() ? null : String.join("; ", errors));
        emit(e);
    }

    private void connections() {
        Host h = host;
        List<Map<String, Object>> list = new ArrayList<>();
        if (h != null) {
            for (Connection c : h.connections()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("peer", c.remotePeer().toString());
                m.put("direction", c.direction().jsonName());
                m.put("localAddr", c.localAddr().toString());
                m.put("remoteAddr", c.remoteAddr().toString());
                m.put("role", c.role() == Role.INITIATOR ? "initiator" : "responder");
                list.add(m);
            }
        }
        emit(event("connections").with("count", list.size()).with("list", list));
    }

    private void closeHost() {
        Host h = host;
        host = null;
        if (h != null) {
            h.close();
        }
    }

    private static String require(Map<String, Object> cmd, String key) {
        String v = JsonLines.string(cmd, key);
        if (v == null) {
            throw new IllegalArgumentException("\"" + key + "\" is required");
        }
        return v;
    }

    private static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        return (m == null ? e.getClass().getSimpleName() : m).replace('\n', ' ');
    }

    private void emit(Event e) {
        String line = JsonLines.write(e.fields);
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }

    private static Event event(String name) {
        return new Event().with("event", name);
    }

    /** An answer being built, fields in insertion order. */
    private static final class Event {
        final Map<String, Object> fields = new LinkedHashMap<>();

        Event with(String key, Object value) {
            fields.put(key, value);
            return this;
        }
    }

    /**
     * Watches this namespace's {@code /proc/net/tcp} and {@code tcp6} (NIO sockets are dual-stack) every 250 us, from the dial until the dial is done,
     * for the socket from the listen port to the dialed port: when it entered SYN_SENT (its connect() was
     * issued) and when it was first seen ESTABLISHED or past it (the kernel completed the crossed handshake), in epoch
     * microseconds (null if not seen).
     */
    private static final class TcpStateWatch {
        private static final List<Path> PROC_NET_TCP = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
        private static final long MAX_WATCH_NANOS = TimeUnit.SECONDS.toNanos(15);
        private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(250);
        private static final String SYN_RECV = "03";
        private static final String SYN_SENT = "02";
        private final String localPortHex;
        private final String remotePortHex;
        private final java.util.concurrent.CountDownLatch connecting = new java.util.concurrent.CountDownLatch(1);
        private volatile boolean stopped;
        private volatile Long synSentAtUs;
        private volatile Long establishedAtUs;

        private TcpStateWatch(int localPort, int remotePort) {
            this.localPortHex = String.format(Locale.ROOT, ":%04X", localPort);
            this.remotePortHex = String.format(Locale.ROOT, ":%04X", remotePort);
        }

        static TcpStateWatch start(int localPort, int remotePort) {
            TcpStateWatch w = new TcpStateWatch(localPort, remotePort);
            if (localPort > 0 && Files.isReadable(PROC_NET_TCP.get(0))) {
                Thread t = new Thread(w::run, "lab-peer-tcp-watch");
                t.setDaemon(true);
                // above the event loops, so that a busy host does not delay seeing ESTABLISHED (the lab starts
                // the peer with -XX:ThreadPriorityPolicy=1 as root, which makes Java priorities nice values)
                t.setPriority(Thread.MAX_PRIORITY);
                t.start();
            } else {
                w.stop();
            }
            return w;
        }

        private void run() {
            long deadline = System.nanoTime() + MAX_WATCH_NANOS;
            try {
                while (!stopped && System.nanoTime() < deadline) {
                    List<String> lines = new ArrayList<>();
                    for (Path file : PROC_NET_TCP) {
                        if (Files.isReadable(file)) {
                            lines.addAll(Files.readAllLines(file, StandardCharsets.US_ASCII));
                        }
                    }
                    for (String line : lines) {
                        String[] f = line.trim().split("\\s+");
                        if (f.length <= 3 || !f[1].endsWith(localPortHex) || !f[2].endsWith(remotePortHex)) {
                            continue;
                        }
                        if (f[3].equals(SYN_SENT) && synSentAtUs == null) {
                            synSentAtUs = nowMicros();
                            connecting.countDown();
                        } else if (!f[3].equals(SYN_SENT) && !f[3].equals(SYN_RECV)) {
                            // ESTABLISHED, or a closing state only an established connection reaches (a
                            // connection failed within a millisecond shows up as FIN_WAIT/TIME_WAIT)
                            establishedAtUs = nowMicros();
                            connecting.countDown();
                            return;
                        }
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(POLL_NANOS);
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                }
            } catch (IOException e) {
                // no /proc view: nothing to report
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                connecting.countDown();
            }
        }

        /**
         * Waits until the socket was seen in SYN_SENT or ESTABLISHED, the watch ended, or the dial finished.
         *
         * @return whether the socket was seen connecting
         */
        boolean awaitConnecting(java.util.concurrent.Future<?> dial, Duration max) {
            long deadline = System.nanoTime() + max.toNanos();
            try {
                while (System.nanoTime() < deadline && !dial.isDone()) {
                    if (connecting.await(5, TimeUnit.MILLISECONDS)) {
                        break;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return synSentAtUs != null || establishedAtUs != null;
        }

        void stop() {
            stopped = true;
            connecting.countDown();
        }

        Long synSentAtUs() {
            return synSentAtUs;
        }

        Long establishedAtUs() {
            return establishedAtUs;
        }
    }
}
