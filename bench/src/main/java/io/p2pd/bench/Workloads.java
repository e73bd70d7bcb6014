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
                    for (Side side : Side.all()) {
                        table.add(side.name(), EchoRuns.tcp(side, 1, STREAM, STREAM_WINDOW, st.timing()));
                    }
                    if (Iperf.available()) {
                        table.add("iperf3 (one way)", Iperf.tcp(STREAM, st.timing().measureMillis()));
                    }
                }));
        steps.add(new Harness.Step("udp-echo",
                new Table("UDP echo, 64-byte datagrams, " + WINDOW + " outstanding, 1 client", "dgram/s", "netty"),
                (table, st) -> {
                    for (Side side : Side.all()) {
                        table.add(side.name(), EchoRuns.udp(side, 0, SMALL, WINDOW, st.timing()));
                    }
                    if (Iperf.available()) {
                        table.add("iperf3 -u -b 0 (one way)", Iperf.udp(SMALL, st.timing().measureMillis()));
                    }
                }));
        steps.add(new Harness.Step("subs",
                new Table("Subscriptions: UDP echo through a pipe with N non-matching regex subscriptions (each with a"
                        + " handler; echo with a Message handler), 64-byte datagrams", "dgram/s", "pipes, 0 subs"),
                (table, st) -> {
                    Sample none = EchoRuns.udp(new PipeSide(false), 0, SMALL, WINDOW, st.timing());
                    table.add("pipes, 0 subs", none.put("extra ns/msg", 0));
                    for (int n : new int[] {1, 10, 100}) {
                        Sample with = EchoRuns.udp(new PipeSide(false), n, SMALL, WINDOW, st.timing());
                        // A round trip crosses the server once: the throughput lost is the server's extra time.
                        with.put("extra ns/msg", 1e9 / with.get("dgram/s") - 1e9 / none.get("dgram/s"));
                        table.add("pipes, " + n + (n == 1 ? " sub" : " subs"), with);
                    }
                }));
        steps.add(relay());
        if (TurnServer.available()) {
            steps.add(turn(SMALL));
            steps.add(turn(1024));
        }
        steps.add(new Harness.Step("accept",
                new Table("Accepting " + s.acceptConnections() + " concurrent idle TCP connections on one server "
                        + "(server in a child JVM, serial GC, heap after full GC)", "accept ms", "netty"),
                (table, st) -> {
                    table.add("pipes", AcceptRun.run("pipes", st.acceptConnections()));
                    table.add("netty", AcceptRun.run("netty", st.acceptConnections()));
                }));
        steps.add(new Harness.Step("jmh", new Table("JMH micro-benchmarks (average time per operation)", "ns/op",
                "-"), Micro::run));
        return steps;
    }

    private static Harness.Step relay() {
        Table table = new Table("Relay: one-way TCP stream of 16 KiB writes, source -> relay -> sink, 1 connection",
                "MB/s", "socat");
        table.note("p2pd forward: the command (linked pipes) in its own JVM, started as ./p2pd starts it; "
                + "pipes (Pipe.link): the same linking inside the bench JVM.");
        table.note("pipes (handlers): the relay written without Pipe.link, a message handler returning the "
                + "forwarding send's future (reading waits for each write).");
        return new Harness.Step("relay", table, (t, st) -> {
            t.add("direct (no relay)", Relay.run(Relay::direct, STREAM, st.timing()));
            if (Procs.installed("socat")) {
                t.add("socat", Relay.run(Relay::socat, STREAM, st.timing()));
            }
            t.add("netty", Relay.run(Relay::netty, STREAM, st.timing()));
            if (PipeRelay.cliBuilt()) {
                t.add("p2pd forward", Relay.run(PipeRelay::forwardCommand, STREAM, st.timing()));
            }
            t.add("pipes (Pipe.link)", Relay.run(PipeRelay::link, STREAM, st.timing()));
            t.add("pipes (handlers)", Relay.run(PipeRelay::handlers, STREAM, st.timing()));
        });
    }

    /** UDP echo through coturn (issue 13): ours with and without channels, coturn's client, no relay. */
    private static Harness.Step turn(int size) {
        Table table = new Table("TURN relay: UDP echo through coturn on loopback, " + size + "-byte payloads, "
                + WINDOW + " outstanding (turnutils_uclient: its own pace)", "dgram/s", "p2pd TURN, ChannelData");
        table.note("p2pd TURN: one allocation (TurnClient, UDP control), its relayed pipe echoing with a raw Netty "
                + "UDP echo peer through coturn; MB/s is payload echoed per second; % ChannelData is the share of "
                + "datagrams sent as ChannelData (the first ones go in Send indications until the channel is bound). "
                + "direct: the same pipe client and peer without TURN.");
        table.note("turnutils_uclient -m 1 -c -z 0 [-s] -n N -l " + size + ": coturn's own client, one allocation, "
                + "N sized to last the measured window at its fixed pace; dgram/s is taken at the echo peer (first "
                + "to last datagram), lost and mean us are what it prints (a millisecond clock, so its mean is "
                + "coarse; it prints no percentiles). Its rate is its pacing, not the relay's limit.");
        return new Harness.Step("turn-" + size, table, (t, st) -> TurnRuns.run(t, size, st.timing()));
    }

    private static Harness.Step tcpEcho(String id, int conns) {
        return new Harness.Step(id,
                new Table("TCP echo, 64-byte messages, " + WINDOW + " outstanding per connection, " + conns
                        + (conns == 1 ? " connection" : " connections"), "msg/s", "netty"),
                (table, st) -> {
                    for (Side side : Side.all()) {
                        table.add(side.name(), EchoRuns.tcp(side, conns, SMALL, WINDOW, st.timing()));
                    }
                });
    }
}
