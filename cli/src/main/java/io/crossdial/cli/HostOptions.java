package io.crossdial.cli;

import io.crossdial.core.CrossdialException;
import io.crossdial.core.crypto.CryptoProvider;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.SecurityTransport;
import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.host.Host;
import io.crossdial.host.HostBuilder;
import io.crossdial.transport.tcp.InboundRateLimit;
import io.crossdial.transport.tcp.TcpTransportConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** Options shared by the commands that run a host: identity, security, muxer, listener shards and limits. */
final class HostOptions {
    /** Security transports found through ServiceLoader, in discovery order. */
    static List<SecurityTransport> availableSecurity() {
        List<SecurityTransport> out = new ArrayList<>();
        ServiceLoader.load(SecurityTransport.class).forEach(out::add);
        return out;
    }

    /** Stream muxers found through ServiceLoader, in discovery order. */
    static List<StreamMuxer> availableMuxers() {
        List<StreamMuxer> out = new ArrayList<>();
        ServiceLoader.load(StreamMuxer.class).forEach(out::add);
        return out;
    }

    static <T> T pick(List<T> available, String wanted, Function<T, String> name, Function<T, String> id,
            String what) {
        for (T t : available) {
            if (name.apply(t).equals(wanted) || id.apply(t).equals(wanted)) {
                return t;
            }
        }
        List<String> names = available.stream().map(t -> name.apply(t) + " (" + id.apply(t) + ")").toList();
        throw new CliException("unsupported " + what + " '" + wanted + "'; available: " + String.join(", ", names),
                2, null);
    }

    @Option(names = "--key", paramLabel = "FILE",
            description = "Identity key file (protobuf PrivateKey, as written by keygen); default: a new Ed25519 key")
    Path keyFile;

    @Option(names = "--security", paramLabel = "NAME", split = ",",
            description = "Security transports in preference order, by name or protocol ID (noise, tls); default: "
                    + "noise,tls (a listener accepts either, a dialer proposes noise first)")
    List<String> security = new ArrayList<>(List.of("noise", "tls"));

    @Option(names = "--muxer", paramLabel = "NAME", split = ",",
            description = "Stream muxers in preference order, by name or protocol ID (yamux, mplex); default: "
                    + "yamux,mplex (a listener accepts either, a dialer proposes yamux first)")
    List<String> muxers = new ArrayList<>(List.of("yamux", "mplex"));

    @Option(names = "--crypto-provider", paramLabel = "auto|jdk|conscrypt",
            description = "Where Noise's ChaCha20-Poly1305 comes from: auto (the JDK's where its intrinsics are on,"
                    + " else Conscrypt where its native library loads, else the JDK's), jdk, conscrypt; default auto")
    String cryptoProvider;

    @Option(names = "--shards", paramLabel = "N|auto",
            description = "Listen sockets per listen address (SO_REUSEPORT), each on its own accept thread; "
                    + "auto = one per processor; default 1")
    String shards = "1";

    @Option(names = "--backlog", paramLabel = "N",
            description = "Connections a listener holds before it has finished with them: half in the kernel's "
                    + "accept queue (listen(2), capped by net.core.somaxconn), half in their handshake; a "
                    + "listener that takes bursts of connections wants a larger one; default "
                    + TcpTransportConfig.DEFAULT_BACKLOG)
    int backlog = TcpTransportConfig.DEFAULT_BACKLOG;

    @Option(names = "--max-handshakes", paramLabel = "N",
            description = "Accepted connections per listener still in their handshake at once; at the limit the "
                    + "listener stops accepting until one finishes; default: half the backlog ("
                    + TcpTransportConfig.DEFAULT_BACKLOG / 2 + ")")
    int maxHandshakes;

    @Option(names = "--max-handshakes-per-address", paramLabel = "N",
            description = "Of those, at most N from one remote IP address; one more from it is closed at once; "
                    + "0 for no per-address limit; default " + TcpTransportConfig.DEFAULT_MAX_HANDSHAKES_PER_ADDRESS)
    int maxHandshakesPerAddress = TcpTransportConfig.DEFAULT_MAX_HANDSHAKES_PER_ADDRESS;

    @Option(names = "--inbound-rate-per-address", paramLabel = "RATE[/BURST]",
            description = "New inbound connections from one remote address (IPv4, or IPv6 /56): a burst of BURST "
                    + "at once, RATE a second after that; one more is reset at accept; 0 for no rate limit; default "
                    + "8/64")
    String inboundRate = "8/64";

    @Option(names = "--inbound-rate-exempt", paramLabel = "CIDR", split = ",",
            description = "Prefixes the inbound rate limit never applies to (repeatable or comma-separated); "
                    + "default 127.0.0.0/8,::1/128")
    List<String> inboundRateExempt = new ArrayList<>(InboundRateLimit.LOOPBACK);

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Open TCP connections at once, both directions; default: no limit")
    int maxConnections;

    @Option(names = "--max-connections-per-peer", paramLabel = "N",
            description = "Connections to one peer ID at once, both directions; default: no limit")
    int maxConnectionsPerPeer;

    TcpTransportConfig transportConfig() {
        int n;
        if (shards.equalsIgnoreCase("auto")) {
            n = Math.min(TcpTransportConfig.MAX_SHARDS, Runtime.getRuntime().availableProcessors());
        } else {
            try {
                n = Integer.parseInt(shards);
            } catch (NumberFormatException e) {
                throw new CliException("--shards must be a number or 'auto': " + shards, 2, e);
            }
        }
        try {
            return TcpTransportConfig.defaults().withShards(n).withBacklog(backlog).withMaxHandshakes(maxHandshakes)
                    .withMaxConnections(maxConnections).withMaxHandshakesPerAddress(maxHandshakesPerAddress)
                    .withInboundRateLimit(inboundRateLimit());
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2, e);
        }
    }

    private InboundRateLimit inboundRateLimit() {
        String[] parts = inboundRate.split("/", -1);
        double rate;
        int burst = InboundRateLimit.DEFAULT_BURST;
        try {
            if (parts.length > 2) {
                throw new NumberFormatException();
            }
            rate = Double.parseDouble(parts[0]);
            if (parts.length == 2) {
                burst = Integer.parseInt(parts[1]);
            }
        } catch (NumberFormatException e) {
            throw new CliException("--inbound-rate-per-address must be RATE or RATE/BURST (e.g. 8/64): "
                    + inboundRate, 2, e);
        }
        try {
            return new InboundRateLimit(rate, burst, inboundRateExempt);
        } catch (IllegalArgumentException e) {
            throw new CliException("--inbound-rate-per-address / --inbound-rate-exempt: " + e.getMessage(), 2, e);
        }
    }

    PrivateKey loadKey() {
        if (keyFile == null) {
            return Keys.generateEd25519();
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(keyFile);
        } catch (IOException e) {
            throw new CliException("cannot read key file " + keyFile + ": " + e.getMessage());
        }
        try {
            return Keys.unmarshalPrivateKey(bytes);
        } catch (CrossdialException e) {
            throw new CliException("key file " + keyFile + " is not a libp2p private key: " + e.getMessage());
        }
    }

    HostBuilder builder(List<Multiaddr> listen) {
        HostBuilder b = Host.builder().identity(loadKey());
        if (cryptoProvider != null) {
            try {
                CryptoProvider.select(CryptoProvider.Choice.parse(cryptoProvider));
            } catch (IllegalArgumentException e) {
                throw new CliException("--crypto-provider: " + e.getMessage(), 2, e);
            } catch (CryptoProvider.CryptoUnavailableException e) {
                throw new CliException("--crypto-provider " + cryptoProvider + ": " + e.getMessage(), 1, e);
            }
        }
        List<SecurityTransport> securityAvailable = availableSecurity();
        for (String name : security) {
            b.security(pick(securityAvailable, name, SecurityTransport::name, SecurityTransport::protocolId,
                    "security transport"));
        }
        List<StreamMuxer> muxersAvailable = availableMuxers();
        for (String name : muxers) {
            b.muxer(pick(muxersAvailable, name, StreamMuxer::name, StreamMuxer::protocolId, "stream muxer"));
        }
        listen.forEach(b::listen);
        b.transportConfig(transportConfig());
        try {
            b.maxConnectionsPerPeer(maxConnectionsPerPeer);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2, e);
        }
        return b;
    }

    static Multiaddr parse(String text) {
        try {
            return Multiaddr.fromString(text);
        } catch (CrossdialException e) {
            throw new CliException(e.getMessage(), 2, e);
        }
    }
}
