package io.crossdial.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Ratios and the text table. Limits come from the JMH run on the same JDK in the same run, taking the
 * fastest measured iteration over both buffer kinds (the machine is shared; a limit is what the JDK can do):
 * <ul>
 *   <li>AEAD limit (Gbit/s): one 65519-byte Noise frame through the JDK's raw ChaCha20-Poly1305, encryption
 *       and decryption on separate cores (sender and receiver), so {@code 65519 * 8 / max(enc, dec)}.
 *   <li>Crypto limit (upgrades/s): per upgraded connection both sides do 2 X25519 key generations, 3 X25519
 *       agreements, 1 Ed25519 signature and 1 verification; {@code cores / (2 * that)}.
 * </ul>
 */
final class Report {
    static final int FRAME = 65519;

    private Report() {}

    static Double score(Map<?, ?> jdk, String name) {
        if (!(jdk.get("jmh") instanceof Map<?, ?> jmh) || !(jmh.get("scores") instanceof Map<?, ?> scores)) {
            return null;
        }
        Object s = scores.get(name);
        if (s == null) {
            s = scores.get(name + "[buffers=direct]");
        }
        return s instanceof Map<?, ?> m && m.get("score") instanceof Number n ? n.doubleValue() : null;
    }

    /** @return the fastest iteration of a benchmark over both buffer kinds (a limit), or null */
    static Double best(Map<?, ?> jdk, String name) {
        if (!(jdk.get("jmh") instanceof Map<?, ?> jmh) || !(jmh.get("scores") instanceof Map<?, ?> scores)) {
            return null;
        }
        Double out = null;
        for (String k : List.of(name, name + "[buffers=direct]", name + "[buffers=heap]")) {
            if (scores.get(k) instanceof Map<?, ?> m && m.get("best") instanceof Number n) {
                out = out == null ? n.doubleValue() : Math.min(out, n.doubleValue());
            }
        }
        return out;
    }

    /**
     * @return Gbit/s the fastest AEAD allows for a sender/receiver pair, or null: the JDK's raw cipher and
     *     crossdial's CipherState with each provider ({@code CryptoProviderBench}), whichever is faster
     */
    static Double aeadLimitGbit(Map<?, ?> jdk) {
        Double enc = best(jdk, "NoiseBench.rawJdkEncrypt64k");
        Double dec = best(jdk, "NoiseBench.rawJdkDecrypt64k");
        if (enc == null) {
            return null;
        }
        double us = dec == null ? enc : Math.max(enc, dec);
        for (String p : List.of("jdk", "conscrypt")) {
            Double e = providerBest(jdk, "encrypt64k", p);
            Double d = providerBest(jdk, "decrypt64k", p);
            if (e != null && d != null) {
                us = Math.min(us, Math.max(e, d));
            }
        }
        return FRAME * 8 / us / 1e3;
    }

    /** @return the fastest iteration of {@code CryptoProviderBench.name} with {@code provider}, either buffer kind */
    static Double providerBest(Map<?, ?> jdk, String name, String provider) {
        if (!(jdk.get("jmh") instanceof Map<?, ?> jmh) || !(jmh.get("scores") instanceof Map<?, ?> scores)) {
            return null;
        }
        Double out = null;
        for (String buffers : List.of("direct", "heap")) {
            for (String k : List.of("CryptoProviderBench." + name + "[buffers=" + buffers + ",provider=" + provider + "]",
                    "CryptoProviderBench." + name + "[provider=" + provider + ",buffers=" + buffers + "]")) {
                if (scores.get(k) instanceof Map<?, ?> m && m.get("best") instanceof Number n) {
                    out = out == null ? n.doubleValue() : Math.min(out, n.doubleValue());
                }
            }
        }
        return out;
    }

    /**
     * @return microseconds of raw crypto one upgraded connection needs, both sides together, as crossdial's
     *     default Noise transport does it (static keypair made and signed once per host): per side one X25519
     *     keygen (the ephemeral key), three agreements (ee, es, se) and one Ed25519 verify; or null
     */
    static Double cryptoMicrosPerUpgrade(Map<?, ?> jdk) {
        Double k = best(jdk, "NoiseBench.x25519Keygen");
        Double a = best(jdk, "NoiseBench.x25519Agreement");
        Double v = best(jdk, "NoiseBench.ed25519Verify");
        if (k == null || a == null || v == null) {
            return null;
        }
        return 2 * (k + 3 * a + v);
    }

    /**
     * @return as {@link #cryptoMicrosPerUpgrade} with a new static keypair per session (one more keygen and an
     *     Ed25519 sign per side): the original definition of the limit; or null
     */
    static Double cryptoMicrosPerUpgradePerSessionStatic(Map<?, ?> jdk) {
        Double base = cryptoMicrosPerUpgrade(jdk);
        Double k = best(jdk, "NoiseBench.x25519Keygen");
        Double s = best(jdk, "NoiseBench.ed25519Sign");
        return base == null || k == null || s == null ? null : base + 2 * (k + s);
    }

    static Double cryptoLimitPerSecond(Map<?, ?> jdk) {
        return perSecondOnAllCores(cryptoMicrosPerUpgrade(jdk));
    }

    /** @return the limit with a new static keypair per session (the definition), or null */
    static Double cryptoLimitPerSessionStaticPerSecond(Map<?, ?> jdk) {
        return perSecondOnAllCores(cryptoMicrosPerUpgradePerSessionStatic(jdk));
    }

    private static Double perSecondOnAllCores(Double micros) {
        return micros == null ? null : Runtime.getRuntime().availableProcessors() * 1e6 / micros;
    }

    static Double get(Map<?, ?> jdk, String workload, String impl, String key) {
        if (jdk.get(workload) instanceof Map<?, ?> w && w.get(impl) instanceof Map<?, ?> r
                && r.get(key) instanceof Number n) {
            return n.doubleValue();
        }
        return null;
    }

    /** @return a figure of the cold workload ({@code cold.<workload>.<impl>.<key>}), or null */
    static Double get(Map<?, ?> jdk, String group, String workload, String impl, String key) {
        if (jdk.get(group) instanceof Map<?, ?> g && g.get(workload) instanceof Map<?, ?> w
                && w.get(impl) instanceof Map<?, ?> r && r.get(key) instanceof Number n) {
            return n.doubleValue();
        }
        return null;
    }

    static Double div(Double a, Double b) {
        return a == null || b == null || b == 0 ? null : a / b;
    }

    static Map<String, Object> ratios(Map<String, Object> perJdk) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : perJdk.entrySet()) {
            Map<?, ?> j = (Map<?, ?>) e.getValue();
            Map<String, Object> r = new LinkedHashMap<>();
            Double aead = aeadLimitGbit(j);
            Double crypto = cryptoLimitPerSecond(j);
            r.put("aeadLimitGbitPerSecond", aead);
            r.put("cryptoLimitUpgradesPerSecond", crypto);
            for (String w : List.of("perf1", "perf16")) {
                Double cd = get(j, w, "crossdial", "gbitPerSecond");
                r.put(w + ".crossdial/js", div(cd, get(j, w, "js", "gbitPerSecond")));
                r.put(w + ".crossdial/tcp", div(cd, get(j, w, "tcp", "gbitPerSecond")));
                r.put(w + ".crossdial/aeadLimit", div(cd, aead));
            }
            for (String w : List.of("coldPerf256m", "coldPerf1g")) {
                r.put(w + ".crossdial/js", div(get(j, "cold", w, "crossdial", "gbitPerSecond"),
                        get(j, "cold", w, "js", "gbitPerSecond")));
            }
            r.put("coldDial.crossdial/js(lower is better)", div(get(j, "cold", "coldDial", "crossdial", "millis"),
                    get(j, "cold", "coldDial", "js", "millis")));
            Double up = get(j, "upgrades", "crossdial", "perSecond");
            r.put("upgrades.crossdial/js", div(up, get(j, "upgrades", "js", "perSecond")));
            r.put("upgrades.crossdial/cryptoLimit", div(up, crypto));
            Double perSessionLimit = cryptoLimitPerSessionStaticPerSecond(j);
            r.put("cryptoLimitPerSessionStaticKeysUpgradesPerSecond", perSessionLimit);
            r.put("upgrades.crossdial/cryptoLimitPerSessionStaticKeys", div(up, perSessionLimit));
            Double hs = best(j, "NoiseBench.handshakeXX");
            r.put("jmh.handshakeXX/rawCrypto", div(hs, cryptoMicrosPerUpgradePerSessionStatic(j)));
            r.put("jmh.handshakeXXReusedStatic/rawCrypto", div(best(j, "NoiseBench.handshakeXXReusedStatic"),
                    cryptoMicrosPerUpgrade(j)));
            r.put("jmh.cipherStateEncrypt/rawJdkEncrypt", div(best(j, "NoiseBench.cipherStateEncrypt64k"),
                    best(j, "NoiseBench.rawJdkEncrypt64k")));
            r.put("latency.crossdial/js(median, lower is better)", div(get(j, "latency", "crossdial", "medianMillis"),
                    get(j, "latency", "js", "medianMillis")));
            r.put("hold.listener.crossdial/js(lower is better)", div(get(j, "hold", "crossdial",
                    "listenerHeapPerConnectionBytes"), get(j, "hold", "js", "listenerHeapPerConnectionBytes")));
            r.put("hold.dialer.crossdial/js(lower is better)", div(get(j, "hold", "crossdial",
                    "dialerHeapPerConnectionBytes"), get(j, "hold", "js", "dialerHeapPerConnectionBytes")));
            out.put(e.getKey(), r);
        }
        return out;
    }

    private static String f(Double d, String fmt) {
        return d == null ? "-" : String.format(Locale.ROOT, fmt, d);
    }

    /** @return the human table: one row per workload and JDK */
    static String table(Map<String, Object> results) {
        StringBuilder b = new StringBuilder();
        Map<?, ?> perJdk = (Map<?, ?>) results.get("jdks");
        Map<?, ?> ratios = (Map<?, ?>) results.get("ratios");
        b.append(String.format(Locale.ROOT, "%-22s %-6s %12s %12s %12s %10s %10s %6s%n", "workload", "jdk",
                "crossdial", "js-libp2p", "limit", "cd/js", "cd/limit", "load"));
        for (Map.Entry<?, ?> e : perJdk.entrySet()) {
            String jdk = (String) e.getKey();
            Map<?, ?> j = (Map<?, ?>) e.getValue();
            Double aead = aeadLimitGbit(j);
            Double crypto = cryptoLimitPerSecond(j);
            coldRow(b, "cold 256 MiB down Gbit/s", jdk, j, "coldPerf256m", "crossdial", "gbitPerSecond", "%.3f");
            coldRow(b, "cold 1 GiB down Gbit/s", jdk, j, "coldPerf1g", "crossdial", "gbitPerSecond", "%.3f");
            coldRow(b, "cold dial+ping ms", jdk, j, "coldDial", "crossdial", "millis", "%.1f");
            coldRow(b, "  without class sharing", jdk, j, "coldDial", "crossdialWithoutCds", "millis", "%.1f");
            row(b, "perf 1 stream Gbit/s", jdk, j, "perf1", "gbitPerSecond", aead, "%.3f");
            row(b, "  vs raw TCP", jdk, j, "perf1", "gbitPerSecond", get(j, "perf1", "tcp", "gbitPerSecond"), "%.3f");
            row(b, "  warm-up run, cold", jdk, j, "perf1", "warmupGbitPerSecond", null, "%.3f");
            row(b, "perf 16 streams Gbit/s", jdk, j, "perf16", "gbitPerSecond", aead, "%.3f");
            row(b, "  vs raw TCP", jdk, j, "perf16", "gbitPerSecond", get(j, "perf16", "tcp", "gbitPerSecond"), "%.3f");
            row(b, "upgrades/s", jdk, j, "upgrades", "perSecond", crypto, "%.1f");
            row(b, "  vs per-session keys", jdk, j, "upgrades", "perSecond", cryptoLimitPerSessionStaticPerSecond(j),
                    "%.1f");
            row(b, "connect+ping ms (med)", jdk, j, "latency", "medianMillis", null, "%.2f");
            row(b, "connect+ping ms (1st)", jdk, j, "latency", "firstMillis", null, "%.2f");
            row(b, "dial round trips", jdk, j, "rtt", "roundTripsAfterConnect", null, "%.2f");
            fromListenPortRow(b, jdk, j);
            row(b, "heap B/conn listener", jdk, j, "hold", "listenerHeapPerConnectionBytes", 16384.0, "%.0f");
            row(b, "heap B/conn dialer", jdk, j, "hold", "dialerHeapPerConnectionBytes", 16384.0, "%.0f");
            Map<?, ?> r = ratios == null ? Map.of() : (Map<?, ?>) ratios.get(jdk);
            if (r != null) {
                b.append(String.format(Locale.ROOT, "  %s micro: handshakeXX/raw crypto %s (reused static key %s),"
                        + " CipherState/raw JDK encrypt %s%n",
                        jdk, f((Double) r.get("jmh.handshakeXX/rawCrypto"), "%.2f"),
                        f((Double) r.get("jmh.handshakeXXReusedStatic/rawCrypto"), "%.2f"),
                        f((Double) r.get("jmh.cipherStateEncrypt/rawJdkEncrypt"), "%.2f")));
            }
        }
        appendCrossJdk(b, perJdk);
        b.append("cold: fresh client processes, medians of alternating rounds; dial+ping = process start to its"
                + " first ping done, with the class-data archive the launcher uses ('without': none)"
                + " and, on JDKs before 20, its C1-only JIT for short-lived clients (for the transfer rows with a"
                + " tenth of the compile thresholds)\n");
        b.append("limits: perf = the fastest ChaCha20-Poly1305 (JDK or Conscrypt) on 64 KiB frames (raw TCP on the 'vs raw TCP' rows);"
                + " upgrades = raw X25519+Ed25519 ops on all cores (per side: 1 keygen, 3 agreements, 1 verify;"
                + " 'per-session keys': 2 keygens, 3 agreements, 1 sign, 1 verify);"
                + " heap = the 16 KiB goal\n"
                + "perf: measured after a warm-up of the same size each way on the same connection (the 'cold' row)\n");
        return b.toString();
    }

    /** JDK 17 against the newest JDK in the run: the steady-state and upgrade ratios. */
    private static void appendCrossJdk(StringBuilder b, Map<?, ?> perJdk) {
        if (!(perJdk.get("jdk17") instanceof Map<?, ?> j17)) {
            return;
        }
        for (Map.Entry<?, ?> e : perJdk.entrySet()) {
            if (e.getKey().equals("jdk17") || !(e.getValue() instanceof Map<?, ?> jn)) {
                continue;
            }
            b.append(String.format(Locale.ROOT, "jdk17 / %s: perf 1 stream %s, perf 16 streams %s, upgrades/s %s%n",
                    e.getKey(), f(div(get(j17, "perf1", "crossdial", "gbitPerSecond"),
                            get(jn, "perf1", "crossdial", "gbitPerSecond")), "%.2f"),
                    f(div(get(j17, "perf16", "crossdial", "gbitPerSecond"),
                            get(jn, "perf16", "crossdial", "gbitPerSecond")), "%.2f"),
                    f(div(get(j17, "upgrades", "crossdial", "perSecond"),
                            get(jn, "upgrades", "crossdial", "perSecond")), "%.2f")));
        }
    }

    /**
     * The rtt workload's crossdial client dialing from its listen port; js-libp2p's column is its ordinary
     * (ephemeral-port) dial, so cd/js compares the two. The Driver repeats a dial that fell back to an
     * ephemeral port; if some still did, their count follows the row.
     */
    private static void fromListenPortRow(StringBuilder b, String jdk, Map<?, ?> j) {
        Double cd = get(j, "rtt", "crossdialFromListenPort", "roundTripsAfterConnect");
        if (cd == null) {
            return;
        }
        Double js = get(j, "rtt", "js", "roundTripsAfterConnect");
        Double load = get(j, "rtt", "crossdialFromListenPort", "load");
        Double from = get(j, "rtt", "crossdialFromListenPort", "fromListenPort");
        Double count = get(j, "rtt", "crossdialFromListenPort", "count");
        String fellBack = from != null && count != null && from < count
                ? String.format(Locale.ROOT, "  (%.0f of %.0f dials from the listen port)", from, count) : "";
        b.append(String.format(Locale.ROOT, "%-22s %-6s %12s %12s %12s %10s %10s %6s%s%n", "  from listen port", jdk,
                f(cd, "%.2f"), f(js, "%.2f"), "-", f(div(cd, js), "%.2f"), "-", f(load, "%.1f"), fellBack));
    }

    /** One row of the cold workload: medians of fresh processes, crossdial ({@code impl}) against js. */
    private static void coldRow(StringBuilder b, String label, String jdk, Map<?, ?> j, String w, String impl,
            String key, String fmt) {
        Double cd = get(j, "cold", w, impl, key);
        if (cd == null) {
            return;
        }
        Double js = get(j, "cold", w, "js", key);
        Double load = get(j, "cold", w, impl, "load");
        b.append(String.format(Locale.ROOT, "%-22s %-6s %12s %12s %12s %10s %10s %6s%n", label, jdk, f(cd, fmt),
                f(js, fmt), "-", f(div(cd, js), "%.2f"), "-", f(load, "%.1f")));
    }

    private static void row(StringBuilder b, String label, String jdk, Map<?, ?> j, String w, String key,
            Double limit, String fmt) {
        Double cd = get(j, w, "crossdial", key);
        Double js = get(j, w, "js", key);
        Double load = get(j, w, "crossdial", "load");
        b.append(String.format(Locale.ROOT, "%-22s %-6s %12s %12s %12s %10s %10s %6s%n", label, jdk, f(cd, fmt),
                f(js, fmt), f(limit, fmt), f(div(cd, js), "%.2f"), f(div(cd, limit), "%.2f"), f(load, "%.1f")));
    }
}
