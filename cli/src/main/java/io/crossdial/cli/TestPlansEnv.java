package io.crossdial.cli;

import java.util.Locale;
import java.util.Map;

/**
 * The environment of a libp2p test-plans transport-interop participant (test-plans
 * {@code transport-interop/README.md}, "Test spec"), validated.
 *
 * <table>
 *   <caption>variables</caption>
 *   <tr><th>variable</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>{@code transport}</td><td>only {@code tcp}</td><td>required</td></tr>
 *   <tr><td>{@code security}</td><td>{@code noise} or {@code tls}</td><td>required</td></tr>
 *   <tr><td>{@code muxer}</td><td>{@code yamux} or {@code mplex}</td><td>required</td></tr>
 *   <tr><td>{@code is_dialer}</td><td>{@code true} or {@code false}</td><td>required</td></tr>
 *   <tr><td>{@code ip}</td><td>the listener's bind address</td><td>{@code 0.0.0.0}</td></tr>
 *   <tr><td>{@code redis_addr}</td><td>{@code HOST:PORT} ({@code [v6]:PORT} too)</td><td>{@code redis:6379}</td></tr>
 *   <tr><td>{@code test_timeout_seconds} (or {@code test_timeout_secs})</td><td>the whole test's limit, s</td>
 *       <td>180</td></tr>
 * </table>
 *
 * <p>Each name is looked up as written and then in upper case (some runners export {@code REDIS_ADDR},
 * {@code IS_DIALER}, ...). Immutable.
 *
 * @param transport the transport ({@code tcp})
 * @param security the security transport's name
 * @param muxer the stream muxer's name
 * @param dialer whether this participant dials
 * @param ip the listener's bind address
 * @param redisHost the Redis host
 * @param redisPort the Redis port
 * @param timeoutSeconds the test's time limit, seconds (at least 1)
 */
record TestPlansEnv(String transport, String security, String muxer, boolean dialer, String ip, String redisHost,
        int redisPort, int timeoutSeconds) {
    /** The test-plans default test timeout, seconds. */
    static final int DEFAULT_TIMEOUT_SECONDS = 180;
    /** The test-plans default Redis address. */
    static final String DEFAULT_REDIS_ADDR = "redis:6379";
    /** The Redis list the listener pushes its address to and the dialer pops it from. */
    static final String LISTENER_ADDR_KEY = "listenerAddr";

    /**
     * Reads and validates the contract's variables.
     *
     * @param env the process environment
     * @return the validated environment
     * @throws CliException (exit code 2) naming the variable that is missing or malformed
     */
    static TestPlansEnv from(Map<String, String> env) {
        String transport = required(env, "transport");
        if (!transport.equals("tcp")) {
            throw new CliException("transport=" + transport + " is not supported (crossdial speaks tcp)", 2, null);
        }
        String security = required(env, "security");
        String muxer = required(env, "muxer");
        String isDialer = required(env, "is_dialer").toLowerCase(Locale.ROOT);
        if (!isDialer.equals("true") && !isDialer.equals("false")) {
            throw new CliException("is_dialer must be true or false, got '" + isDialer + "'", 2, null);
        }
        String ip = optional(env, "ip", "0.0.0.0");
        String redis = optional(env, "redis_addr", DEFAULT_REDIS_ADDR);
        int colon = redis.lastIndexOf(':');
        if (colon <= 0 || colon == redis.length() - 1) {
            throw new CliException("redis_addr must be HOST:PORT, got '" + redis + "'", 2, null);
        }
        String redisHost = redis.substring(0, colon);
        if (redisHost.startsWith("[") && redisHost.endsWith("]")) {
            redisHost = redisHost.substring(1, redisHost.length() - 1);
        }
        int redisPort = number(redis.substring(colon + 1), "redis_addr's port", 1, 65535);
        String timeout = optional(env, "test_timeout_seconds", optional(env, "test_timeout_secs",
                Integer.toString(DEFAULT_TIMEOUT_SECONDS)));
        int timeoutSeconds = number(timeout, "test_timeout_seconds", 1, 86_400);
        return new TestPlansEnv(transport, security, muxer, isDialer.equals("true"), ip, redisHost, redisPort,
                timeoutSeconds);
    }

    private static String lookup(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            v = env.get(name.toUpperCase(Locale.ROOT));
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static String required(Map<String, String> env, String name) {
        String v = lookup(env, name);
        if (v == null) {
            throw new CliException("the environment variable '" + name + "' is required (test-plans contract)", 2,
                    null);
        }
        return v;
    }

    private static String optional(Map<String, String> env, String name, String dflt) {
        String v = lookup(env, name);
        return v == null ? dflt : v;
    }

    private static int number(String text, String what, int min, int max) {
        try {
            int n = Integer.parseInt(text);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new CliException(what + " must be a number from " + min + " to " + max + ", got '" + text + "'", 2,
                null);
    }
}
