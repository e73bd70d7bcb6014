package io.p2pd.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs every side-by-side workload in one process and writes a Markdown results file.
 *
 * <pre>
 * bench/run.sh [--quick] [--only WORD] [--runs N] [--out FILE]
 * </pre>
 *
 * Each workload runs {@code runs} times; each run measures every variant back to back (pipes, then raw Netty, then
 * the outside reference), so slow drift of a shared machine hits all variants alike. Tables report medians.
 */
public final class Harness {

    /** One workload: fills its table with one run of every variant. */
    interface Body {
        void run(Table table, Settings s) throws Exception;
    }

    record Step(String id, Table table, Body body) {
    }

    private Harness() {
    }

    public static void main(String[] args) throws Exception {
        Settings s = Settings.parse(args);
        List<Step> steps = Workloads.all(s).stream().filter(st -> s.only() == null || st.id().contains(s.only()))
                .toList();
        long start = System.nanoTime();
        List<Table> done = new ArrayList<>();
        for (Step step : steps) {
            for (int run = 1; run <= s.timing().runs(); run++) {
                log("%s: run %d/%d", step.id(), run, s.timing().runs());
                try {
                    step.body().run(step.table(), s);
                } catch (Exception e) {
                    step.table().note("Run " + run + " failed: " + e);
                    log("%s failed: %s", step.id(), e);
                    e.printStackTrace();
                }
            }
            done.add(step.table());
            System.out.println(step.table().markdown());
        }
        String report = report(s, done, (System.nanoTime() - start) / 1e9);
        Files.createDirectories(s.out().toAbsolutePath().getParent());
        Files.writeString(s.out(), report);
        log("wrote %s in %.0f s", s.out(), (System.nanoTime() - start) / 1e9);
        Procs.killAll();
        System.exit(0);
    }

    private static String report(Settings s, List<Table> tables, double seconds) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# Benchmark results\n\n")
                .append("- date: ").append(Instant.now()).append('\n')
                .append("- mode: ").append(s.quick() ? "quick" : "full").append(", ").append(s.timing().runs())
                .append(" run(s) per variant, warm-up ").append(s.timing().warmupMillis()).append(" ms, measured ")
                .append(s.timing().measureMillis()).append(" ms per run\n")
                .append("- harness wall time: ").append(String.format(Locale.ROOT, "%.0f s", seconds)).append('\n')
                .append(Machine.describe()).append("\n\n");
        for (Table t : tables) {
            sb.append(t.markdown());
        }
        return sb.toString();
    }

    static void log(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[bench] " + format + "%n", args);
    }
}
