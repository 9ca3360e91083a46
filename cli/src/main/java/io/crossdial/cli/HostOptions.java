package io.crossdial.cli;

import io.crossdial.core.CrossdialException;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.SecurityTransport;
import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.host.Host;
import io.crossdial.host.HostBuilder;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/** Options shared by the commands that run a host: identity, security, muxer. */
final class HostOptions {
    /** Security transports by name and by protocol ID. */
    static final Map<String, Supplier<SecurityTransport>> SECURITY = Map.of(
            "noise", NoiseSecurityTransport::new,
            NoiseSecurityTransport.PROTOCOL_ID, NoiseSecurityTransport::new);
    /** Muxers by name and by protocol ID. */
    static final Map<String, Supplier<StreamMuxer>> MUXERS = Map.of(
            "yamux", YamuxStreamMuxer::new,
            YamuxStreamMuxer.PROTOCOL_ID, YamuxStreamMuxer::new);

    @Option(names = "--key", paramLabel = "FILE",
            description = "Identity key file (protobuf PrivateKey, as written by keygen); default: a new Ed25519 key")
    Path keyFile;

    @Option(names = "--security", paramLabel = "NAME", split = ",",
            description = "Security transports in preference order (noise); default: noise")
    List<String> security = new ArrayList<>(List.of("noise"));

    @Option(names = "--muxer", paramLabel = "NAME", split = ",",
            description = "Stream muxers in preference order (yamux); default: yamux")
    List<String> muxers = new ArrayList<>(List.of("yamux"));

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
        for (String name : security) {
            Supplier<SecurityTransport> s = SECURITY.get(name);
            if (s == null) {
                throw new CliException("unsupported security transport '" + name + "'; supported: noise", 2, null);
            }
            b.security(s.get());
        }
        for (String name : muxers) {
            Supplier<StreamMuxer> m = MUXERS.get(name);
            if (m == null) {
                throw new CliException("unsupported stream muxer '" + name + "'; supported: yamux", 2, null);
            }
            b.muxer(m.get());
        }
        listen.forEach(b::listen);
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
