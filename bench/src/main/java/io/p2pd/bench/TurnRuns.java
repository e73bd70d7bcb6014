package io.p2pd.bench;

import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.turn.TurnAllocation;
import io.p2pd.turn.TurnClient;
import io.p2pd.turn.TurnConfig;
import io.p2pd.turn.TurnStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * UDP echo through coturn on loopback, side by side: our client with ChannelData and with Send indications only (a
 * window of outstanding datagrams, then open loop at {@code turnutils_uclient}'s pace), coturn's own client with and
 * without channels, and the same echo without TURN as the ceiling. One server and one echo peer serve every variant
 * of a run.
 */
final class TurnRuns {

    /**
     * {@code turnutils_uclient -z 0} sends 12,500 messages a second per allocation whatever the size (its timer's
     * pace, measured at the peer): a run of it is sized to last as long as our measured window.
     */
    static final int UCLIENT_RATE = 12_500;

    private static final Pattern TOTALS = Pattern.compile("tot_send_msgs=(\\d+), tot_recv_msgs=(\\d+)\\s*$",
            Pattern.MULTILINE);
    private static final Pattern LOST = Pattern.compile("Total lost packets (\\d+)");
    private static final Pattern RTT = Pattern.compile("Average round trip delay ([0-9.]+) ms");

    private TurnRuns() {
    }

    /** One variant's run. */
    private interface Variant {
        Sample run() throws Exception;
    }

    /** One run of every variant with {@code size}-byte payloads. */
    static void run(Table table, int size, Timing t) throws Exception {
        try (TurnServer server = TurnServer.start(); CountingEcho echo = new CountingEcho()) {
            add(table, "direct UDP echo (no TURN)", () -> direct(echo, size, t));
            add(table, "p2pd TURN, ChannelData", () -> ours(server, echo, true, size, t));
            add(table, "p2pd TURN, Send indications", () -> ours(server, echo, false, size, t));
            add(table, "p2pd TURN, ChannelData, at uclient's pace", () -> paced(server, echo, true, size, t));
            add(table, "p2pd TURN, Send indications, at uclient's pace", () -> paced(server, echo, false, size, t));
            add(table, "turnutils_uclient, ChannelData", () -> uclient(server, echo, true, size, t));
            add(table, "turnutils_uclient -s (Send indications)", () -> uclient(server, echo, false, size, t));
        }
    }

    /**
     * Runs {@code variant} and adds the datagrams the kernel dropped meanwhile for a full socket receive buffer
     * (RcvbufErrors of /proc/net/snmp, the whole network namespace: other programs' drops count too).
     */
    private static void add(Table table, String name, Variant variant) throws Exception {
        long before = udpReceiveBufferErrors();
        Sample s = variant.run();
        long after = udpReceiveBufferErrors();
        table.add(name, s.put("rcvbuf drops", before < 0 || after < 0 ? Double.NaN : after - before));
    }

    /** The kernel's count of UDP datagrams dropped for a full receive buffer; -1 where it cannot be read. */
    static long udpReceiveBufferErrors() {
        try {
            List<String> udp = Files.readAllLines(Path.of("/proc/net/snmp")).stream()
                    .filter(l -> l.startsWith("Udp:")).toList();
            List<String> names = List.of(udp.get(0).split("\\s+"));
            return Long.parseLong(udp.get(1).split("\\s+")[names.indexOf("RcvbufErrors")]);
        } catch (IOException | RuntimeException unreadable) {
            return -1;
        }
    }

    /** The ceiling: the same pipe client and echo peer, no relay between them. */
    static Sample direct(CountingEcho echo, int size, Timing t) throws Exception {
        EchoFlow[] flow = new EchoFlow[1];
        Sample s = EchoRuns.udpClient(f -> {
            flow[0] = f;
            return new PipeSide(true).udpClient(echo.address(), f);
        }, size, Workloads.WINDOW, t);
        return ordered(s, size, flow[0].lost(), Double.NaN);
    }

    /** Our client: one allocation whose relayed pipe echoes with the peer, {@link Workloads#WINDOW} outstanding. */
    static Sample ours(TurnServer server, CountingEcho echo, boolean channels, int size, Timing t) throws Exception {
        TurnConfig conf = TurnConfig.builder(TurnServer.USER, TurnServer.PASSWORD).channels(channels)
                .peer(echo.address()).build();
        TurnAllocation allocation = TurnClient.allocate(server.address(), conf).get(10, TimeUnit.SECONDS);
        EchoFlow[] flow = new EchoFlow[1];
        Sample s;
        try {
            s = EchoRuns.udpClient(f -> {
                flow[0] = f;
                Pipe relayed = allocation.pipe();
                relayed.addMsgHandler(MsgHandler.inPlace((data, sender, pipe) -> f.onBytes(data.remaining())));
                byte[] one = Payload.message(size);
                f.start(count -> {
                    for (int i = 0; i < count; i++) {
                        relayed.send(one);
                    }
                });
                return PipeSide.wrap(relayed);
            }, size, Workloads.WINDOW, t);
        } finally {
            allocation.close();
        }
        TurnStats stats = allocation.stats();
        double sent = stats.sentChannelData() + stats.sentIndications();
        return ordered(s, size, flow[0].lost(), 100.0 * stats.sentChannelData() / sent);
    }

    /** Bursts of this many datagrams every {@link #TICK_NANOS}: {@link #UCLIENT_RATE} a second, as the tool sends. */
    static final int BURST = 50;
    static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1) * BURST / UCLIENT_RATE;

    /**
     * Our client sending as {@code turnutils_uclient} does: the same count, in bursts at its pace, open loop (no
     * window), so rate, loss and round trips compare at the same offered load. Each datagram carries its send time.
     */
    static Sample paced(TurnServer server, CountingEcho echo, boolean channels, int size, Timing t) throws Exception {
        int count = uclientCount(t);
        TurnConfig conf = TurnConfig.builder(TurnServer.USER, TurnServer.PASSWORD).channels(channels)
                .peer(echo.address()).build();
        Histogram rtt = new Histogram();
        AtomicLong back = new AtomicLong();
        try (TurnAllocation allocation = TurnClient.allocate(server.address(), conf).get(10, TimeUnit.SECONDS)) {
            Pipe relayed = allocation.pipe();
            relayed.addMsgHandler(MsgHandler.inPlace((data, sender, pipe) -> {
                long sentAt = data.getLong(data.position());
                synchronized (rtt) {
                    rtt.record(System.nanoTime() - sentAt);
                }
                back.incrementAndGet();
            }));
            // Datagrams one by one first, so the permission (and the channel) are in place before the clock starts.
            for (int i = 0; i < 20 && (back.get() == 0 || channels && allocation.stats().sentChannelData() == 0); i++) {
                long had = back.get();
                relayed.send(stamped(size)).get(5, TimeUnit.SECONDS);
                waitFor(() -> back.get() > had, 1_000);
            }
            // Warm-up at the same pace, then the measured run.
            long warmup = back.get();
            int warmupCount = (int) (UCLIENT_RATE * t.warmupMillis() / 1000);
            atPace(relayed, warmupCount, size);
            drain(back, warmup + warmupCount);
            long before = back.get();
            echo.reset();
            synchronized (rtt) {
                rtt.reset();
            }
            atPace(relayed, count, size);
            drain(back, before + count);
            long received = back.get() - before;
            CountingEcho.Count atPeer = echo.count();
            TurnStats stats = allocation.stats();
            Harness.log("%s at uclient's pace: sent %d, at the peer %d, back %d; %s", channels ? "ChannelData"
                    : "Send indications", count, atPeer.datagrams(), received, stats);
            synchronized (rtt) {
                return new Sample().put("dgram/s", atPeer.rate()).put("MB/s", atPeer.rate() * size / 1e6)
                        .put("lost", count - received).put("loss %", 100.0 * (count - received) / count)
                        .put("p50 us", rtt.quantile(0.50) / 1e3).put("p99 us", rtt.quantile(0.99) / 1e3)
                        .put("mean us", rtt.mean() / 1e3).put("% ChannelData", 100.0 * stats.sentChannelData()
                                / (stats.sentChannelData() + stats.sentIndications()));
            }
        }
    }

    /** Sends {@code count} datagrams stamped with their send time, {@link #BURST} every {@link #TICK_NANOS}. */
    private static void atPace(Pipe relayed, int count, int size) {
        long next = System.nanoTime();
        for (int sent = 0; sent < count; ) {
            for (int i = 0; i < BURST && sent < count; i++, sent++) {
                relayed.send(stamped(size));
            }
            next += TICK_NANOS;
            LockSupport.parkNanos(next - System.nanoTime());
        }
    }

    /** A datagram of {@code size} bytes that starts with the time it is made. */
    private static byte[] stamped(int size) {
        byte[] d = new byte[size];
        ByteBuffer.wrap(d).putLong(System.nanoTime());
        return d;
    }

    /**
     * Late is not lost: waits until {@code back} reaches {@code target} or a second passes with nothing more (10 s at
     * most); what has not come back then is lost.
     */
    private static void drain(AtomicLong back, long target) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (long seen = -1; back.get() < target && back.get() > seen && System.nanoTime() < deadline; ) {
            seen = back.get();
            long had = seen;
            waitFor(() -> back.get() >= target || back.get() > had, 1_000);
        }
    }

    /** Waits until {@code done} holds, checking every millisecond, at most {@code millis}. */
    private static void waitFor(BooleanSupplier done, long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Timing.sleep(1);
        }
    }

    /** As many messages as {@code turnutils_uclient} sends in the measured window, at least 1,000. */
    static int uclientCount(Timing t) {
        return (int) Math.max(1_000, UCLIENT_RATE * t.measureMillis() / 1000);
    }

    /**
     * coturn's client, one allocation ({@code -m 1}, {@code -c}: no second RTCP allocation), {@code -z 0}: as fast
     * as it sends. Its rate is taken at the echo peer; its loss and mean round trip are what it prints (its clock
     * counts milliseconds).
     */
    static Sample uclient(TurnServer server, CountingEcho echo, boolean channels, int size, Timing t)
            throws Exception {
        int count = uclientCount(t);
        List<String> cmd = new ArrayList<>(List.of("turnutils_uclient", "-p", String.valueOf(server.port()),
                "-u", TurnServer.USER, "-w", TurnServer.PASSWORD, "-e", "127.0.0.1",
                "-r", String.valueOf(echo.address().getPort()), "-n", String.valueOf(count),
                "-l", String.valueOf(size), "-m", "1", "-c", "-z", "0"));
        if (!channels) {
            cmd.add("-s");
        }
        cmd.add("127.0.0.1");
        echo.reset();
        // It waits 1 to 6 s at random before its first message, and up to a few more for lost ones at the end.
        String out = Procs.run(cmd, 60_000);
        CountingEcho.Count atPeer = echo.count();
        Matcher totals = TOTALS.matcher(out);
        Matcher lost = LOST.matcher(out);
        Matcher rtt = RTT.matcher(out);
        if (!totals.find() || !lost.find() || !rtt.find()) {
            throw new IllegalStateException("turnutils_uclient printed no totals: " + out);
        }
        long sent = Long.parseLong(totals.group(1));
        Sample s = new Sample().put("dgram/s", atPeer.rate()).put("MB/s", atPeer.rate() * size / 1e6)
                .put("lost", Long.parseLong(lost.group(1)))
                .put("loss %", sent == 0 ? Double.NaN : 100.0 * Long.parseLong(lost.group(1)) / sent)
                .put("p50 us", Double.NaN).put("p99 us", Double.NaN)
                .put("mean us", Double.parseDouble(rtt.group(1)) * 1000);
        return s.put("% ChannelData", Double.NaN); // not counted by the tool: -s is its only switch
    }

    /** The echo figures in the table's column order, with the payload rate, the lost count and the path taken. */
    private static Sample ordered(Sample echo, int size, long lost, double channelShare) {
        double rate = echo.get("dgram/s");
        return new Sample().put("dgram/s", rate).put("MB/s", rate * size / 1e6).put("lost", lost)
                .put("loss %", echo.get("loss %")).put("p50 us", echo.get("p50 us")).put("p99 us", echo.get("p99 us"))
                .put("mean us", Double.NaN).put("% ChannelData", channelShare);
    }
}
