package io.p2pd.bench;

import java.nio.file.Path;

/** The harness's command line. */
record Settings(boolean quick, Timing timing, String only, Path out, int acceptConnections) {

    static Settings parse(String[] args) {
        boolean quick = false;
        String only = null;
        Integer runs = null;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--only" -> only = args[++i];
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: [--quick] [--only WORD] [--runs N] [--out FILE]");
            }
        }
        Timing timing = quick ? new Timing(500, 500, runs == null ? 1 : runs)
                : new Timing(1000, 2000, runs == null ? 5 : runs);
        if (out == null) {
            out = Path.of("bench", "results", quick ? "quick.md" : "full.md");
        }
        return new Settings(quick, timing, only, out, quick ? 1_000 : 10_000);
    }
}
