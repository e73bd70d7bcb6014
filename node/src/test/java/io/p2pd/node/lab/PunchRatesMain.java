package io.p2pd.node.lab;

import static io.p2pd.node.lab.P2pLab.Side.A;
import static io.p2pd.node.lab.P2pLab.Side.B;

import io.p2pd.node.punch.PunchLabMain;
import io.p2pd.testing.Labs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The success rate of hole punching per NAT pair (issue 15; run by scripts/punch-rates.sh as root, not in CI): for
 * each pair one two-NAT lab, then TRIES tries, each with two fresh nodes ({@link PunchLabMain} child JVMs) punching
 * and moving 64 KiB each way. Prints a progress line per try on stderr and the Markdown table on stdout.
 *
 * <p>The times: "call" from the punch command to the initiator's punched line (signalling, the open and the proof);
 * "after start" the initiator's connect_ms, from the agreed start moment (its start signal's send time plus half the
 * round trip plus the margin) to the connection; "answerer" the answering side's took_ms, from its start moment
 * (the start signal's arrival plus the margin) to the proven connection.
 *
 * <p>usage: PunchRatesMain TRIES MODE_A,MODE_B...
 */
public final class PunchRatesMain {
    private static final long START_SECONDS = 60;
    private static final long PUNCH_SECONDS = 30;
    private static final int BYTES = 64 * 1024;
    private static final Pattern MS = Pattern.compile("(connect_ms|took_ms)=(\\d+)");

    private PunchRatesMain() {
    }

    public static void main(String[] args) throws Exception {
        int tries = Integer.parseInt(args[0]);
        StringBuilder table = new StringBuilder("| A <-> B | punched | call median / p95 (ms) | after start median / p95"
                + " (ms) | answerer median / p95 (ms) | run (s) |\n|---|---|---|---|---|---|\n");
        Path dir = Files.createTempDirectory("punch-rates");
        for (int p = 1; p < args.length; p++) {
            String[] modes = args[p].split(",");
            long pairStart = System.nanoTime();
            List<Long> call = new ArrayList<>();
            List<Long> afterStart = new ArrayList<>();
            List<Long> answerer = new ArrayList<>();
            int ok = 0;
            try (P2pLab lab = P2pLab.up(dir, "rates", modes[0], modes[1])) {
                lab.startStun();
                for (int i = 0; i < tries; i++) {
                    String outcome;
                    try {
                        long[] t = once(lab, dir);
                        call.add(t[0]);
                        afterStart.add(t[1]);
                        answerer.add(t[2]);
                        ok++;
                        outcome = "ok call_ms=" + t[0] + " connect_ms=" + t[1] + " answerer_ms=" + t[2];
                    } catch (AssertionError | IOException e) {
                        String m = String.valueOf(e.getMessage());
                        int got = m.indexOf(", got ");
                        outcome = "failed " + (got >= 0 ? m.substring(got + 2, m.indexOf('\n', got) < 0 ? m.length()
                                : m.indexOf('\n', got)) : m.lines().findFirst().orElse(""));
                    }
                    System.err.println(args[p] + " try " + (i + 1) + ": " + outcome);
                }
            }
            table.append(String.format(Locale.ROOT, "| %s <-> %s | %d / %d | %s | %s | %s | %.0f |%n", modes[0],
                    modes[1], ok, tries, stats(call), stats(afterStart), stats(answerer),
                    (System.nanoTime() - pairStart) / 1e9));
        }
        System.out.print(table);
    }

    /** One try: call, after-start and answerer times in ms. */
    private static long[] once(P2pLab lab, Path dir) throws IOException, InterruptedException {
        try (Labs.Child a = lab.run(A, PunchLabMain.class.getName(), A.nic(), P2pLab.STUN, P2pLab.BROKER);
             Labs.Child b = lab.run(B, PunchLabMain.class.getName(), B.nic(), P2pLab.STUN, P2pLab.BROKER)) {
            a.expect("address ", START_SECONDS);
            String addressB = b.expect("address ", START_SECONDS).substring("address ".length());
            b.send("accept " + BYTES);
            long sent = System.nanoTime();
            a.send("punch " + addressB + " " + BYTES);
            String punched = a.expect("punched", PUNCH_SECONDS);
            long callMs = (System.nanoTime() - sent) / 1_000_000;
            String answered = b.expect("punched", PUNCH_SECONDS);
            a.expect("digests", PUNCH_SECONDS);
            b.expect("digests", PUNCH_SECONDS);
            return new long[] {callMs, ms(punched), ms(answered)};
        }
    }

    private static long ms(String line) {
        Matcher m = MS.matcher(line);
        if (!m.find()) {
            throw new AssertionError("no time in " + line);
        }
        return Long.parseLong(m.group(2));
    }

    private static String stats(List<Long> ms) {
        if (ms.isEmpty()) {
            return "-";
        }
        List<Long> s = ms.stream().sorted().toList();
        long median = s.get((s.size() - 1) / 2);
        long p95 = s.get((int) Math.ceil(0.95 * s.size()) - 1);
        return median + " / " + p95;
    }
}
