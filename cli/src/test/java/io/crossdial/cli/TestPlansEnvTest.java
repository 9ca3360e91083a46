package io.crossdial.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.core.multiaddr.Multiaddr;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The test-plans transport-interop environment contract (test-plans transport-interop/README.md). */
class TestPlansEnvTest {
    private static Map<String, String> base() {
        Map<String, String> env = new HashMap<>();
        env.put("transport", "tcp");
        env.put("security", "noise");
        env.put("muxer", "yamux");
        env.put("is_dialer", "true");
        return env;
    }

    @Test
    void appliesTheContractsDefaults() {
        TestPlansEnv e = TestPlansEnv.from(base());
        assertTrue(e.dialer());
        assertEquals("0.0.0.0", e.ip());
        assertEquals("redis", e.redisHost());
        assertEquals(6379, e.redisPort());
        assertEquals(180, e.timeoutSeconds());
    }

    @Test
    void readsEveryVariable() {
        Map<String, String> env = base();
        env.put("is_dialer", "false");
        env.put("ip", "127.0.0.1");
        env.put("redis_addr", "[::1]:16379");
        env.put("test_timeout_seconds", "42");
        TestPlansEnv e = TestPlansEnv.from(env);
        assertFalse(e.dialer());
        assertEquals("127.0.0.1", e.ip());
        assertEquals("::1", e.redisHost());
        assertEquals(16379, e.redisPort());
        assertEquals(42, e.timeoutSeconds());
    }

    @Test
    void acceptsTheShortTimeoutNameAndUpperCaseNames() {
        Map<String, String> env = new HashMap<>();
        env.put("TRANSPORT", "tcp");
        env.put("SECURITY", "tls");
        env.put("MUXER", "mplex");
        env.put("IS_DIALER", "FALSE");
        env.put("test_timeout_secs", "7");
        TestPlansEnv e = TestPlansEnv.from(env);
        assertEquals("tls", e.security());
        assertEquals("mplex", e.muxer());
        assertEquals(7, e.timeoutSeconds());
        env.put("test_timeout_seconds", "9");
        assertEquals(9, TestPlansEnv.from(env).timeoutSeconds(), "the long name wins");
    }

    @Test
    void rejectsMissingOrMalformedVariablesAsUsageErrors() {
        for (String[] bad : new String[][] {{"transport", "quic-v1"}, {"is_dialer", "yes"},
                {"redis_addr", "redis"}, {"redis_addr", "redis:0"}, {"test_timeout_seconds", "0"},
                {"test_timeout_seconds", "ten"}}) {
            Map<String, String> env = base();
            env.put(bad[0], bad[1]);
            CliException e = assertThrows(CliException.class, () -> TestPlansEnv.from(env), bad[0] + "=" + bad[1]);
            assertEquals(2, e.exitCode);
        }
        Map<String, String> env = base();
        env.remove("muxer");
        CliException e = assertThrows(CliException.class, () -> TestPlansEnv.from(env));
        assertTrue(e.getMessage().contains("'muxer'"), e.getMessage());
    }

    @Test
    void resultLineUsesTheContractsSpelling() {
        assertEquals("{\"handshakePlusOneRTTMillis\":12.346,\"pingRTTMilllis\":0.5}",
                TestPlansCommand.resultLine(12.3456, 0.5));
    }

    @Test
    void publishesANonLoopbackAddressWhenThereIsOne() {
        Multiaddr lo = Multiaddr.fromString("/ip4/127.0.0.1/tcp/4001");
        Multiaddr eth = Multiaddr.fromString("/ip4/192.0.2.7/tcp/4001");
        assertEquals(eth, TestPlansCommand.publishable(List.of(lo, eth)));
        assertEquals(lo, TestPlansCommand.publishable(List.of(lo)));
    }
}
