package io.crossdial.host;

import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.SecurityTransport;
import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.multistream.MultistreamSelect;
import io.crossdial.transport.tcp.TcpTransportConfig;
import io.crossdial.upgrader.UpgraderConfig;
import io.netty.channel.ChannelHandler;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Configures a {@link Host}. Not thread-safe; {@link #build()} validates and copies.
 *
 * <pre>{@code
 * Host host = Host.builder()
 *         .identity(Keys.generateEd25519())
 *         .listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))
 *         .security(new NoiseSecurityTransport())
 *         .muxer(new YamuxStreamMuxer())
 *         .protocol("/echo/1.0.0", connection -> new MyEchoHandler())
 *         .build();
 * host.start();
 * }</pre>
 */
public final class HostBuilder {
    PrivateKey identity;
    final List<Multiaddr> listenAddrs = new ArrayList<>();
    final List<SecurityTransport> securityTransports = new ArrayList<>();
    final List<StreamMuxer> muxers = new ArrayList<>();
    final Map<String, StreamHandlerFactory> protocols = new LinkedHashMap<>();
    TcpTransportConfig transportConfig = TcpTransportConfig.defaults();
    long negotiationTimeoutMillis = UpgraderConfig.DEFAULT_NEGOTIATION_TIMEOUT_MILLIS;
    long handshakeTimeoutMillis = UpgraderConfig.DEFAULT_HANDSHAKE_TIMEOUT_MILLIS;
    long upgradeTimeoutMillis = UpgraderConfig.DEFAULT_UPGRADE_TIMEOUT_MILLIS;
    int maxInboundStreams = UpgraderConfig.DEFAULT_MAX_INBOUND_STREAMS;
    io.crossdial.upgrader.ConnectionGater connectionGater = io.crossdial.upgrader.ConnectionGater.ALLOW_ALL;
    io.crossdial.upgrader.ResourceManager resourceManager;
    io.crossdial.simopen.SimopenMode simopenMode = io.crossdial.simopen.SimopenMode.POISON_BYTE;
    String agentVersion = Host.DEFAULT_AGENT_VERSION;
    Consumer<Connection> connectionListener = c -> {};
    java.util.function.BiConsumer<java.net.SocketAddress, Throwable> inboundFailureListener = (a, e) -> {};
    Consumer<io.crossdial.transport.tcp.ListenerEvent> listenerEventListener = e -> {};
    int maxConnectionsPerPeer;
    io.crossdial.core.crypto.CryptoProvider.Choice cryptoProvider;
    io.micrometer.core.instrument.MeterRegistry meterRegistry;
    DnsaddrResolver dnsaddrResolver;
    boolean keepAlive = true;

    HostBuilder() {}

    /**
     * Where Noise's ChaCha20-Poly1305 comes from ({@link io.crossdial.core.crypto.CryptoProvider}): the choice
     * applies to the whole process, every host in it, from {@link #build()} on. Without this call the process
     * keeps what it has (the {@code crossdial.crypto.provider} system property, else {@code AUTO}: the fastest
     * that loads).
     *
     * @param choice {@code AUTO}, {@code JDK} or {@code CONSCRYPT}
     * @return this builder
     */
    public HostBuilder cryptoProvider(io.crossdial.core.crypto.CryptoProvider.Choice choice) {
        this.cryptoProvider = java.util.Objects.requireNonNull(choice, "choice");
        return this;
    }

    /**
     * @param key the identity key; the peer ID derives from it
     * @return this builder
     */
    public HostBuilder identity(PrivateKey key) {
        this.identity = key;
        return this;
    }

    /**
     * @param addrs listen multiaddrs such as {@code /ip4/0.0.0.0/tcp/4001}; port 0 picks a free port
     * @return this builder
     */
    public HostBuilder listen(Multiaddr... addrs) {
        listenAddrs.addAll(List.of(addrs));
        return this;
    }

    /**
     * @param transport a security transport; the first added is preferred
     * @return this builder
     */
    public HostBuilder security(SecurityTransport transport) {
        securityTransports.add(transport);
        return this;
    }

    /**
     * @param muxer a stream muxer; the first added is preferred
     * @return this builder
     */
    public HostBuilder muxer(StreamMuxer muxer) {
        muxers.add(muxer);
        return this;
    }

    /**
     * Serves a protocol on inbound streams. Ping and identify are always served.
     *
     * @param protocolId a protocol ID starting with {@code /}, without a newline, at most 1023 UTF-8 bytes
     * @param factory makes the handler for each inbound stream of that protocol
     * @return this builder
     * @throws IllegalArgumentException for an invalid protocol ID
     */
    public HostBuilder protocol(String protocolId, StreamHandlerFactory factory) {
        if (protocolId == null || !protocolId.startsWith("/")) {
            throw new IllegalArgumentException("protocol ID must start with '/': " + protocolId);
        }
        MultistreamSelect.checkProtocolIds(List.of(protocolId));
        protocols.put(protocolId, factory);
        return this;
    }

    /**
     * Serves a protocol with one shared handler.
     *
     * @param protocolId a protocol ID starting with {@code /}
     * @param handler a {@code @Sharable} handler
     * @return this builder
     */
    public HostBuilder protocol(String protocolId, ChannelHandler handler) {
        return protocol(protocolId, connection -> handler);
    }

    /**
     * @param config TCP settings (connect timeout, port reuse, backlog, threads, shards, handshake and
     *     connection limits)
     * @return this builder
     */
    public HostBuilder transportConfig(TcpTransportConfig config) {
        this.transportConfig = config;
        return this;
    }

    /**
     * @param negotiationMillis one multistream-select negotiation, ms
     * @param handshakeMillis the security handshake, ms
     * @param upgradeMillis the whole upgrade, ms
     * @return this builder
     */
    public HostBuilder timeouts(long negotiationMillis, long handshakeMillis, long upgradeMillis) {
        this.negotiationTimeoutMillis = negotiationMillis;
        this.handshakeTimeoutMillis = handshakeMillis;
        this.upgradeTimeoutMillis = upgradeMillis;
        return this;
    }

    /**
     * @param gater asked once the security handshake authenticated a connection's remote peer, before the
     *     stream muxer is installed, in both directions; a denied connection is closed ({@link
     *     io.crossdial.upgrader.ConnectionGater}); default {@link io.crossdial.upgrader.ConnectionGater#ALLOW_ALL}
     * @return this builder
     */
    public HostBuilder connectionGater(io.crossdial.upgrader.ConnectionGater gater) {
        if (gater == null) {
            throw new IllegalArgumentException("connection gater is required (ConnectionGater.ALLOW_ALL for none)");
        }
        this.connectionGater = gater;
        return this;
    }

    /**
     * @param manager reserves every connection once the gater let it through and before the stream muxer
     *     (global and per-peer connection limits by direction, memory for the muxer's windows and buffers)
     *     and every stream (per connection, per peer, global); a connection beyond a limit fails at
     *     {@link io.crossdial.upgrader.UpgradeStage#GATING} with a
     *     {@link io.crossdial.upgrader.ResourceLimitExceededException}, an inbound stream beyond one is
     *     reset ({@link io.crossdial.upgrader.ResourceManager}); default: a new
     *     {@link io.crossdial.upgrader.DefaultResourceManager} with
     *     {@link io.crossdial.upgrader.ResourceLimits#defaults()} (go-libp2p's rcmgr defaults, scaled to half
     *     the maximum heap) per host; {@link io.crossdial.upgrader.ResourceManager#UNLIMITED} for none
     * @return this builder
     */
    public HostBuilder resourceManager(io.crossdial.upgrader.ResourceManager manager) {
        if (manager == null) {
            throw new IllegalArgumentException("resource manager is required (ResourceManager.UNLIMITED for none)");
        }
        this.resourceManager = manager;
        return this;
    }

    /**
     * @param max streams the remote may have open at once per connection
     * @return this builder
     */
    public HostBuilder maxInboundStreams(int max) {
        this.maxInboundStreams = max;
        return this;
    }

    /**
     * @param mode how dials from a listen port detect a TCP simultaneous open ({@code specs/simopen.md});
     *     default {@link io.crossdial.simopen.SimopenMode#POISON_BYTE}
     * @return this builder
     */
    public HostBuilder simopenMode(io.crossdial.simopen.SimopenMode mode) {
        this.simopenMode = mode;
        return this;
    }

    /**
     * @param agentVersion what identify reports, e.g. {@code crossdial/0.1.0}
     * @return this builder
     */
    public HostBuilder agentVersion(String agentVersion) {
        this.agentVersion = agentVersion;
        return this;
    }

    /**
     * @param listener called on the connection's event loop for every new upgraded connection, both directions
     * @return this builder
     */
    public HostBuilder onConnection(Consumer<Connection> listener) {
        this.connectionListener = listener;
        return this;
    }

    /**
     * @param listener called on the connection's event loop when an accepted connection fails its upgrade,
     *     with the remote address and the typed failure ({@code UpgradeException} naming the stage); the
     *     connection is already closed
     * @return this builder
     */
    public HostBuilder onInboundFailure(java.util.function.BiConsumer<java.net.SocketAddress, Throwable> listener) {
        this.inboundFailureListener = listener;
        return this;
    }

    /**
     * @param listener called when a wildcard listen address gains or loses an interface address's listener,
     *     or one of its addresses cannot be bound (on the transport's listen control thread)
     * @return this builder
     */
    public HostBuilder onListenerEvent(Consumer<io.crossdial.transport.tcp.ListenerEvent> listener) {
        this.listenerEventListener = listener;
        return this;
    }

    /**
     * @param max upgraded connections to one peer ID at once, both directions; 0 = no limit. A connection
     *     over the limit is closed after its upgrade and fails with a
     *     {@link io.crossdial.transport.tcp.ConnectionLimitException} naming the limit (a dial's future, or
     *     {@link #onInboundFailure} for an inbound one)
     * @return this builder
     * @throws IllegalArgumentException when negative
     */
    public HostBuilder maxConnectionsPerPeer(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("maxConnectionsPerPeer must be >= 0 (0 = no limit): " + max);
        }
        this.maxConnectionsPerPeer = max;
        return this;
    }

    /**
     * @return a host, not yet listening: call {@link Host#start()}
     * @throws IllegalArgumentException when the identity, a security transport or a muxer is missing, or a
     *     limit is invalid
     * @throws io.crossdial.core.crypto.CryptoProvider.CryptoUnavailableException when {@link #cryptoProvider}
     *     asked for Conscrypt and its native library does not load
     */
    /**
     * Records the host's metrics (connections, upgrade stages, simultaneous opens, streams, bytes, yamux
     * window stalls; names in {@code specs/metrics.md}) into a Micrometer registry, for example a
     * {@code PrometheusMeterRegistry}. Without one nothing is recorded and no handler is added.
     *
     * @param registry the registry, or null for none
     * @return this builder
     */
    public HostBuilder metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        this.meterRegistry = registry;
        return this;
    }

    /**
     * How {@link Host#connect} resolves {@code /dnsaddr} multiaddrs; default {@link DnsaddrResolver#system()}.
     *
     * @param resolver the resolver
     * @return this builder
     */
    public HostBuilder dnsaddrResolver(DnsaddrResolver resolver) {
        this.dnsaddrResolver = resolver;
        return this;
    }

    /**
     * Whether TCP keepalive ({@code SO_KEEPALIVE}) is on for every connection, both directions, so the kernel
     * notices a peer that vanished without a FIN on an idle connection; default on, as in go-libp2p.
     *
     * @param on true to enable
     * @return this builder
     */
    public HostBuilder keepAlive(boolean on) {
        this.keepAlive = on;
        return this;
    }

    public Host build() {
        if (identity == null) {
            throw new IllegalArgumentException("an identity key is required");
        }
        if (cryptoProvider != null) {
            io.crossdial.core.crypto.CryptoProvider.select(cryptoProvider);
        }
        UpgraderConfig.Builder upgrader = UpgraderConfig.builder(identity)
                .negotiationTimeoutMillis(negotiationTimeoutMillis)
                .handshakeTimeoutMillis(handshakeTimeoutMillis)
                .upgradeTimeoutMillis(upgradeTimeoutMillis)
                .maxInboundStreams(maxInboundStreams)
                .simopenMode(simopenMode)
                .connectionGater(connectionGater)
                .resourceManager(resourceManager != null ? resourceManager
                        : io.crossdial.upgrader.DefaultResourceManager.withDefaults());
        securityTransports.forEach(upgrader::security);
        muxers.forEach(upgrader::muxer);
        return new Host(this, upgrader.build());
    }
}
