package io.crossdial.upgrader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PrivateKey;
import io.crossdial.core.spi.MuxedSession;
import io.crossdial.core.spi.MuxerContext;
import io.crossdial.core.spi.SecurityContext;
import io.crossdial.core.spi.SecurityTransport;
import io.crossdial.core.spi.StreamMuxer;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import io.crossdial.security.noise.NoiseSecurityTransport;
import io.crossdial.simopen.SimopenMode;
import io.netty.channel.ChannelPipeline;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UpgraderConfigTest {
    private static final PrivateKey KEY = Keys.generateEd25519();

    private static UpgraderConfig.Builder valid() {
        return UpgraderConfig.builder(KEY).security(new NoiseSecurityTransport()).muxer(new YamuxStreamMuxer());
    }

    private static SecurityTransport security(String id) {
        return new SecurityTransport() {
            @Override
            public String protocolId() {
                return id;
            }

            @Override
            public void install(ChannelPipeline pipeline, String beforeName, SecurityContext context) {
                throw new UnsupportedOperationException();
            }
        };
    }

    private static StreamMuxer muxer(String id) {
        return new StreamMuxer() {
            @Override
            public String protocolId() {
                return id;
            }

            @Override
            public MuxedSession install(ChannelPipeline pipeline, String beforeName, MuxerContext context) {
                throw new UnsupportedOperationException();
            }
        };
    }

    @Test
    void pinsTheDefaults() {
        UpgraderConfig c = valid().build();
        assertEquals(10_000, c.negotiationTimeoutMillis());
        assertEquals(10_000, c.handshakeTimeoutMillis());
        assertEquals(30_000, c.upgradeTimeoutMillis());
        assertEquals(1000, c.maxInboundStreams());
        assertEquals(SimopenMode.POISON_BYTE, c.simopenMode());
        assertEquals(List.of("/noise"), c.securityProtocolIds());
        assertEquals(List.of("/yamux/1.0.0"), c.muxerProtocolIds());
    }

    @Test
    void keepsThePreferenceOrderOfSecurityTransportsAndMuxers() {
        UpgraderConfig c = valid().security(security("/tls/1.0.0")).muxer(muxer("/mplex/6.7.0")).build();
        assertEquals(List.of("/noise", "/tls/1.0.0"), c.securityProtocolIds());
        assertEquals(List.of("/yamux/1.0.0", "/mplex/6.7.0"), c.muxerProtocolIds());
    }

    @Test
    void rejectsAMissingKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UpgraderConfig.builder(null));
        assertEquals("localKey is required", e.getMessage());
    }

    @Test
    void rejectsNoSecurityTransport() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UpgraderConfig.builder(KEY).muxer(new YamuxStreamMuxer()).build());
        assertEquals("at least one security transport is required", e.getMessage());
    }

    @Test
    void rejectsNoMuxer() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UpgraderConfig.builder(KEY).security(new NoiseSecurityTransport()).build());
        assertEquals("at least one stream muxer is required", e.getMessage());
    }

    @Test
    void rejectsDuplicateSecurityProtocolIds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> valid().security(security("/noise")).build());
        assertEquals("duplicate security protocol IDs: [/noise, /noise]", e.getMessage());
    }

    @Test
    void rejectsDuplicateMuxerProtocolIds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> valid().muxer(new YamuxStreamMuxer()).build());
        assertEquals("duplicate muxer protocol IDs: [/yamux/1.0.0, /yamux/1.0.0]", e.getMessage());
    }

    @Test
    void rejectsProtocolIdsWithoutALeadingSlash() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UpgraderConfig.builder(KEY).security(security("noise")).muxer(new YamuxStreamMuxer()).build());
        assertEquals("security protocol ID must start with '/': noise", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> UpgraderConfig.builder(KEY).security(new NoiseSecurityTransport()).muxer(muxer("yamux")).build());
        assertEquals("muxer protocol ID must start with '/': yamux", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void rejectsNonPositiveTimeoutsAndLimits(long value) {
        assertEquals("negotiationTimeoutMillis must be > 0: " + value, assertThrows(IllegalArgumentException.class,
                () -> valid().negotiationTimeoutMillis(value).build()).getMessage());
        assertEquals("handshakeTimeoutMillis must be > 0: " + value, assertThrows(IllegalArgumentException.class,
                () -> valid().handshakeTimeoutMillis(value).build()).getMessage());
        assertEquals("upgradeTimeoutMillis must be > 0: " + value, assertThrows(IllegalArgumentException.class,
                () -> valid().upgradeTimeoutMillis(value).build()).getMessage());
        int max = (int) Math.max(Integer.MIN_VALUE, value);
        assertEquals("maxInboundStreams must be > 0: " + max, assertThrows(IllegalArgumentException.class,
                () -> valid().maxInboundStreams(max).build()).getMessage());
    }

    @Test
    void rejectsANullSimopenMode() {
        assertThrows(IllegalArgumentException.class, () -> valid().simopenMode(null));
    }

    @Test
    void toBuilderKeepsEveryValueAndTheRecordValidatesDirectConstruction() {
        UpgraderConfig c = valid().negotiationTimeoutMillis(1).handshakeTimeoutMillis(2).upgradeTimeoutMillis(3)
                .maxInboundStreams(4).simopenMode(SimopenMode.SPEC).build();
        assertEquals(c, c.toBuilder().build());
        assertEquals(7, c.toBuilder().maxInboundStreams(7).build().maxInboundStreams());
        assertEquals(4, c.maxInboundStreams(), "the original stays as it was");
        assertEquals("at least one stream muxer is required", assertThrows(IllegalArgumentException.class,
                () -> new UpgraderConfig(KEY, c.securityTransports(), List.of(), 1, 1, 1, 1, SimopenMode.SPEC,
                        c.stockDialerHold(), c.connectionGater())).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new UpgraderConfig(KEY, c.securityTransports(),
                c.muxers(), 1, 1, 1, 1, SimopenMode.SPEC, null, c.connectionGater()));
        assertThrows(IllegalArgumentException.class, () -> new UpgraderConfig(KEY, c.securityTransports(),
                c.muxers(), 1, 1, 1, 1, SimopenMode.SPEC, c.stockDialerHold(), null));
    }

    @Test
    void rejectsAnInvalidProtocolIdAsBadConfiguration() {
        assertThrows(IllegalArgumentException.class,
                () -> UpgraderConfig.builder(KEY).security(security("/noise\n")).muxer(new YamuxStreamMuxer()).build());
    }

    @Test
    void pinsTheStageActionsUsedInFailureMessages() {
        assertEquals("negotiate security protocol", UpgradeStage.SECURITY_NEGOTIATION.action());
        assertEquals("complete security handshake", UpgradeStage.SECURITY_HANDSHAKE.action());
        assertEquals("negotiate stream muxer", UpgradeStage.MUXER_NEGOTIATION.action());
        assertEquals("finish the upgrade", UpgradeStage.DONE.action());
        assertEquals("failed to negotiate stream muxer: boom",
                new UpgradeException(UpgradeStage.MUXER_NEGOTIATION, "boom", null).getMessage());
    }
}
