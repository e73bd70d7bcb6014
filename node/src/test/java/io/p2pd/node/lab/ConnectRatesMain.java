package io.p2pd.node.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Connecting peers in the two-NAT lab (issue 16; run by scripts/connect-rates.sh and scripts/relay-rates.sh as root,
 * not in CI), with two {@link LabBenchMain} nodes per layout started once (A with the lab's coturn account):
 * <ul>
 *   <li>{@code times TRIES LAYOUT...}: TRIES {@code node.connect} calls A->B in a row with default options (every
 *       strategy), 4 KiB each, closed; per layout the connects that carried their data, the time from the call to
 *       the pipe (median / p95), the connect report's own time, and which strategy won how often. A LAYOUT is
 *       {@code MODE_A,MODE_B} (two routers) or {@code same:MODE} (both peers behind one router).</li>
 *   <li>{@code throughput MB RUNS}: open<->open, RUNS times a direct-only then a relay-only connect (coturn, RFC 6062)
 *       each carrying MB MiB from A to B; MB/s from the first byte sent to the receiver's checksum back.</li>
 * </ul>
 * Progress per try on stderr, the Markdown table on stdout.
 */
public final class ConnectRatesMain {
    private static final long TRY_SECONDS = 70;
    private static final long TRANSFER_SECONDS = 600;
    private static final int BYTES = 4096;

    private ConnectRatesMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("connect-rates");
        System.out.print(args[0].equals("throughput")
                ? throughput(dir, Integer.parseInt(args[1]), Integer.parseInt(args[2]))
                : times(dir, Integer.parseInt(args[1]), List.of(args).subList(2, args.length)));
    }

    private static String times(Path dir, int tries, List<String> layouts) throws Exception {
        StringBuilder table = new StringBuilder("| A <-> B | connected | call median / p95 (ms) | report median / p95 (ms)"
                + " | winners | tries (s) |\n|---|---|---|---|---|---|\n");
        for (String layout : layouts) {
            boolean same = layout.startsWith("same:");
            String[] modes = same ? new String[] {layout.substring(5), layout.substring(5)} : layout.split(",");
            List<Long> call = new ArrayList<>();
            List<Long> report = new ArrayList<>();
            Map<String, Integer> winners = new TreeMap<>();
            int ok = 0;
            long triesStart = 0;
            try (P2pLab lab = same ? P2pLab.same(dir, "crsame", modes[0]) : P2pLab.up(dir, "crates", modes[0],
                    modes[1])) {
                lab.startStun();
                LabRates.Nodes nodes = LabRates.Nodes.start(lab, true);
                triesStart = System.nanoTime();
                ok = nodes.tries(layout, "connect ADDRESS " + BYTES, tries, TRY_SECONDS, f -> {
                    call.add(Long.parseLong(f.get("call_ms")));
                    report.add(Long.parseLong(f.get("took_ms")));
                    winners.merge(f.get("strategy"), 1, Integer::sum);
                });
            } catch (AssertionError e) {
                System.err.println(layout + ": nodes did not start: " + e.getMessage());
            }
            String name = same ? "same router " + modes[0] : modes[0] + " <-> " + modes[1];
            table.append(String.format(Locale.ROOT, "| %s | %d / %d | %s | %s | %s | %.1f |%n", name, ok, tries,
                    LabRates.stats(call), LabRates.stats(report), winners.entrySet().stream()
                            .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")),
                    triesStart == 0 ? 0 : (System.nanoTime() - triesStart) / 1e9));
            System.err.print(table);
        }
        return table.toString();
    }

    private static String throughput(Path dir, int mib, int runs) throws Exception {
        long bytes = (long) mib << 20;
        Map<String, List<Double>> rates = new TreeMap<>();
        try (P2pLab lab = P2pLab.up(dir, "crthru", "open", "open")) {
            lab.startStun();
            LabRates.Nodes nodes = LabRates.Nodes.start(lab, true);
            for (int i = 0; i < runs; i++) {
                for (String strategy : List.of("direct", "relay")) {
                    Map<String, String> f = nodes.once("connect ADDRESS " + bytes + " " + strategy, TRANSFER_SECONDS);
                    System.err.println(strategy + " run " + (i + 1) + ": " + f.get("line"));
                    if (f.get("outcome").equals("ok")) {
                        rates.computeIfAbsent(strategy, s -> new ArrayList<>())
                                .add(bytes / 1e6 / (Long.parseLong(f.get("transfer_ms")) / 1e3));
                    }
                }
            }
        }
        StringBuilder table = new StringBuilder("| connect (open <-> open) | MiB | runs ok | MB/s median | MB/s min..max"
                + " |\n|---|---|---|---|---|\n");
        for (String strategy : List.of("direct", "relay")) {
            List<Double> r = rates.getOrDefault(strategy, List.of()).stream().sorted().toList();
            table.append(String.format(Locale.ROOT, "| %s only | %d | %d / %d | %s | %s |%n", strategy, mib, r.size(),
                    runs, r.isEmpty() ? "-" : String.format(Locale.ROOT, "%.1f", r.get((r.size() - 1) / 2)),
                    r.isEmpty() ? "-" : String.format(Locale.ROOT, "%.1f..%.1f", r.getFirst(), r.getLast())));
        }
        return table.toString();
    }
}
