package io.crossdial.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/** PNG bar charts (XChart) of the whole-process figures: one chart per workload, one bar group per JDK. */
final class Charts {
    private Charts() {}

    record Series(String name, String impl, String key, String limit) {}

    static void write(Map<String, Object> perJdk, Path dir) throws IOException {
        chart(perJdk, dir, "throughput-1-stream", "One stream, /perf/1.0.0", "Gbit/s", "perf1", List.of(
                new Series("crossdial", "crossdial", "gbitPerSecond", null),
                new Series("js-libp2p", "js", "gbitPerSecond", null),
                new Series("raw TCP", "tcp", "gbitPerSecond", null),
                new Series("AEAD limit", null, null, "aead")));
        chart(perJdk, dir, "throughput-16-streams", "16 streams, /perf/1.0.0", "Gbit/s", "perf16", List.of(
                new Series("crossdial", "crossdial", "gbitPerSecond", null),
                new Series("js-libp2p", "js", "gbitPerSecond", null),
                new Series("raw TCP", "tcp", "gbitPerSecond", null),
                new Series("AEAD limit", null, null, "aead")));
        chart(perJdk, dir, "upgrades", "Upgrades per second (TCP, Noise, yamux, ping, close)", "upgrades/s",
                "upgrades", List.of(
                        new Series("crossdial", "crossdial", "perSecond", null),
                        new Series("js-libp2p", "js", "perSecond", null),
                        new Series("crypto limit", null, null, "crypto")));
        chart(perJdk, dir, "latency", "Connect + first ping (median)", "ms", "latency", List.of(
                new Series("crossdial", "crossdial", "medianMillis", null),
                new Series("js-libp2p", "js", "medianMillis", null)));
        chart(perJdk, dir, "heap-per-connection", "Memory per idle upgraded connection", "bytes", "hold", List.of(
                new Series("crossdial listener", "crossdial", "listenerHeapPerConnectionBytes", null),
                new Series("js-libp2p listener", "js", "listenerHeapPerConnectionBytes", null),
                new Series("crossdial dialer", "crossdial", "dialerHeapPerConnectionBytes", null),
                new Series("js-libp2p dialer", "js", "dialerHeapPerConnectionBytes", null)));
    }

    private static void chart(Map<String, Object> perJdk, Path dir, String file, String title, String unit,
            String workload, List<Series> series) throws IOException {
        List<String> jdks = new ArrayList<>(perJdk.keySet());
        CategoryChart c = new CategoryChartBuilder().width(800).height(480).title(title).xAxisTitle("JDK")
                .yAxisTitle(unit).build();
        boolean any = false;
        for (Series s : series) {
            List<Double> ys = new ArrayList<>();
            boolean has = false;
            for (String jdk : jdks) {
                Map<?, ?> j = (Map<?, ?>) perJdk.get(jdk);
                Double v = s.limit() == null ? Report.get(j, workload, s.impl(), s.key())
                        : s.limit().equals("aead") ? Report.aeadLimitGbit(j) : Report.cryptoLimitPerSecond(j);
                has |= v != null;
                ys.add(v == null ? 0.0 : v);
            }
            if (has) {
                c.addSeries(s.name(), jdks, ys);
                any = true;
            }
        }
        if (any) {
            BitmapEncoder.saveBitmap(c, dir.resolve(file).toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
