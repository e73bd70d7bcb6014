package io.p2pd.bench;

import java.util.ArrayList;
import java.util.List;

/** The workloads of issue 8, in the order they run, each with the variants it compares. */
final class Workloads {

    static final int SMALL = 64;
    static final int STREAM = 16 * 1024;
    /** Outstanding messages per connection in the pipelined echoes. */
    static final int WINDOW = 16;
    /** Outstanding 16 KiB messages in the stream echo: 128 KiB in flight. */
    static final int STREAM_WINDOW = 8;

    private Workloads() {
    }

    static List<Harness.Step> all(Settings s) {
        List<Harness.Step> steps = new ArrayList<>();
        steps.add(tcpEcho("tcp-echo-1", 1));
        steps.add(tcpEcho("tcp-echo-64", 64));
        steps.add(new Harness.Step("tcp-stream",
                new Table("TCP stream echo, 16 KiB messages, " + STREAM_WINDOW + " outstanding, 1 connection",
                        "MB/s", "netty"),
                (table, st) -> {
                    for (Side side : Side.both()) {
                        table.add(side.name(), EchoRuns.tcp(side, 1, STREAM, STREAM_WINDOW, st.timing()));
                    }
                    if (Iperf.available()) {
                        table.add("iperf3 (one way)", Iperf.tcp(STREAM, st.timing().measureMillis()));
                    }
                }));
        steps.add(new Harness.Step("udp-echo",
                new Table("UDP echo, 64-byte datagrams, " + WINDOW + " outstanding, 1 client", "dgram/s", "netty"),
                (table, st) -> {
                    for (Side side : Side.both()) {
                        table.add(side.name(), EchoRuns.udp(side, 0, SMALL, WINDOW, st.timing()));
                    }
                    if (Iperf.available()) {
                        table.add("iperf3 -u -b 0 (one way)", Iperf.udp(SMALL, st.timing().measureMillis()));
                    }
                }));
        return steps;
    }

    private static Harness.Step tcpEcho(String id, int conns) {
        return new Harness.Step(id,
                new Table("TCP echo, 64-byte messages, " + WINDOW + " outstanding per connection, " + conns
                        + (conns == 1 ? " connection" : " connections"), "msg/s", "netty"),
                (table, st) -> {
                    for (Side side : Side.both()) {
                        table.add(side.name(), EchoRuns.tcp(side, conns, SMALL, WINDOW, st.timing()));
                    }
                });
    }
}
