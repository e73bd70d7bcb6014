package io.p2pd.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * iperf3 on loopback, run as a child process with its JSON report parsed: the "physical limit" reference.
 * iperf3 sends one way; the echo workloads carry every byte there and back, so compare orders of magnitude.
 */
final class Iperf {

    private Iperf() {
    }

    static boolean available() {
        return Procs.installed("iperf3");
    }

    /** A TCP stream of {@code writeBytes} writes: MB/s as the receiver saw it. */
    static Sample tcp(int writeBytes, long millis) throws Exception {
        Object json = client(List.of("-l", String.valueOf(writeBytes)), millis);
        return new Sample().put("MB/s", MiniJson.number(json, "end", "sum_received", "bits_per_second") / 8 / 1e6);
    }

    /** An unpaced UDP flood of {@code size}-byte datagrams: received datagrams/s and the loss. */
    static Sample udp(int size, long millis) throws Exception {
        Object json = client(List.of("-u", "-b", "0", "-l", String.valueOf(size)), millis);
        double packets = MiniJson.number(json, "end", "sum", "packets");
        double lost = MiniJson.number(json, "end", "sum", "lost_packets");
        double seconds = MiniJson.number(json, "end", "sum", "seconds");
        return new Sample().put("dgram/s", (packets - lost) / seconds)
                .put("loss %", MiniJson.number(json, "end", "sum", "lost_percent"))
                .put("sent dgram/s", packets / seconds);
    }

    private static Object client(List<String> extra, long millis) throws Exception {
        int port = Procs.freePort();
        Process server = Procs.start(List.of("iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", String.valueOf(port)));
        try {
            long seconds = Math.max(1, Math.round(millis / 1000.0));
            List<String> cmd = new ArrayList<>(List.of("iperf3", "-c", "127.0.0.1", "-p", String.valueOf(port),
                    "-t", String.valueOf(seconds), "-J"));
            cmd.addAll(extra);
            // The one-shot server needs a moment to listen; probing its port would use up its one test.
            String out = "";
            for (int attempt = 0; attempt < 20; attempt++) {
                Timing.sleep(100);
                out = Procs.run(cmd, seconds * 1000 + 10_000);
                if (!out.contains("unable to connect")) {
                    break;
                }
            }
            Object json = MiniJson.parse(out);
            if (json instanceof java.util.Map<?, ?> m && m.containsKey("error")) {
                throw new IOException("iperf3: " + m.get("error"));
            }
            return json;
        } finally {
            Procs.stop(server);
        }
    }
}
