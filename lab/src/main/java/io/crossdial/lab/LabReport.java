package io.crossdial.lab;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Collects {@link SimopenRound}s and renders them as a text table or JSON, with a summary.
 *
 * <p>Text form:
 * <pre>
 * simopen, 2 rounds
 * round  detected  detection    role A     resolution  ms to usable  A usable  B usable  same 4-tuple  redials  ping    echo     note
 *     1  yes       POISON_BYTE  initiator  in-band             1012  ok        ok        yes                 0  ok      ok
 *     2  no        NONE         -          failed                 -  failed    failed    no                  0  failed  skipped  connect refused
 * 1/2 detected, 1/2 usable (ms min 1012 / median 1012 / max 1012), 1/2 same 4-tuple, ping 1/2 ok,
 * echo 1/2 ok, 1/2 passed
 * A usable 1/2, B usable 1/2, same 4-tuple 1/2, redials 0 (in 0/2 rounds), detection POISON_BYTE 1/2,
 * NONE 1/2, role A initiator 1/2
 * </pre>
 * (each summary sentence is one line). Rounds behind NATs add the columns {@code NAT entries} (the 4-tuple's
 * conntrack entries on NAT A / NAT B, and whether the port was kept) and {@code ephemeral redial}, and a third
 * summary line. The B column is named after peer B ({@code js usable}). JSON form:
 * {@code {"title":..,"rounds":[round...],"summary":{..}}}, each round as in {@link SimopenRound#toMap()}.
 *
 * <p>Thread-safety: safe; rounds may be added from several threads.
 */
public final class LabReport {
    private static final Set<String> RIGHT_ALIGNED = Set.of("round", "ms to usable", "redials");

    /**
     * Counts over the rounds.
     *
     * @param rounds number of rounds
     * @param detected rounds where the simultaneous open was detected
     * @param usable rounds that gave a usable connection
     * @param sameFourTuple rounds that ended on one connection
     * @param pingOk rounds whose ping was OK
     * @param echoOk rounds whose echo was OK
     * @param passed rounds that {@link SimopenRound#passed() passed}
     * @param minUsableMillis the fastest usable round, empty if none was usable
     * @param medianUsableMillis the median over usable rounds (the lower middle for an even count)
     * @param maxUsableMillis the slowest usable round
     * @param usableA rounds where A's connection was usable ({@link SimopenRound#usableA()} OK)
     * @param usableB rounds where B's connection was usable
     * @param redials redials over all rounds
     * @param roundsWithRedial rounds with at least one redial
     * @param detections A's detection (empty shown as {@code -}) to the number of rounds, in first-seen order
     * @param rolesA A's role to the number of rounds, in first-seen order (rounds without a role left out)
     * @param natRounds rounds that ran behind NATs
     * @param natEntriesOk of those, rounds where each NAT held one entry for the 4-tuple with the port kept
     * @param ephemeralDropped of those, rounds where the ephemeral-port connect was dropped
     */
    public record Summary(int rounds, int detected, int usable, int sameFourTuple, int pingOk, int echoOk,
            int passed, OptionalLong minUsableMillis, OptionalLong medianUsableMillis,
            OptionalLong maxUsableMillis, int usableA, int usableB, int redials, int roundsWithRedial,
            Map<String, Integer> detections, Map<String, Integer> rolesA, int natRounds, int natEntriesOk,
            int ephemeralDropped) {
        /** Copies the maps. */
        public Summary {
            detections = Collections.unmodifiableMap(new LinkedHashMap<>(detections));
            rolesA = Collections.unmodifiableMap(new LinkedHashMap<>(rolesA));
        }
    }

    private final String title;
    private final String peerB;
    private final List<SimopenRound> rounds = new ArrayList<>();

    /** @param title the first line of the text form, e.g. {@code "simopen js <-> jvm, netns lab"} */
    public LabReport(String title) {
        this(title, "B");
    }

    /**
     * @param title the first line of the text form
     * @param peerB what peer B is called in the column and summary {@code <peerB> usable}, e.g. {@code js}
     */
    public LabReport(String title, String peerB) {
        this.title = Objects.requireNonNull(title, "title");
        this.peerB = Objects.requireNonNull(peerB, "peerB");
    }

    /** @return the title */
    public String title() {
        return title;
    }

    /**
     * Appends a round.
     *
     * @param round the round to append
     * @return this report
     */
    public synchronized LabReport add(SimopenRound round) {
        rounds.add(Objects.requireNonNull(round, "round"));
        return this;
    }

    /** @return a copy of the rounds, in the order added */
    public synchronized List<SimopenRound> rounds() {
        return List.copyOf(rounds);
    }

    /** @return the counts over the rounds added so far */
    public Summary summary() {
        List<SimopenRound> all = rounds();
        List<Long> millis = new ArrayList<>();
        int detected = 0;
        int same = 0;
        int ping = 0;
        int echo = 0;
        int passed = 0;
        int usableA = 0;
        int usableB = 0;
        int redials = 0;
        int withRedial = 0;
        int natRounds = 0;
        int natOk = 0;
        int dropped = 0;
        Map<String, Integer> detections = new LinkedHashMap<>();
        Map<String, Integer> roles = new LinkedHashMap<>();
        for (SimopenRound r : all) {
            detected += r.detected() ? 1 : 0;
            same += r.sameFourTuple() ? 1 : 0;
            ping += r.ping() == SimopenRound.Check.OK ? 1 : 0;
            echo += r.echo() == SimopenRound.Check.OK ? 1 : 0;
            passed += r.passed() ? 1 : 0;
            usableA += r.usableA() == SimopenRound.Check.OK ? 1 : 0;
            usableB += r.usableB() == SimopenRound.Check.OK ? 1 : 0;
            redials += r.redials();
            withRedial += r.redials() > 0 ? 1 : 0;
            detections.merge(r.detection().isEmpty() ? "-" : r.detection(), 1, Integer::sum);
            if (!r.roleA().isEmpty()) {
                roles.merge(r.roleA(), 1, Integer::sum);
            }
            if (r.nat() != null) {
                natRounds++;
                natOk += r.nat().entriesA() == 1 && r.nat().entriesB() == 1 && r.nat().portsKept() ? 1 : 0;
                dropped += "dropped".equals(r.nat().ephemeralRedial()) ? 1 : 0;
            }
            r.usableMillis().ifPresent(millis::add);
        }
        millis.sort(null);
        boolean any = !millis.isEmpty();
        return new Summary(all.size(), detected, millis.size(), same, ping, echo, passed,
                any ? OptionalLong.of(millis.get(0)) : OptionalLong.empty(),
                any ? OptionalLong.of(millis.get((millis.size() - 1) / 2)) : OptionalLong.empty(),
                any ? OptionalLong.of(millis.get(millis.size() - 1)) : OptionalLong.empty(), usableA, usableB,
                redials, withRedial, detections, roles, natRounds, natOk, dropped);
    }

    /** @return the text table described in the class comment, lines ending in {@code \n} */
    public String toText() {
        List<SimopenRound> all = rounds();
        boolean nat = all.stream().anyMatch(r -> r.nat() != null);
        List<String> headers = new ArrayList<>(List.of("round", "detected", "detection", "role A", "resolution",
                "ms to usable", "A usable", peerB + " usable", "same 4-tuple", "redials", "ping", "echo"));
        if (nat) {
            headers.addAll(List.of("NAT entries", "ephemeral redial"));
        }
        headers.add("note");
        List<String[]> rows = new ArrayList<>();
        rows.add(headers.toArray(new String[0]));
        for (SimopenRound r : all) {
            List<String> row = new ArrayList<>(List.of(Integer.toString(r.round()), r.detected() ? "yes" : "no",
                    dash(r.detection()), dash(r.roleA()), dash(r.resolution()),
                    r.usableMillis().isPresent() ? Long.toString(r.usableMillis().getAsLong()) : "-",
                    r.usableA().label(), r.usableB().label(), r.sameFourTuple() ? "yes" : "no",
                    Integer.toString(r.redials()), r.ping().label(), r.echo().label()));
            if (nat) {
                row.add(r.nat() == null ? "-" : r.nat().entriesText());
                row.add(r.nat() == null ? "-" : dash(r.nat().ephemeralRedial()));
            }
            row.add(r.note().replace('\n', ' '));
            rows.add(row.toArray(new String[0]));
        }
        String[] header = rows.get(0);
        int[] widths = new int[header.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        out.append(title).append(", ").append(all.size()).append(all.size() == 1 ? " round\n" : " rounds\n");
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                if (i > 0) {
                    line.append("  ");
                }
                String pad = " ".repeat(widths[i] - row[i].length());
                line.append(RIGHT_ALIGNED.contains(header[i]) ? pad + row[i] : row[i] + pad);
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        Summary s = summary();
        int n = s.rounds();
        out.append(s.detected()).append('/').append(n).append(" detected, ")
                .append(s.usable()).append('/').append(n).append(" usable");
        if (s.minUsableMillis().isPresent()) {
            out.append(" (ms min ").append(s.minUsableMillis().getAsLong())
                    .append(" / median ").append(s.medianUsableMillis().getAsLong())
                    .append(" / max ").append(s.maxUsableMillis().getAsLong()).append(')');
        }
        out.append(", ").append(s.sameFourTuple()).append('/').append(n).append(" same 4-tuple, ping ")
                .append(s.pingOk()).append('/').append(n).append(" ok, echo ").append(s.echoOk()).append('/')
                .append(n).append(" ok, ").append(s.passed()).append('/').append(n).append(" passed\n");
        out.append("A usable ").append(s.usableA()).append('/').append(n).append(", ").append(peerB)
                .append(" usable ").append(s.usableB()).append('/').append(n).append(", same 4-tuple ")
                .append(s.sameFourTuple()).append('/').append(n).append(", redials ").append(s.redials())
                .append(" (in ").append(s.roundsWithRedial()).append('/').append(n).append(" rounds), detection ")
                .append(counts(s.detections(), n));
        if (!s.rolesA().isEmpty()) {
            out.append(", role A ").append(counts(s.rolesA(), n));
        }
        out.append('\n');
        if (s.natRounds() > 0) {
            out.append("NATs: one conntrack entry per NAT for the 4-tuple, port kept, in ").append(s.natEntriesOk())
                    .append('/').append(s.natRounds()).append(" rounds; ephemeral redial dropped by NAT B in ")
                    .append(s.ephemeralDropped()).append('/').append(s.natRounds()).append('\n');
        }
        return out.toString();
    }

    private static String counts(Map<String, Integer> counts, int n) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(e.getKey()).append(' ').append(e.getValue()).append('/').append(n);
        }
        return sb.toString();
    }

    private static String dash(String text) {
        return text.isEmpty() ? "-" : text;
    }

    /** @return the JSON form described in the class comment, on one line */
    public String toJson() {
        List<Map<String, Object>> list = new ArrayList<>();
        for (SimopenRound r : rounds()) {
            list.add(r.toMap());
        }
        Summary s = summary();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("rounds", s.rounds());
        summary.put("detected", s.detected());
        summary.put("usable", s.usable());
        summary.put("sameFourTuple", s.sameFourTuple());
        summary.put("pingOk", s.pingOk());
        summary.put("echoOk", s.echoOk());
        summary.put("passed", s.passed());
        summary.put("minUsableMillis", boxed(s.minUsableMillis()));
        summary.put("medianUsableMillis", boxed(s.medianUsableMillis()));
        summary.put("maxUsableMillis", boxed(s.maxUsableMillis()));
        summary.put("usableA", s.usableA());
        summary.put("usableB", s.usableB());
        summary.put("redials", s.redials());
        summary.put("roundsWithRedial", s.roundsWithRedial());
        summary.put("detections", s.detections());
        summary.put("rolesA", s.rolesA());
        if (s.natRounds() > 0) {
            summary.put("natRounds", s.natRounds());
            summary.put("natEntriesOk", s.natEntriesOk());
            summary.put("ephemeralDropped", s.ephemeralDropped());
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("title", title);
        report.put("peerB", peerB);
        report.put("rounds", list);
        report.put("summary", summary);
        return JsonLines.write(report);
    }

    private static Long boxed(OptionalLong value) {
        return value.isPresent() ? value.getAsLong() : null;
    }
}
