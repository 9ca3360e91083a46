package io.crossdial.lab;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The outcome of one simultaneous-open round, as one row of a {@link LabReport}.
 *
 * <p>JSON form ({@link #toMap()} / {@link #fromMap(Map)}): {@code {"round":1,"detected":true,
 * "resolution":"initiator","usableMillis":1012,"sameFourTuple":true,"ping":"ok","echo":"ok","note":"",
 * "usableA":"ok","usableB":"ok","redials":0,"detection":"POISON_BYTE","roleA":"initiator",
 * "nat":{"entriesA":1,"entriesB":1,"portsKept":true,"ephemeralRedial":"dropped"}}};
 * {@code usableMillis} is {@code null} when no usable connection came up, {@code nat} when the round ran
 * without NATs.
 *
 * <p>The constructor throws {@link IllegalArgumentException} for {@code round < 1}, a negative
 * {@code usableMillis} or {@code redials}, {@link NullPointerException} for a null {@code usableMillis},
 * {@code ping}, {@code echo}, {@code usableA} or {@code usableB}; a null {@code resolution}, {@code note},
 * {@code detection} or {@code roleA} becomes empty. Immutable, hence thread-safe.
 *
 * @param round the round number, from 1
 * @param detected whether the peers detected the simultaneous open
 * @param resolution how it was resolved, free text such as {@code "initiator"}, {@code "responder"},
 *     {@code "redial"} or {@code "failed"}; empty if none
 * @param usableMillis milliseconds from the start of the dials to a connection the application can use, empty
 *     if there was none
 * @param sameFourTuple whether both sides ended up on one connection (each side's local address and port
 *     equal to the other's remote)
 * @param ping the outcome of a ping over the connection
 * @param echo the outcome of an echo over the connection
 * @param note anything else worth a line (an error message); empty if nothing
 * @param usableA whether peer A's connection was usable: up, and its own ping and echo passed (SKIPPED if
 *     not checked)
 * @param usableB the same for peer B's connection (for the js peer: its own dial's ping and echo)
 * @param redials how many times the peers redialed from an ephemeral port (0 when resolved in-band)
 * @param detection how peer A recognised the simultaneous open ({@code POISON_BYTE}, {@code SPEC_PROPOSAL},
 *     {@code STOCK_DIALER}, {@code NONE}); empty if unknown
 * @param roleA the role peer A took ({@code initiator} or {@code responder}); empty if none
 * @param nat what the NATs showed, null when the round ran without NATs
 */
public record SimopenRound(int round, boolean detected, String resolution, OptionalLong usableMillis,
        boolean sameFourTuple, Check ping, Check echo, String note, Check usableA, Check usableB, int redials,
        String detection, String roleA, Nat nat) {

    /**
     * What the two NATs showed in a round.
     *
     * @param entriesA how many of NAT A's conntrack entries are the round's connection (its 4-tuple, from A's
     *     side); 1 when the simultaneous open went through as one connection
     * @param entriesB the same for NAT B
     * @param portsKept whether both NATs mapped the connection to the same port number as the peer's own
     * @param ephemeralRedial what a plain connect from an ephemeral port of A to B's public address and port
     *     got: {@code dropped} (no answer, and NAT B counted the dropped SYNs), {@code answered},
     *     {@code refused}, or anything else describing it; empty if not tried
     */
    public record Nat(int entriesA, int entriesB, boolean portsKept, String ephemeralRedial) {
        /** Checks the values: entries are not negative, a null text becomes empty. */
        public Nat {
            if (entriesA < 0 || entriesB < 0) {
                throw new IllegalArgumentException("entries must be >= 0: " + entriesA + ", " + entriesB);
            }
            ephemeralRedial = ephemeralRedial == null ? "" : ephemeralRedial;
        }

        /** @return whether each NAT held one entry for the 4-tuple with the port kept, and the probe was dropped */
        public boolean ok() {
            return entriesA == 1 && entriesB == 1 && portsKept && "dropped".equals(ephemeralRedial);
        }

        /** @return e.g. {@code 1/1 port kept} */
        public String entriesText() {
            return entriesA + "/" + entriesB + (portsKept ? " port kept" : " PORT CHANGED");
        }

        Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("entriesA", entriesA);
            map.put("entriesB", entriesB);
            map.put("portsKept", portsKept);
            map.put("ephemeralRedial", ephemeralRedial);
            return map;
        }

        static Nat fromMap(Object value) {
            if (!(value instanceof Map<?, ?> m)) {
                return null;
            }
            return new Nat(m.get("entriesA") instanceof Number n ? n.intValue() : 0,
                    m.get("entriesB") instanceof Number n ? n.intValue() : 0, Boolean.TRUE.equals(m.get("portsKept")),
                    (String) m.get("ephemeralRedial"));
        }
    }

    /**
     * A round with only the first eight components; the sides' usability SKIPPED, 0 redials, no detection,
     * role or NAT.
     *
     * @param round the round number, from 1
     * @param detected whether the simultaneous open was detected
     * @param resolution how it was resolved
     * @param usableMillis milliseconds to a usable connection, empty if none
     * @param sameFourTuple whether both sides ended up on one connection
     * @param ping the ping outcome
     * @param echo the echo outcome
     * @param note a remark
     */
    public SimopenRound(int round, boolean detected, String resolution, OptionalLong usableMillis,
            boolean sameFourTuple, Check ping, Check echo, String note) {
        this(round, detected, resolution, usableMillis, sameFourTuple, ping, echo, note, Check.SKIPPED,
                Check.SKIPPED, 0, "", "", null);
    }

    /** The outcome of a check run over the connection. */
    public enum Check {
        /** The check ran and passed. */
        OK,
        /** The check ran and failed. */
        FAILED,
        /** The check did not run. */
        SKIPPED;

        /** @return the lower-case name used in text and JSON: {@code ok}, {@code failed}, {@code skipped} */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * Reads a check from JSON: {@code "ok"/"failed"/"skipped"} (any case), {@code true} (OK), {@code false}
         * (FAILED) or {@code null} (SKIPPED).
         *
         * @param value the JSON value
         * @return the check
         * @throws IllegalArgumentException for anything else
         */
        public static Check of(Object value) {
            if (value == null) {
                return SKIPPED;
            }
            if (value instanceof Boolean b) {
                return b ? OK : FAILED;
            }
            return Check.valueOf(value.toString().toUpperCase(Locale.ROOT));
        }
    }

    /**
     * Checks the components, as described in the class comment.
     *
     * @param round the round number, from 1
     * @param detected whether the simultaneous open was detected
     * @param resolution how it was resolved; null becomes empty
     * @param usableMillis milliseconds to a usable connection, empty if none
     * @param sameFourTuple whether both sides ended up on one connection
     * @param ping the ping outcome
     * @param echo the echo outcome
     * @param note a remark; null becomes empty
     */
    public SimopenRound {
        if (round < 1) {
            throw new IllegalArgumentException("round must be >= 1: " + round);
        }
        Objects.requireNonNull(usableMillis, "usableMillis");
        if (usableMillis.isPresent() && usableMillis.getAsLong() < 0) {
            throw new IllegalArgumentException("usableMillis must be >= 0: " + usableMillis.getAsLong());
        }
        Objects.requireNonNull(ping, "ping");
        Objects.requireNonNull(echo, "echo");
        Objects.requireNonNull(usableA, "usableA");
        Objects.requireNonNull(usableB, "usableB");
        if (redials < 0) {
            throw new IllegalArgumentException("redials must be >= 0: " + redials);
        }
        resolution = resolution == null ? "" : resolution;
        note = note == null ? "" : note;
        detection = detection == null ? "" : detection;
        roleA = roleA == null ? "" : roleA;
    }

    /** @return whether a usable connection came up */
    public boolean usable() {
        return usableMillis.isPresent();
    }

    /**
     * @return whether the round succeeded: usable, no check FAILED (neither side's usability either), when
     *     resolved in-band on the simultaneous open's own 4-tuple (a redial is on a new connection by design, so
     *     it only has to be usable), and, behind NATs, {@link Nat#ok()}
     */
    public boolean passed() {
        boolean tupleOk = !"in-band".equals(resolution) || sameFourTuple;
        return usable() && tupleOk && ping != Check.FAILED && echo != Check.FAILED && usableA != Check.FAILED
                && usableB != Check.FAILED && (nat == null || nat.ok());
    }

    /** @return the JSON form described in the class comment, in column order */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("round", round);
        map.put("detected", detected);
        map.put("resolution", resolution);
        map.put("usableMillis", usableMillis.isPresent() ? usableMillis.getAsLong() : null);
        map.put("sameFourTuple", sameFourTuple);
        map.put("ping", ping.label());
        map.put("echo", echo.label());
        map.put("note", note);
        map.put("usableA", usableA.label());
        map.put("usableB", usableB.label());
        map.put("redials", redials);
        map.put("detection", detection);
        map.put("roleA", roleA);
        map.put("nat", nat == null ? null : nat.toMap());
        return map;
    }

    /**
     * Reads the JSON form described in the class comment (as parsed by {@link LabPeer}). Missing booleans are
     * false, missing checks SKIPPED, missing texts empty, missing redials 0, a missing {@code usableMillis}
     * means not usable, a missing {@code nat} no NATs.
     *
     * @param map one parsed JSON object
     * @return the round
     * @throws IllegalArgumentException if {@code round} is missing or a value has the wrong type
     */
    public static SimopenRound fromMap(Map<String, ?> map) {
        try {
            Object round = map.get("round");
            if (!(round instanceof Number)) {
                throw new IllegalArgumentException("round missing");
            }
            Object usable = map.get("usableMillis");
            return new SimopenRound(((Number) round).intValue(), Boolean.TRUE.equals(map.get("detected")),
                    (String) map.get("resolution"),
                    usable == null ? OptionalLong.empty() : OptionalLong.of(((Number) usable).longValue()),
                    Boolean.TRUE.equals(map.get("sameFourTuple")), Check.of(map.get("ping")),
                    Check.of(map.get("echo")), (String) map.get("note"), Check.of(map.get("usableA")),
                    Check.of(map.get("usableB")), map.get("redials") instanceof Number n ? n.intValue() : 0,
                    (String) map.get("detection"), (String) map.get("roleA"), Nat.fromMap(map.get("nat")));
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("not a simopen round: " + map, e);
        }
    }
}
