package io.p2pd.turn;

import static io.p2pd.turn.Coturn.PASSWORD;
import static io.p2pd.turn.Coturn.USER;
import static io.p2pd.turn.TurnCoturnLabTest.await;
import static io.p2pd.turn.TurnCoturnLabTest.config;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.pipe.Message;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Interop with coturn's own tools, the way operators run the server ({@code --lt-cred-mech --user --realm
 * --fingerprint}, plus {@code --allow-loopback-peers} on loopback): coturn's echo peer {@code turnutils_peer}, a
 * program the project did not write, answers our relayed datagrams; coturn's own client {@code turnutils_uclient}
 * relays through the same server with the same credentials, as the reference that the setup is the usual one.
 */
@Tag("lab")
class TurnInteropLabTest {
    /** Distinct datagrams per run: enough to cover every size from 8 bytes to 1,207, each checked byte for byte. */
    static final int COUNT = 2_000;
    /** Datagrams in flight at once, as an application with any flow control sends: the loss is then the relay's. */
    static final int WINDOW = 50;
    static final int MAGIC = 0x7475726e; // "turn"
    static final Duration WINDOW_WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;
    static Coturn coturn;
    static Coturn.EchoPeer peer;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Coturn.installed() && Coturn.onPath("turnutils_uclient"),
                "coturn and its utilities are not installed (apt-get install coturn)");
        coturn = Coturn.start(dir);
        peer = Coturn.startEchoPeer(dir);
    }

    @AfterAll
    static void stop() throws Exception {
        if (peer != null) {
            peer.close();
        }
        if (coturn != null) {
            coturn.close();
        }
    }

    /** Datagram {@code seq}: its number, a marker, then bytes of its own; 8 to 1,207 bytes long. */
    static byte[] datagram(int seq) {
        byte[] d = new byte[8 + (seq * 37) % 1200];
        new Random(seq).nextBytes(d);
        ByteBuffer.wrap(d).putInt(seq).putInt(MAGIC);
        return d;
    }

    /** The number a datagram of {@link #datagram} carries, or -1 for anything else (a probe). */
    static int seqOf(byte[] d) {
        if (d.length < 8 || ByteBuffer.wrap(d, 4, 4).getInt() != MAGIC) {
            return -1;
        }
        return ByteBuffer.wrap(d).getInt();
    }

    @ParameterizedTest(name = "channels {0}")
    @ValueSource(booleans = {true, false})
    void everyDatagramComesBackFromCoturnsEchoPeerByteForByteAndTheStatsCountNoLoss(boolean channels)
            throws Exception {
        TurnConfig conf = config().channels(channels).peer(peer.address()).build();
        try (TurnAllocation a = await(TurnClient.allocate(coturn.address(), conf))) {
            Pipe relayed = a.pipe();
            // Channels: the first datagram goes in a Send indication while the channel is bound; probe until the
            // path measured below is the one every datagram takes, both ways.
            probeUntil(a, channels ? s -> s.sentChannelData() >= 1 && s.receivedChannelData() >= 1
                    : s -> s.receivedIndications() >= 1);
            TurnStats before = a.stats();

            Map<Integer, byte[]> echoed = new ConcurrentHashMap<>();
            AtomicInteger fromPeer = new AtomicInteger();
            AtomicInteger unexpected = new AtomicInteger();
            Semaphore back = new Semaphore(0);
            relayed.addMsgHandler(MsgHandler.plain((m, p) -> {
                fromPeer.incrementAndGet();
                int seq = seqOf(m.data());
                if (!m.sender().equals(peer.address()) || seq < 0 || seq >= COUNT
                        || echoed.putIfAbsent(seq, m.data()) != null) {
                    unexpected.incrementAndGet();
                } else {
                    back.release();
                }
            }));
            for (int from = 0; from < COUNT; from += WINDOW) {
                int to = Math.min(COUNT, from + WINDOW);
                for (int seq = from; seq < to; seq++) {
                    await(relayed.send(datagram(seq)));
                }
                // Bounded: what has not come back by then is lost, and counted below.
                back.tryAcquire(to - from, WINDOW_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                back.drainPermits();
            }

            TurnStats after = a.stats();
            long sentChannelData = after.sentChannelData() - before.sentChannelData();
            long sentIndications = after.sentIndications() - before.sentIndications();
            long received = after.receivedChannelData() - before.receivedChannelData()
                    + after.receivedIndications() - before.receivedIndications();
            long lostByStats = sentChannelData + sentIndications - received;
            System.out.printf("turnutils_peer, channels %s: %d sent, %d echoed, lost %d; stats %s%n", channels,
                    COUNT, echoed.size(), lostByStats, after);

            // Every datagram took the path asked for, and the counters agree with what the handler saw.
            assertThat(channels ? sentChannelData : sentIndications).isEqualTo(COUNT);
            assertThat(channels ? sentIndications : sentChannelData).isZero();
            assertThat(channels ? after.receivedIndications() - before.receivedIndications()
                    : after.receivedChannelData() - before.receivedChannelData()).isZero();
            assertThat(received).isEqualTo(fromPeer.get());
            assertThat(after.dropped()).isEqualTo(before.dropped());
            // Loopback: nothing lost, by the client's own count.
            assertThat(lostByStats).isZero();
            assertThat(unexpected.get()).isZero();
            assertThat(echoed).hasSize(COUNT);
            List<Integer> damaged = new ArrayList<>();
            echoed.forEach((seq, data) -> {
                if (!Arrays.equals(data, datagram(seq))) {
                    damaged.add(seq);
                }
            });
            assertThat(damaged).isEmpty();
        }
    }

    /** Probe datagrams through the relay, each awaited, until {@code ready} holds; at most 50. */
    static void probeUntil(TurnAllocation a, Predicate<TurnStats> ready) throws Exception {
        for (int i = 0; i < 50 && !ready.test(a.stats()); i++) {
            byte[] probe = ("probe " + i).getBytes(US_ASCII);
            await(a.pipe().send(probe));
            Message m = await(a.pipe().recv(TurnCoturnLabTest.WAIT));
            assertThat(m.data()).isEqualTo(probe);
            assertThat(m.sender()).isEqualTo(peer.address());
        }
        assertThat(ready).accepts(a.stats());
    }

    /** The figures {@code turnutils_uclient} prints at its end. */
    record UclientReport(int exitCode, long sent, long received, long lost, String output) {
        private static final Pattern TOTALS = Pattern.compile("tot_send_msgs=(\\d+), tot_recv_msgs=(\\d+)\\s*$",
                Pattern.MULTILINE);
        private static final Pattern LOST = Pattern.compile("Total lost packets (\\d+)");

        static UclientReport of(int exitCode, String output) {
            Matcher totals = TOTALS.matcher(output);
            Matcher lost = LOST.matcher(output);
            boolean found = totals.find() && lost.find();
            return new UclientReport(exitCode, found ? Long.parseLong(totals.group(1)) : -1,
                    found ? Long.parseLong(totals.group(2)) : -1, found ? Long.parseLong(lost.group(1)) : -1,
                    output);
        }
    }

    /** Runs coturn's client against our server and peer: {@code count} messages of 100 bytes, one allocation. */
    static UclientReport uclient(String password, int count, boolean channels) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("turnutils_uclient", "-p", Integer.toString(coturn.port),
                "-u", USER, "-w", password, "-e", peer.address().getAddress().getHostAddress(),
                "-r", Integer.toString(peer.address().getPort()), "-n", Integer.toString(count), "-l", "100",
                "-m", "1", "-c", "-z", "0"));
        if (!channels) {
            cmd.add("-s"); // Send indications instead of ChannelData
        }
        cmd.add(Coturn.LO.getHostAddress());
        Path out = Files.createTempFile(dir, "uclient", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            // It waits 1-6 s at random before sending (its own staggering of clients), then 12,500 messages a second.
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("turnutils_uclient ended within 60 s").isTrue();
            return UclientReport.of(p.exitValue(), read(out));
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // by its handle; a no-op once it ended
        }
    }

    static String read(Path p) throws IOException {
        return Files.readString(p, US_ASCII);
    }

    @ParameterizedTest(name = "channels {0}")
    @ValueSource(booleans = {true, false})
    void coturnsOwnClientRelaysThroughTheSameServerWithTheSameCredentials(boolean channels) throws Exception {
        UclientReport r = uclient(PASSWORD, 200, channels);
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.sent()).as(r.output()).isEqualTo(200);
        assertThat(r.received()).as(r.output()).isEqualTo(200);
        assertThat(r.lost()).as(r.output()).isZero();
    }

    @Test
    void coturnsOwnClientIsRefusedWithAWrongPasswordAsOursIs() throws Exception {
        UclientReport r = uclient("not " + PASSWORD, 10, true);
        assertThat(r.exitCode()).as(r.output()).isNotZero();
        assertThat(r.output()).contains("Cannot complete Allocation");
        TurnConfig wrong = TurnConfig.builder(USER, "not " + PASSWORD).initialRto(Duration.ofMillis(100)).build();
        assertThat(TurnClient.allocate(coturn.address(), wrong)).failsWithin(TurnCoturnLabTest.WAIT)
                .withThrowableThat().havingCause().isInstanceOf(TurnAuthenticationException.class);
    }
}
