package io.p2pd.node.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The success rate of hole punching per NAT pair (issue 15; run by scripts/punch-rates.sh as root, not in CI): for
 * each pair one two-NAT lab and two {@link LabBenchMain} nodes started once (each detects its NAT once), then TRIES
 * punches from A to B in a row, each carrying BYTES from A to B (checked by the answer's CRC32C) and closed. Prints a
 * progress line per try on stderr and the Markdown table on stdout.
 *
 * <p>The times: "call" from {@code node.punch} to the proven pipe in A's JVM (signalling, the STUN observation where
 * the delta needs it, the open and the proof); "after start" A's {@code startToConnect}, from the agreed start moment
 * to the connection; "answerer" B's time from its start moment (the start signal's arrival plus the margin) to the
 * proven connection, i.e. the time after the signal arrives.
 *
 * <p>usage: PunchRatesMain TRIES BYTES MODE_A,MODE_B...
 */
public final class PunchRatesMain {
    private static final long TRY_SECONDS = 70;

    private PunchRatesMain() {
    }

    public static void main(String[] args) throws Exception {
        int tries = Integer.parseInt(args[0]);
        long bytes = Long.parseLong(args[1]);
        StringBuilder table = new StringBuilder("| A <-> B | punched | call median / p95 (ms) | after start median / p95"
                + " (ms) | answerer median / p95 (ms) | tries (s) | pair with lab and nodes (s) |\n"
                + "|---|---|---|---|---|---|---|\n");
        Path dir = Files.createTempDirectory("punch-rates");
        for (int p = 2; p < args.length; p++) {
            String[] modes = args[p].split(",");
            long pairStart = System.nanoTime();
            List<Long> call = new ArrayList<>();
            List<Long> afterStart = new ArrayList<>();
            List<Long> answerer = new ArrayList<>();
            int ok = 0;
            long triesStart = 0;
            try (P2pLab lab = P2pLab.up(dir, "rates", modes[0], modes[1])) {
                lab.startStun();
                LabRates.Nodes nodes = LabRates.Nodes.start(lab, false);
                triesStart = System.nanoTime();
                ok = nodes.tries(args[p], "punch ADDRESS " + bytes, tries, TRY_SECONDS, f -> {
                    call.add(Long.parseLong(f.get("call_ms")));
                    afterStart.add(Long.parseLong(f.get("took_ms")));
                    if (f.containsKey("answered_took_ms")) {
                        answerer.add(Long.parseLong(f.get("answered_took_ms")));
                    }
                });
            } catch (AssertionError e) {
                System.err.println(args[p] + ": nodes did not start: " + e.getMessage());
            }
            long end = System.nanoTime();
            table.append(String.format(Locale.ROOT, "| %s <-> %s | %d / %d | %s | %s | %s | %.1f | %.0f |%n", modes[0],
                    modes[1], ok, tries, LabRates.stats(call), LabRates.stats(afterStart), LabRates.stats(answerer),
                    triesStart == 0 ? 0 : (end - triesStart) / 1e9, (end - pairStart) / 1e9));
            System.err.print(table);
        }
        System.out.print(table);
    }
}
