package io.p2pd.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The runs of one workload, by variant ("pipes", "netty", "iperf3", ...), reported as medians with the range of
 * the headline metric (so noise is visible) and each variant's ratio to the baseline.
 */
final class Table {

    private final String title;
    private final String headline;
    private final String baseline;
    private final Map<String, List<Sample>> runs = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    Table(String title, String headline, String baseline) {
        this.title = title;
        this.headline = headline;
        this.baseline = baseline;
    }

    String title() {
        return title;
    }

    void add(String variant, Sample sample) {
        runs.computeIfAbsent(variant, v -> new ArrayList<>()).add(sample);
    }

    boolean hasRuns() {
        return !runs.isEmpty();
    }

    void note(String text) {
        notes.add(text);
    }

    double median(String variant, String metric) {
        List<Sample> samples = runs.get(variant);
        if (samples == null) {
            return Double.NaN;
        }
        double[] v = samples.stream().mapToDouble(s -> s.get(metric)).filter(d -> !Double.isNaN(d)).sorted()
                .toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The headline median of {@code variant} over the baseline's. */
    double ratio(String variant) {
        return median(variant, headline) / median(baseline, headline);
    }

    String markdown() {
        Set<String> metrics = new LinkedHashSet<>();
        runs.values().forEach(list -> list.forEach(s -> metrics.addAll(s.values.keySet())));
        StringBuilder sb = new StringBuilder();
        sb.append("### ").append(title).append("\n\n| variant | ");
        metrics.forEach(m -> sb.append(m).append(" (median) | "));
        sb.append(headline).append(" min..max | runs | ").append(headline).append(" vs ").append(baseline)
                .append(" |\n|---|");
        sb.append("---:|".repeat(metrics.size() + 3)).append('\n');
        for (Map.Entry<String, List<Sample>> e : runs.entrySet()) {
            String variant = e.getKey();
            sb.append("| ").append(variant).append(" | ");
            for (String m : metrics) {
                sb.append(fmt(median(variant, m))).append(" | ");
            }
            double[] h = e.getValue().stream().mapToDouble(s -> s.get(headline)).sorted().toArray();
            sb.append(h.length == 0 || Double.isNaN(h[0]) ? "-" : fmt(h[0]) + ".." + fmt(h[h.length - 1]))
                    .append(" | ").append(e.getValue().size()).append(" | ");
            double r = ratio(variant);
            sb.append(Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.2f", r)).append(" |\n");
        }
        for (String n : notes) {
            sb.append("\n").append(n).append('\n');
        }
        return sb.append('\n').toString();
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    @Override
    public String toString() {
        return title + " " + Arrays.toString(runs.keySet().toArray());
    }
}
