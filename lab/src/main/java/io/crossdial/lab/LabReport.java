package io.crossdial.lab;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Collects {@link SimopenRound}s and renders them as a text table or JSON, with a summary.
 *
 * <p>Text form:
 * <pre>
 * simopen, 2 rounds
 * round  detected  resolution  ms to usable  same 4-tuple  ping    echo  note
 *     1  yes       initiator           1012  yes           ok      ok
 *     2  no        failed                 -  no            failed  skipped  connect refused
 * 1/2 detected, 1/2 usable (ms min 1012 / median 1012 / max 1012), 1/2 same 4-tuple, ping 1/2 ok,
 * echo 1/2 ok, 1/2 passed
 * </pre>
 * (the summary is one line). JSON form: {@code {"title":..,"rounds":[round...],"summary":{..}}}, each round as
 * in {@link SimopenRound#toMap()}.
 *
 * <p>Thread-safety: safe; rounds may be added from several threads.
 */
public final class LabReport {
    private static final String[] HEADERS =
            {"round", "detected", "resolution", "ms to usable", "same 4-tuple", "ping", "echo", "note"};
    private static final boolean[] RIGHT_ALIGNED = {true, false, false, true, false, false, false, false};

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
     */
    public record Summary(int rounds, int detected, int usable, int sameFourTuple, int pingOk, int echoOk,
            int passed, OptionalLong minUsableMillis, OptionalLong medianUsableMillis,
            OptionalLong maxUsableMillis) {
    }

    private final String title;
    private final List<SimopenRound> rounds = new ArrayList<>();

    /** @param title the first line of the text form, e.g. {@code "simopen js <-> jvm, netns lab"} */
    public LabReport(String title) {
        this.title = Objects.requireNonNull(title, "title");
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
        for (SimopenRound r : all) {
            detected += r.detected() ? 1 : 0;
            same += r.sameFourTuple() ? 1 : 0;
            ping += r.ping() == SimopenRound.Check.OK ? 1 : 0;
            echo += r.echo() == SimopenRound.Check.OK ? 1 : 0;
            passed += r.passed() ? 1 : 0;
            r.usableMillis().ifPresent(millis::add);
        }
        millis.sort(null);
        boolean any = !millis.isEmpty();
        return new Summary(all.size(), detected, millis.size(), same, ping, echo, passed,
                any ? OptionalLong.of(millis.get(0)) : OptionalLong.empty(),
                any ? OptionalLong.of(millis.get((millis.size() - 1) / 2)) : OptionalLong.empty(),
                any ? OptionalLong.of(millis.get(millis.size() - 1)) : OptionalLong.empty());
    }

    /** @return the text table described in the class comment, lines ending in {@code \n} */
    public String toText() {
        List<SimopenRound> all = rounds();
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADERS);
        for (SimopenRound r : all) {
            rows.add(new String[] {
                Integer.toString(r.round()), r.detected() ? "yes" : "no", r.resolution().isEmpty() ? "-" : r.resolution(),
                r.usableMillis().isPresent() ? Long.toString(r.usableMillis().getAsLong()) : "-",
                r.sameFourTuple() ? "yes" : "no", r.ping().label(), r.echo().label(),
                r.note().replace('\n', ' ')});
        }
        int[] widths = new int[HEADERS.length];
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
                line.append(RIGHT_ALIGNED[i] ? pad + row[i] : row[i] + pad);
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
        return out.toString();
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
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("title", title);
        report.put("rounds", list);
        report.put("summary", summary);
        return JsonLines.write(report);
    }

    private static Long boxed(OptionalLong value) {
        return value.isPresent() ? value.getAsLong() : null;
    }
}
