package io.p2pd.node.lab;

import static io.p2pd.node.lab.P2pLab.Side.A;
import static io.p2pd.node.lab.P2pLab.Side.B;

import io.p2pd.testing.Labs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What the lab benchmarks share (PunchRatesMain, ConnectRatesMain): two {@link LabBenchMain} nodes started once in a
 * lab, tries between them in a row, and the median / p95 of a list of times.
 */
final class LabRates {
    private static final long START_SECONDS = 90;
    /** How long the answerer's line may lag behind the initiator's result. */
    private static final long ANSWER_SECONDS = 15;
    /** After a failed try, how long a late answer (a connection only the answerer saw) may take to be drained. */
    private static final long DRAIN_SECONDS = 2;

    private LabRates() {
    }

    /** Two started nodes: A (with the lab's TURN account when asked) and B, and B's address. */
    record Nodes(Labs.Child a, Labs.Child b, String addressB) {

        static Nodes start(P2pLab lab, boolean turn) throws IOException, InterruptedException {
            List<String> argsA = new ArrayList<>(List.of(A.nic(), P2pLab.STUN, P2pLab.BROKER));
            if (turn) {
                argsA.addAll(List.of(P2pLab.PUBLIC_IP + ":" + P2pLab.TURN.getPort(), P2pLab.TURN_USER,
                        P2pLab.TURN_PASSWORD));
            }
            Labs.Child a = lab.run(A, LabBenchMain.class.getName(), argsA.toArray(String[]::new));
            Labs.Child b = lab.run(B, LabBenchMain.class.getName(), B.nic(), P2pLab.STUN, P2pLab.BROKER);
            a.expect("address ", START_SECONDS);
            return new Nodes(a, b, b.expect("address ", START_SECONDS).substring("address ".length()));
        }

        /**
         * TRIES tries of {@code command} in a row, each printed on stderr with {@code label}; the fields of each
         * "ok" go to {@code ok}. The count of "ok".
         */
        int tries(String label, String command, int tries, long seconds, Consumer<Map<String, String>> ok)
                throws IOException, InterruptedException {
            int count = 0;
            for (int i = 0; i < tries; i++) {
                String outcome;
                try {
                    Map<String, String> f = once(command, seconds);
                    outcome = f.get("line");
                    if (f.get("outcome").equals("ok")) {
                        count++;
                        ok.accept(f);
                        outcome += " | answerer " + f.get("answered_line");
                    }
                } catch (AssertionError e) {
                    outcome = "failed " + e.getMessage().lines().findFirst().orElse("");
                }
                System.err.println(label + " try " + (i + 1) + ": " + outcome);
            }
            return count;
        }

        /**
         * One try: sends {@code command} (its ADDRESS replaced by B's) to A and reads A's result; when it is "ok",
         * also B's answered line (as fields {@code answered_*}). The fields of A's line, with "ok" or "failed" as the
         * key {@code outcome} and the line as {@code line}.
         */
        Map<String, String> once(String command, long seconds) throws IOException, InterruptedException {
            a.send(command.replace("ADDRESS", addressB));
            Map<String, String> f = fields(a.expect("", seconds));
            if (f.get("outcome").equals("ok")) {
                try {
                    fields(b.expect("answered", ANSWER_SECONDS)).forEach((k, v) -> f.put("answered_" + k, v));
                } catch (AssertionError e) {
                    f.put("answered_line", "none");
                }
            } else if (!f.get("line").contains("PREDICTION_IMPOSSIBLE")) { // a refused punch signals nothing
                try {
                    b.expect("answered", DRAIN_SECONDS);
                } catch (AssertionError nothingLate) {
                    // the usual case: B saw no connection either
                }
            }
            return f;
        }
    }

    /** {@code WORD k=v k=v ...}: {@code outcome} is the first word, {@code line} the whole line. */
    static Map<String, String> fields(String line) {
        Map<String, String> m = new HashMap<>();
        String[] words = line.split(" ");
        m.put("outcome", words[0]);
        m.put("line", line);
        Arrays.stream(words).skip(1).map(w -> w.split("=", 2)).filter(kv -> kv.length == 2)
                .forEach(kv -> m.putIfAbsent(kv[0], kv[1]));
        return m;
    }

    /** {@code median / p95} of the values (nearest rank), or "-" for none. */
    static String stats(List<Long> values) {
        if (values.isEmpty()) {
            return "-";
        }
        List<Long> s = values.stream().sorted().toList();
        return s.get((s.size() - 1) / 2) + " / " + s.get((int) Math.ceil(0.95 * s.size()) - 1);
    }
}
