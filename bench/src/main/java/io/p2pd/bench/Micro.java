package io.p2pd.bench;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the JMH benchmarks of this module in a forked JVM (JMH's own iterations give the spread, so this runs once
 * however many harness runs are asked for).
 */
final class Micro {

    private Micro() {
    }

    static void run(Table table, Settings s) throws Exception {
        if (table.hasRuns()) {
            return;
        }
        Options opt = new OptionsBuilder()
                .include(SubMatchBench.class.getName())
                .include(StunCodecBench.class.getName())
                .include(io.p2pd.pipe.DedupBench.class.getName())
                .forks(1)
                .warmupIterations(s.quick() ? 1 : 3)
                .warmupTime(TimeValue.milliseconds(s.quick() ? 200 : 1000))
                .measurementIterations(s.quick() ? 1 : 5)
                .measurementTime(TimeValue.milliseconds(s.quick() ? 300 : 1000))
                .jvmArgsAppend("--enable-native-access=ALL-UNNAMED")
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        Collection<RunResult> results = new Runner(opt).run();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            String method = name.substring(name.lastIndexOf('.') + 1);
            String label = name.contains("StunCodecBench") ? "StunCodecBench." + method
                    : name.contains("DedupBench") ? "DedupBench." + method + ", " + r.getParams().getParam("size")
                            + "-byte messages, 1,000 remembered"
                    : "SubMatchBench." + method + ", " + r.getParams().getParam("subs") + " subs";
            table.add(label, new Sample()
                    .put("ns/op", r.getPrimaryResult().getScore())
                    .put("ns/op error (99.9%)", r.getPrimaryResult().getScoreError()));
        }
    }
}
