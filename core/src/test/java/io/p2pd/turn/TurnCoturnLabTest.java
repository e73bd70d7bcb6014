package io.p2pd.turn;

import static io.p2pd.turn.Coturn.LO;
import static io.p2pd.turn.Coturn.PASSWORD;
import static io.p2pd.turn.Coturn.USER;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.pipe.Message;
import io.p2pd.pipe.Pipe;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import io.p2pd.pipe.MsgHandler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our TURN client against coturn on loopback: allocations, the relayed pipe both ways with a plain UDP peer, channels
 * and indications. Tagged lab as the other coturn tests are; skipped when coturn is not installed.
 */
@Tag("lab")
class TurnCoturnLabTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;
    static Coturn coturn;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Coturn.installed(), "coturn is not installed (apt-get install coturn)");
        coturn = Coturn.start(dir);
    }

    @AfterAll
    static void stop() throws Exception {
        if (coturn != null) {
            coturn.close();
        }
    }

    static TurnConfig.Builder config() {
        return TurnConfig.builder(USER, PASSWORD).initialRto(Duration.ofMillis(100));
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** A plain UDP peer: java.net's socket, with a bounded wait for each datagram. */
    static DatagramSocket peer() throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(LO, 0));
        s.setSoTimeout((int) WAIT.toMillis());
        return s;
    }

    static DatagramPacket receive(DatagramSocket s) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[65_536], 65_536);
        s.receive(p);
        return p;
    }

    @Test
    void aPermissionAskedForAsTheAllocationClosesFailsWithTheCloseInsteadOfHangingForever() throws Exception {
        TurnAllocation a = await(TurnClient.allocate(coturn.address(), config().build()));
        // The CreatePermission goes out on the allocation's loop just before the close does; its answer then reaches
        // an allocation already released, which ignores it (it used to leave this future pending for good).
        CompletableFuture<Void> permit = a.permit(new InetSocketAddress(LO, 9));
        await(a.closeAsync());
        Throwable e = org.assertj.core.api.Assertions.catchThrowable(() -> await(permit));
        if (e != null) {
            assertThat(e).isInstanceOf(java.util.concurrent.ExecutionException.class)
                    .hasCauseInstanceOf(io.p2pd.pipe.PipeClosedException.class);
        }
        assertThat(permit).isDone();
        assertThatThrownBy(() -> await(a.permit(new InetSocketAddress(LO, 10))))
                .hasCauseInstanceOf(io.p2pd.pipe.PipeClosedException.class);
    }

    @Test
    void allocatesARelayedAddressOnTheServer() throws Exception {
        try (TurnAllocation a = await(TurnClient.allocate(coturn.address(), config().build()))) {
            assertThat(a.relayedAddress().getAddress()).isEqualTo(LO);
            assertThat(a.relayedAddress().getPort()).isPositive();
            assertThat(a.mappedAddress()).contains(new InetSocketAddress(LO, a.localAddress().getPort()));
            assertThat(a.lifetime()).isPositive();
            assertThat(a.serverSoftware()).hasValueSatisfying(s -> assertThat(s).containsIgnoringCase("coturn"));
            assertThat(a.pipe().localAddress()).isEqualTo(a.relayedAddress());
            assertThat(a.pipe().isOpen()).isTrue();
        }
    }

    @Test
    void datagramsGoBothWaysWithAPlainUdpPeer() throws Exception {
        try (TurnAllocation a = await(TurnClient.allocate(coturn.address(), config().build()));
             DatagramSocket peer = peer()) {
            InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
            Pipe relayed = a.pipe();
            byte[] out = "to the peer through the relay".getBytes(UTF_8);
            await(relayed.send(out, peerAddress));
            DatagramPacket got = receive(peer);
            assertThat(Arrays.copyOf(got.getData(), got.getLength())).isEqualTo(out);
            assertThat(got.getSocketAddress()).isEqualTo(a.relayedAddress());

            byte[] back = "from the peer".getBytes(UTF_8);
            peer.send(new DatagramPacket(back, back.length, a.relayedAddress()));
            Message m = await(relayed.recv(WAIT));
            assertThat(m.data()).isEqualTo(back);
            assertThat(m.sender()).isEqualTo(peerAddress);
        }
    }

    /** Sends from the relayed pipe and echoes back from the peer until {@code done} holds; at most 50 rounds. */
    static void exchangeUntil(TurnAllocation a, DatagramSocket peer, java.util.function.Predicate<TurnStats> done)
            throws Exception {
        InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
        for (int i = 0; i < 50 && !done.test(a.stats()); i++) {
            byte[] out = ("round " + i).getBytes(UTF_8);
            await(a.pipe().send(out, peerAddress));
            DatagramPacket got = receive(peer);
            assertThat(Arrays.copyOf(got.getData(), got.getLength())).isEqualTo(out);
            byte[] back = ("echo " + i).getBytes(UTF_8);
            peer.send(new DatagramPacket(back, back.length, a.relayedAddress()));
            Message m = await(a.pipe().recv(WAIT));
            assertThat(m.data()).isEqualTo(back);
            assertThat(m.sender()).isEqualTo(peerAddress);
        }
    }

    @Test
    void withChannelsOffEveryDatagramTravelsInSendAndDataIndications() throws Exception {
        try (TurnAllocation a = await(TurnClient.allocate(coturn.address(), config().channels(false).build()));
             DatagramSocket peer = peer()) {
            exchangeUntil(a, peer, s -> s.sentIndications() >= 5);
            TurnStats s = a.stats();
            assertThat(s.sentIndications()).isEqualTo(5);
            assertThat(s.receivedIndications()).isEqualTo(5);
            assertThat(s.sentChannelData()).isZero();
            assertThat(s.receivedChannelData()).isZero();
        }
    }

    @Test
    void aChannelIsBoundToAPeerThatGetsTrafficAndThenCarriesItBothWays() throws Exception {
        try (TurnAllocation a = await(TurnClient.allocate(coturn.address(), config().build()));
             DatagramSocket peer = peer()) {
            exchangeUntil(a, peer, s -> s.sentChannelData() >= 3 && s.receivedChannelData() >= 3);
            TurnStats s = a.stats();
            // The first datagram goes in a Send indication: the channel is bound once the permission is in place.
            assertThat(s.sentIndications()).isGreaterThanOrEqualTo(1);
            assertThat(s.sentChannelData()).isGreaterThanOrEqualTo(3);
            assertThat(s.receivedChannelData()).isGreaterThanOrEqualTo(3);
            assertThat(s.dropped()).isZero();
        }
    }

    @Test
    void coturnsOwnTestPeerEchoesEveryByteThroughTheRelay() throws Exception {
        int port = Coturn.freePort();
        Process echo = new ProcessBuilder("turnutils_peer", "-L", "127.0.0.1", "-p", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(dir.resolve("peer-" + port + ".log").toFile()).start();
        InetSocketAddress peerAddress = new InetSocketAddress(LO, port);
        // The peer is the relayed pipe's default destination, so request() works as on a UDP client pipe.
        try (TurnAllocation a = await(TurnClient.allocate(coturn.address(), config().peer(peerAddress).build()))) {
            Pipe relayed = a.pipe();
            java.util.Random random = new java.util.Random(13);
            for (int size : new int[] {1, 3, 100, 1200, 4000}) {
                byte[] out = new byte[size];
                random.nextBytes(out);
                Message m = await(relayed.request(out, io.p2pd.pipe.Sub.from(peerAddress)));
                assertThat(m.data()).isEqualTo(out);
                assertThat(m.sender()).isEqualTo(peerAddress);
            }
        } finally {
            echo.destroy();
            echo.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void tenThousandDatagramsEachWayWithTheLossCounted() throws Exception {
        int count = 10_000;
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try (TurnAllocation a = await(TurnClient.allocate(coturn.address(), config().build()));
             DatagramSocket peer = peer()) {
            peer.setReceiveBufferSize(4 << 20);
            InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
            exchangeUntil(a, peer, s -> s.sentChannelData() >= 1 && s.receivedChannelData() >= 1);
            // Relay to peer: the peer reads on its own thread until all came or nothing more comes for 3 s.
            CompletableFuture<Set<Integer>> arrived = CompletableFuture.supplyAsync(() -> readAll(peer, count), reader);
            for (int i = 0; i < count; i++) {
                await(a.pipe().send(datagram(i), peerAddress));
            }
            Set<Integer> atPeer = arrived.get(120, TimeUnit.SECONDS);
            // Peer to relay: counted by a handler, every datagram checked.
            Set<Integer> atPipe = java.util.concurrent.ConcurrentHashMap.newKeySet();
            AtomicInteger bad = new AtomicInteger();
            java.util.concurrent.Semaphore windowIn = new java.util.concurrent.Semaphore(0);
            a.pipe().addMsgHandler(MsgHandler.plain((m, p) -> {
                int seq = seqOf(m.data());
                if (seq < 0 || !m.sender().equals(peerAddress)) {
                    bad.incrementAndGet();
                } else if (atPipe.add(seq)) {
                    windowIn.release();
                }
            }));
            // In windows of 100, as an application with any flow control sends: a window waits (at most 2 s) for
            // what it sent before the next goes; what does not come in that time is lost.
            for (int window = 0; window < count; window += 100) {
                for (int i = window; i < window + 100; i++) {
                    byte[] d = datagram(i);
                    peer.send(new DatagramPacket(d, d.length, a.relayedAddress()));
                }
                windowIn.tryAcquire(100, 2, TimeUnit.SECONDS);
                windowIn.drainPermits();
            }
            int lostOut = count - atPeer.size();
            int lostIn = count - atPipe.size();
            System.out.printf("TURN 10,000 datagrams: lost %d relay->peer, %d peer->relay; stats %s%n", lostOut,
                    lostIn, a.stats());
            assertThat(bad.get()).isZero();
            // Loopback loses little; most must arrive intact for the relay to be of any use.
            assertThat(atPeer.size()).isGreaterThan(count / 2);
            assertThat(atPipe.size()).isGreaterThan(count / 2);
            assertThat(a.stats().sentChannelData()).isGreaterThanOrEqualTo(count);
        } finally {
            reader.shutdownNow();
        }
    }

    static byte[] datagram(int seq) {
        byte[] d = new byte[200];
        java.nio.ByteBuffer.wrap(d).putInt(seq).putInt(~seq);
        for (int i = 8; i < d.length; i++) {
            d[i] = (byte) (seq * 31 + i);
        }
        return d;
    }

    /** The sequence number of an intact datagram of {@link #datagram}, -1 for anything else. */
    static int seqOf(byte[] d) {
        if (d.length != 200) {
            return -1;
        }
        int seq = java.nio.ByteBuffer.wrap(d).getInt();
        return Arrays.equals(d, datagram(seq)) ? seq : -1;
    }

    static Set<Integer> readAll(DatagramSocket peer, int count) {
        Set<Integer> seen = new HashSet<>();
        try {
            peer.setSoTimeout(3_000);
            while (seen.size() < count) {
                DatagramPacket p = receive(peer);
                int seq = seqOf(Arrays.copyOf(p.getData(), p.getLength()));
                if (seq < 0) {
                    throw new AssertionError("a damaged datagram reached the peer");
                }
                seen.add(seq);
            }
        } catch (java.net.SocketTimeoutException nothingMore) {
            // the rest were lost
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return seen;
    }

    @Test
    void theRelayedPipeQueuesWithCountedDropsAndCarriesALink() throws Exception {
        try (DatagramSocket peer = peer()) {
            InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
            TurnConfig conf = config().peer(peerAddress)
                    .pipeConf(io.p2pd.pipe.PipeConf.builder().maxQsize(4).build()).build();
            try (TurnAllocation a = await(TurnClient.allocate(coturn.address(), conf));
                 Pipe local = await(io.p2pd.pipe.Pipes.udp().bind(new InetSocketAddress(LO, 0)).open())) {
                exchangeUntil(a, peer, s -> s.sentChannelData() >= 1 && s.receivedChannelData() >= 1);
                // A full queue of a UDP pipe drops its oldest message and counts it, here as anywhere.
                java.util.concurrent.CountDownLatch all = new java.util.concurrent.CountDownLatch(20);
                // The catch-all queue, claimed so it stays beside a handler, is offered each message before the handler
                // that counts them.
                a.pipe().subscribe(io.p2pd.pipe.Sub.ALL);
                a.pipe().subscribe(io.p2pd.pipe.Sub.from(peerAddress), MsgHandler.plain((m, p) -> all.countDown()));
                for (int i = 0; i < 20; i++) {
                    byte[] d = ("n" + i).getBytes(UTF_8);
                    peer.send(new DatagramPacket(d, d.length, a.relayedAddress()));
                }
                assertThat(all.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
                assertThat(a.pipe().stats().dropped()).isEqualTo(16);
                for (int i = 16; i < 20; i++) {
                    assertThat(new String(await(a.pipe().recv(WAIT)).data(), UTF_8)).isEqualTo("n" + i);
                }
                // A link into the relayed pipe: what reaches the local pipe goes on to the peer through the relay.
                local.link(a.pipe());
                byte[] linked = "through a link".getBytes(UTF_8);
                try (DatagramSocket sender = new DatagramSocket(new InetSocketAddress(LO, 0))) {
                    sender.send(new DatagramPacket(linked, linked.length, local.localAddress()));
                }
                DatagramPacket got = receive(peer);
                assertThat(Arrays.copyOf(got.getData(), got.getLength())).isEqualTo(linked);
                assertThat(got.getSocketAddress()).isEqualTo(a.relayedAddress());
            }
        }
    }

    @Test
    void closingDeletesTheAllocationOnTheServer() throws Exception {
        // Verbose, so coturn logs each request it handles. (It frees the 5-tuple on its own timer after the delete,
        // so an immediate second Allocate from the same port may still get 437: its log is the evidence.)
        try (Coturn verbose = Coturn.start(dir, "-V")) {
            TurnAllocation a = await(TurnClient.allocate(verbose.address(), config().build()));
            assertThat(verbose.log()).doesNotContain("lifetime=0");
            a.close();
            assertThat(a.pipe().isOpen()).isFalse();
            assertThat(verbose.log()).containsPattern("refreshed, realm=<p2pd.test>, username=<alice>, lifetime=0")
                    .contains("REFRESH processed, success");
        }
    }
}
