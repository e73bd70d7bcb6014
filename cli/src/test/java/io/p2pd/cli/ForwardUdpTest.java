package io.p2pd.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.net.HostPort;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code p2pd forward --proto udp} keeps one upstream socket per client address: a flood of source ports must not
 * hold one descriptor each for ever (issue 18, item 2: 21,000 clients held 19,669 descriptors).
 */
class ForwardUdpTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private Pipe target;

    @BeforeEach
    void startTarget() {
        target = Pipes.udp().bind(new InetSocketAddress(LOOPBACK, 0))
                .msgHandler((msg, pipe) -> pipe.send(msg.data(), msg.sender())).open().join();
    }

    @AfterEach
    void stopTarget() {
        target.close();
    }

    @Test
    void aFloodOfClientAddressesKeepsTheTableAtItsCapAndClosesTheEvictedSockets() throws Exception {
        int cap = 32;
        int clients = 200;
        CountDownLatch evicted = new CountDownLatch(clients - cap);
        ForwardCommand.UdpForwarder forwarder = ForwardCommand.udp(new InetSocketAddress(LOOPBACK, 0),
                HostPort.of(target.localAddress()), cap, Duration.ofHours(1), client -> evicted.countDown());
        try (Pipe server = forwarder.server()) {
            assertThat(roundTrip(server.localAddress(), "warm-up")).isEqualTo("warm-up");
            int before = openDescriptors();

            for (int i = 0; i < clients; i++) {
                assertThat(roundTrip(server.localAddress(), "client " + i)).isEqualTo("client " + i);
            }

            assertThat(evicted.await(30, TimeUnit.SECONDS)).as("evicted upstreams closed").isTrue();
            assertThat(forwarder.upstreams().size()).isEqualTo(cap);
            // Without the cap every client kept its socket: 200 more descriptors.
            assertThat(openDescriptors() - before).isLessThanOrEqualTo(cap + 8);
        }
        assertThat(forwarder.upstreams().size()).isZero();
    }

    @Test
    void idleUpstreamsAreClosedAndAClientThatComesBackGetsANewOne() throws Exception {
        int clients = 20;
        CountDownLatch expired = new CountDownLatch(clients + 1);
        ForwardCommand.UdpForwarder forwarder = ForwardCommand.udp(new InetSocketAddress(LOOPBACK, 0),
                HostPort.of(target.localAddress()), 1000, Duration.ofMillis(200), client -> expired.countDown());
        try (Pipe server = forwarder.server()) {
            assertThat(roundTrip(server.localAddress(), "warm-up")).isEqualTo("warm-up");
            int before = openDescriptors();
            for (int i = 0; i < clients; i++) {
                assertThat(roundTrip(server.localAddress(), "client " + i)).isEqualTo("client " + i);
            }

            assertThat(expired.await(30, TimeUnit.SECONDS)).as("every idle upstream closed").isTrue();
            assertThat(forwarder.upstreams().size()).isZero();
            // Without expiry the 20 clients' sockets would still be open.
            assertThat(openDescriptors()).isLessThanOrEqualTo(before);

            assertThat(roundTrip(server.localAddress(), "back again")).isEqualTo("back again");
            assertThat(forwarder.upstreams().size()).isOne();
        }
    }

    @Test
    void anUpstreamThatFailedToOpenIsNotKeptAndTheNextDatagramTriesAgain() {
        ConcurrentLinkedQueue<InetSocketAddress> released = new ConcurrentLinkedQueue<>();
        CompletableFuture<Pipe> failing = CompletableFuture.failedFuture(new IOException("no descriptors left"));
        InetSocketAddress client = new InetSocketAddress(LOOPBACK, 40000);
        int[] opens = {0};
        try (UdpUpstreams table = new UdpUpstreams(c -> {
            opens[0]++;
            return failing;
        }, 4, Duration.ofHours(1), released::add)) {
            assertThat(table.upstream(client)).isCompletedExceptionally();
            assertThat(table.size()).isZero();
            assertThat(released).containsExactly(client);

            assertThat(table.upstream(client)).isCompletedExceptionally();
            assertThat(opens[0]).isEqualTo(2);
        }
    }

    @Test
    void theLeastRecentlyUsedUpstreamMakesRoom() throws Exception {
        ConcurrentLinkedQueue<InetSocketAddress> released = new ConcurrentLinkedQueue<>();
        CountDownLatch one = new CountDownLatch(1);
        InetSocketAddress a = new InetSocketAddress(LOOPBACK, 40001);
        InetSocketAddress b = new InetSocketAddress(LOOPBACK, 40002);
        InetSocketAddress c = new InetSocketAddress(LOOPBACK, 40003);
        try (UdpUpstreams table = new UdpUpstreams(client -> Pipes.open(Proto.UDP, target.localAddress()), 2,
                Duration.ofHours(1), client -> {
                    released.add(client);
                    one.countDown();
                })) {
            Pipe pa = table.upstream(a).get(10, TimeUnit.SECONDS);
            Pipe pb = table.upstream(b).get(10, TimeUnit.SECONDS);
            table.used(a); // b is now the least recently used

            table.upstream(c).get(10, TimeUnit.SECONDS);

            assertThat(one.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(released).containsExactly(b);
            assertThat(pb.isOpen()).isFalse();
            assertThat(pa.isOpen()).isTrue();
            assertThat(table.size()).isEqualTo(2);
            assertThat(table.upstream(a).get(10, TimeUnit.SECONDS)).isSameAs(pa);
        }
    }

    @Test
    void theDefaultCapIsHalfTheDescriptorLimitAtMost4096() throws IOException {
        // Real processes with a known limit: the cap the forwarder announces follows it.
        assertThat(announcedCap(300)).isEqualTo(150);
        if (hardDescriptorLimit() >= 9000) {
            assertThat(announcedCap(9000)).isEqualTo(4096);
        }
    }

    private static long hardDescriptorLimit() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/limits")).stream()
                .filter(line -> line.startsWith("Max open files"))
                .map(line -> line.substring("Max open files".length()).trim().split("\\s+")[1])
                .mapToLong(v -> v.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(v)).findFirst().orElseThrow();
    }

    /** The client cap `p2pd forward --proto udp` announces when run with {@code ulimit -n limit}. */
    private static int announcedCap(int limit) throws IOException {
        try (P2pd forward = P2pd.startWithDescriptorLimit(limit, "forward", "--proto", "udp", "127.0.0.1:0",
                "127.0.0.1:9")) {
            String line = forward.readLine();
            assertThat(line).contains("(at most ");
            return Integer.parseInt(line.substring(line.indexOf("(at most ") + 9, line.indexOf(" clients)")));
        }
    }

    /** One client socket (a new source port) sends {@code text} and waits for the echo. */
    private static String roundTrip(InetSocketAddress forwarder, String text) throws IOException {
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            client.setSoTimeout(10_000);
            byte[] data = text.getBytes(UTF_8);
            client.send(new DatagramPacket(data, data.length, forwarder));
            DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
            client.receive(reply);
            return new String(reply.getData(), 0, reply.getLength(), UTF_8);
        }
    }

    private static int openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count();
        }
    }
}
