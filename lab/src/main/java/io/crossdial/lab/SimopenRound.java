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
 * "resolution":"initiator","usableMillis":1012,"sameFourTuple":true,"ping":"ok","echo":"ok","note":""}};
 * {@code usableMillis} is {@code null} when no usable connection came up.
 *
 * <p>The constructor throws {@link IllegalArgumentException} for {@code round < 1} or a negative
 * {@code usableMillis}, {@link NullPointerException} for a null {@code usableMillis}, {@code ping} or
 * {@code echo}; a null {@code resolution} or {@code note} becomes empty. Immutable, hence thread-safe.
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
 */
public record SimopenRound(int round, boolean detected, String resolution, OptionalLong usableMillis,
        boolean sameFourTuple, Check ping, Check echo, String note) {

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
        resolution = resolution == null ? "" : resolution;
        note = note == null ? "" : note;
    }

    /** @return whether a usable connection came up */
    public boolean usable() {
        return usableMillis.isPresent();
    }

    /**
     * @return whether the round succeeded: usable, no check FAILED, and, when resolved in-band, on the
     *     simultaneous open's own 4-tuple (a redial is on a new connection by design, so it only has to be
     *     usable)
     */
    public boolean passed() {
        boolean tupleOk = !"in-band".equals(resolution) || sameFourTuple;
        return usable() && tupleOk && ping != Check.FAILED && echo != Check.FAILED;
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
        return map;
    }

    /**
     * Reads the JSON form described in the class comment (as parsed by {@link LabPeer}). Missing booleans are
     * false, missing checks SKIPPED, missing texts empty, a missing {@code usableMillis} means not usable.
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
                    Check.of(map.get("echo")), (String) map.get("note"));
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("not a simopen round: " + map, e);
        }
    }
}
