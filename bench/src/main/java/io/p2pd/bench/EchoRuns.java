package io.p2pd.bench;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs the echo workloads: a server and its clients on one side, warm up, measure for a fixed time, stop. Every
 * run is bounded in time, never in "until done".
 */
final class EchoRuns {

    /** An echo that has not come back after this long is lost (UDP only). */
    private static final long UDP_EXPIRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private EchoRuns() {
    }

    /** TCP echo of {@code size}-byte messages, {@code window} outstanding on each of {@code conns} connections. */
    static Sample tcp(Side side, int conns, int size, int window, Timing t) throws Exception {
        try (Side.Open server = side.tcpEchoServer()) {
            List<EchoFlow> flows = new ArrayList<>();
            List<Side.Open> clients = new ArrayList<>();
            try {
                for (int i = 0; i < conns; i++) {
                    EchoFlow flow = new EchoFlow(size, window);
                    flows.add(flow);
                    clients.add(side.tcpClient(server.address(), flow));
                }
                return measure(flows, t, size, false);
            } finally {
                flows.forEach(EchoFlow::stop);
                clients.forEach(Side.Open::close);
            }
        }
    }

    /** UDP echo of {@code size}-byte datagrams, {@code window} outstanding, through a server with regex subs. */
    static Sample udp(Side side, int regexSubs, int size, int window, Timing t) throws Exception {
        try (Side.Open server = side.udpEchoServer(regexSubs)) {
            return udpClient(flow -> side.udpClient(server.address(), flow), size, window, t);
        }
    }

    /** A UDP client that drives an {@link EchoFlow}, once it is opened. */
    interface UdpClient {
        Side.Open open(EchoFlow flow) throws Exception;
    }

    /** The UDP echo of {@code client} to a server running elsewhere: {@code window} outstanding, lost ones expired. */
    @SuppressWarnings("try") // the client only has to be closed after the run
    static Sample udpClient(UdpClient client, int size, int window, Timing t) throws Exception {
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        EchoFlow flow = new EchoFlow(size, window);
        try (Side.Open open = client.open(flow)) {
            ticker.scheduleAtFixedRate(() -> flow.expire(UDP_EXPIRY_NANOS), 10, 10, TimeUnit.MILLISECONDS);
            try {
                return measure(List.of(flow), t, size, true);
            } finally {
                flow.stop();
            }
        } finally {
            ticker.shutdownNow();
        }
    }

    private static Sample measure(List<EchoFlow> flows, Timing t, int size, boolean datagrams) {
        Timing.sleep(t.warmupMillis());
        flows.forEach(f -> f.measure(true));
        long t0 = System.nanoTime();
        Timing.sleep(t.measureMillis());
        flows.forEach(f -> f.measure(false));
        double seconds = (System.nanoTime() - t0) / 1e9;
        long completed = 0;
        long sent = 0;
        long lost = 0;
        Histogram latency = new Histogram();
        for (EchoFlow f : flows) {
            f.stop();
            completed += f.completed();
            sent += f.sent();
            lost += f.lost();
            f.addLatencyTo(latency);
        }
        Sample s = new Sample();
        if (datagrams) {
            s.put("dgram/s", completed / seconds);
            s.put("loss %", sent == 0 ? 0 : 100.0 * lost / sent);
        } else {
            s.put("msg/s", completed / seconds);
            s.put("MB/s", completed * (double) size / seconds / 1e6);
        }
        s.put("p50 us", latency.quantile(0.50) / 1e3);
        s.put("p99 us", latency.quantile(0.99) / 1e3);
        return s;
    }

    static InetSocketAddress loopback(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }
}
