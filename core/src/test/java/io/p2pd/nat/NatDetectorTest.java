package io.p2pd.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.p2pd.stun.StunClientConfig;
import io.p2pd.stun.StunMessage;
import io.p2pd.stun.StunServer;
import io.p2pd.stun.StunServerConfig;
import io.p2pd.stun.StunDecodeException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The detector on loopback, where there is no NAT: the open-internet path against our RFC 5780 server (and
 * in RFC 3489 mode), and every failure: silent servers (blocked), a server without alternate address, one
 * that ignores CHANGE-REQUEST, the time limit, cancelling, a bind IP the host lacks. The NAT paths run in
 * the namespace lab ({@link NatLabTest}).
 */
class NatDetectorTest {
    static final InetAddress LO1 = ip("127.0.0.1");
    static final InetAddress LO2 = ip("127.0.0.2");
    static final Duration SHORT = Duration.ofMillis(300);

    static StunServer rfc5780;
    static StunServer plain;

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll
    static void start() {
        rfc5780 = StunServer.start(StunServerConfig.rfc5780(LO1, 0, LO2, 0)).join();
        plain = StunServer.start(StunServerConfig.of(LO1, 0)).join();
    }

    @AfterAll
    static void stop() throws Exception {
        rfc5780.closeAsync().get(10, TimeUnit.SECONDS);
        plain.closeAsync().get(10, TimeUnit.SECONDS);
    }

    static NatReport await(CompletableFuture<NatReport> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    static NatDetectionException failure(CompletableFuture<NatReport> f) {
        Throwable t = catchThrowable(() -> f.get(20, TimeUnit.SECONDS));
        assertThat(t).isInstanceOf(ExecutionException.class).cause().isInstanceOf(NatDetectionException.class);
        return (NatDetectionException) t.getCause();
    }

    @Test
    void loopbackIsOpenInternetWithTheServersUsedAndProgress() throws Exception {
        List<String> progress = new CopyOnWriteArrayList<>();
        NatReport r = await(NatDetector.detect(NatConfig.builder(List.of(rfc5780.primaryAddress()))
                .progress(progress::add).build()));
        assertThat(r.natType()).isEqualTo(NatType.OPEN_INTERNET);
        assertThat(r.delta()).isEqualTo(PortDelta.of(DeltaType.NOT_APPLICABLE));
        // no bind IP given: the routed one, found without sending
        assertThat(r.localAddress().getAddress()).isEqualTo(LO1);
        assertThat(r.mappedAddresses()).containsExactly(r.localAddress());
        assertThat(r.servers()).containsExactly(rfc5780.primaryAddress(), rfc5780.otherAddress().orElseThrow());
        assertThat(r.elapsed()).isPositive();
        assertThat(progress).anyMatch(l -> l.startsWith("test I to 127.0.0.1:"))
                .anyMatch(l -> l.startsWith("test II") && l.contains("answered from 127.0.0.2:"))
                .contains("NAT type 1 (open internet)");
        assertThat(r.toJson()).contains("\"natType\":1", "\"deltaType\":1", "\"local\":\"127.0.0.1:");
    }

    @Test
    void rfc3489RequestsUseChangedAddress() throws Exception {
        NatReport r = await(NatDetector.detect(NatConfig.builder(List.of(rfc5780.primaryAddress())).bindIp(LO1)
                .stun(StunClientConfig.builder().rfc3489(true).initialRto(Duration.ofMillis(100)).build()).build()));
        assertThat(r.natType()).isEqualTo(NatType.OPEN_INTERNET);
        assertThat(r.servers()).containsExactly(rfc5780.primaryAddress(), rfc5780.otherAddress().orElseThrow());
    }

    @Test
    void silentServersMeanBlockedAndAreAllListed() throws Exception {
        try (DatagramSocket a = new DatagramSocket(new InetSocketAddress(LO1, 0));
             DatagramSocket b = new DatagramSocket(new InetSocketAddress(LO1, 0))) {
            InetSocketAddress sa = (InetSocketAddress) a.getLocalSocketAddress();
            InetSocketAddress sb = (InetSocketAddress) b.getLocalSocketAddress();
            NatReport r = await(NatDetector.detect(NatConfig.builder(List.of(sa, sb)).probeTimeout(SHORT).build()));
            assertThat(r.natType()).isEqualTo(NatType.BLOCKED);
            assertThat(r.delta().type()).isEqualTo(DeltaType.NOT_APPLICABLE);
            assertThat(r.mappedAddresses()).isEmpty();
            assertThat(r.servers()).containsExactly(sa, sb);
        }
    }

    /**
     * An RFC 5780 server on LO1 (primary) and LO2 (alternate) that holds the answer to the first request of each
     * kind (test I, test II) until a request of another transaction comes: that answer arrives only after the
     * prober gave up on it, as a cold or busy machine's first answers did. Retransmissions of a held request are
     * held too.
     */
    static final class LateFirstAnswers implements AutoCloseable {
        final DatagramSocket primary = new DatagramSocket(new InetSocketAddress(LO1, 0));
        final DatagramSocket alternate = new DatagramSocket(new InetSocketAddress(LO2, 0));
        final AtomicInteger held = new AtomicInteger();
        /** Touched by the server thread only. */
        private final Set<Integer> kindsSeen = new HashSet<>();
        private final List<Held> holding = new ArrayList<>();
        private final Thread server;

        private record Held(StunMessage request, DatagramPacket answer, DatagramSocket from) {
        }

        LateFirstAnswers() throws SocketException {
            server = Thread.ofVirtual().start(this::serve);
        }

        InetSocketAddress address() {
            return (InetSocketAddress) primary.getLocalSocketAddress();
        }

        private void serve() {
            byte[] buf = new byte[2048];
            while (true) {
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                try {
                    primary.receive(in);
                    StunMessage req = StunMessage.decode(Arrays.copyOf(in.getData(), in.getLength()));
                    if (holding.stream().anyMatch(h -> h.request().sameTransaction(req))) {
                        continue; // a retransmission of a held request
                    }
                    for (Held h : holding) { // the prober has moved on: these come too late
                        h.from().send(h.answer());
                    }
                    holding.clear();
                    int kind = req.changeRequest().orElse(0);
                    InetSocketAddress client = (InetSocketAddress) in.getSocketAddress();
                    byte[] answer = StunMessage.responseTo(req, StunMessage.MessageClass.SUCCESS_RESPONSE)
                            .xorMappedAddress(client).otherAddress((InetSocketAddress) alternate.getLocalSocketAddress())
                            .build().encode();
                    Held h = new Held(req, new DatagramPacket(answer, answer.length, client),
                            kind == 0 ? primary : alternate);
                    if (kindsSeen.add(kind)) {
                        held.incrementAndGet();
                        holding.add(h);
                    } else {
                        h.from().send(h.answer());
                    }
                } catch (IOException closed) {
                    return;
                } catch (StunDecodeException notStun) {
                    // not ours to answer
                }
            }
        }

        @Override
        public void close() {
            primary.close();
            alternate.close();
            joinQuietly(server);
        }
    }

    /**
     * Issue 17: a server whose first answers come late (later than probeTimeout) is neither "blocked" nor
     * "firewall": a silent test I and a silent test II are asked once more, waiting longer.
     */
    @Test
    void lateFirstAnswersAreWaitedForBeforeConcludingBlockedOrFirewall() throws Exception {
        List<String> progress = new CopyOnWriteArrayList<>();
        try (LateFirstAnswers late = new LateFirstAnswers()) {
            NatReport r = await(NatDetector.detect(NatConfig.builder(List.of(late.address())).bindIp(LO1)
                    .probeTimeout(SHORT).progress(progress::add).build()));
            assertThat(r.natType()).isEqualTo(NatType.OPEN_INTERNET);
            assertThat(late.held.get()).isEqualTo(2);
            assertThat(progress).anyMatch(l -> l.startsWith("test I again to"))
                    .anyMatch(l -> l.startsWith("test II again") && l.contains("answered from 127.0.0.2:"));
        }
    }

    @Test
    void aSilentServerIsSkippedForTheNextOne() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(LO1, 0))) {
            InetSocketAddress s = (InetSocketAddress) silent.getLocalSocketAddress();
            NatReport r = await(NatDetector.detect(NatConfig.builder(List.of(s, rfc5780.primaryAddress()))
                    .probeTimeout(SHORT).build()));
            assertThat(r.natType()).isEqualTo(NatType.OPEN_INTERNET);
            assertThat(r.servers()).containsExactly(rfc5780.primaryAddress(), rfc5780.otherAddress().orElseThrow(), s);
        }
    }

    @Test
    void serversWithoutAlternateAddressFail() {
        NatDetectionException e = failure(NatDetector.detect(NatConfig.of(plain.primaryAddress())));
        assertThat(e.reason()).isEqualTo(NatDetectionException.Reason.NO_ALTERNATE);
        assertThat(e.getMessage()).contains("[127.0.0.1:" + plain.primaryAddress().getPort() + "]")
                .doesNotContain("/");
    }

    @Test
    void aServerIgnoringChangeRequestIsAServerError() throws Exception {
        try (Liar liar = new Liar()) {
            NatDetectionException e = failure(NatDetector.detect(NatConfig.builder(List.of(liar.address()))
                    .probeTimeout(SHORT).build()));
            assertThat(e.reason()).isEqualTo(NatDetectionException.Reason.SERVER_ERROR);
            assertThat(e.getMessage()).contains("answered a CHANGE-REQUEST from 127.0.0.1:" + liar.address().getPort());
        }
    }

    @Test
    void theTimeLimitBoundsTheWholeDetection() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(LO1, 0))) {
            NatDetectionException e = failure(NatDetector.detect(NatConfig.builder(
                    List.of((InetSocketAddress) silent.getLocalSocketAddress()))
                    .probeTimeout(Duration.ofSeconds(10)).timeLimit(SHORT).build()));
            assertThat(e.reason()).isEqualTo(NatDetectionException.Reason.TIME_LIMIT);
            assertThat(e.getMessage()).contains("300 ms");
        }
    }

    @Test
    void cancellingStopsTheDetection() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(LO1, 0))) {
            List<String> progress = new CopyOnWriteArrayList<>();
            CompletableFuture<NatReport> f = NatDetector.detect(NatConfig.builder(
                    List.of((InetSocketAddress) silent.getLocalSocketAddress())).probeTimeout(Duration.ofSeconds(10))
                    .timeLimit(Duration.ofSeconds(10)).progress(progress::add).build());
            assertThat(f.cancel(true)).isTrue();
            assertThat(catchThrowable(() -> f.get(1, TimeUnit.SECONDS))).isInstanceOf(CancellationException.class);
            assertThat(progress).noneMatch(l -> l.contains("blocked"));
        }
    }

    @Test
    void aBindIpTheHostLacksIsASocketError() {
        NatDetectionException e = failure(NatDetector.detect(NatConfig.builder(List.of(rfc5780.primaryAddress()))
                .bindIp(ip("192.0.2.77")).build()));
        assertThat(e.reason()).isEqualTo(NatDetectionException.Reason.SOCKET);
        assertThat(e.getMessage()).contains("192.0.2.77");
        assertThat(e.getCause()).isNotNull();
    }

    @Test
    void aSilentAlternateBehindAFilteringNatIsInconclusive() throws Exception {
        // a "NAT" (another mapped address) that drops both changed answers, and an alternate that never answers
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(LO2, 0));
             Liar nat = new Liar(new InetSocketAddress("198.18.0.1", 4000),
                     (InetSocketAddress) silent.getLocalSocketAddress(), false)) {
            List<String> progress = new CopyOnWriteArrayList<>();
            NatDetectionException e = failure(NatDetector.detect(NatConfig.builder(List.of(nat.address()))
                    .probeTimeout(SHORT).progress(progress::add).build()));
            assertThat(e.reason()).isEqualTo(NatDetectionException.Reason.INCONCLUSIVE);
            assertThat(e.getMessage()).contains("127.0.0.2");
            // the alternate IP with the primary port first, then the alternate address itself
            assertThat(progress).contains("test I to the alternate IP 127.0.0.2:" + nat.address().getPort() + ": no answer",
                    "test I to the alternate " + io.p2pd.net.HostPort.of((InetSocketAddress) silent.getLocalSocketAddress())
                            + ": no answer");
        }
    }

    /**
     * Answers binding requests from its one socket, claiming an alternate address: every request (CHANGE-REQUEST
     * ignored), or only those without CHANGE-REQUEST; with the sender's address or a fixed "mapped" one.
     */
    static final class Liar implements AutoCloseable {
        private final DatagramSocket socket = new DatagramSocket(new InetSocketAddress(LO1, 0));
        private final InetSocketAddress mapped;
        private final InetSocketAddress other;
        private final boolean answerChangeRequests;
        private final Thread thread;

        Liar() throws SocketException {
            this(null, new InetSocketAddress(LO2, 9), true);
        }

        Liar(InetSocketAddress mapped, InetSocketAddress other, boolean answerChangeRequests) throws SocketException {
            this.mapped = mapped;
            this.other = other;
            this.answerChangeRequests = answerChangeRequests;
            this.thread = Thread.ofVirtual().start(this::serve);
        }

        InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        private void serve() {
            byte[] buf = new byte[1500];
            for (int i = 0; i < 200; i++) { // bounded; ends when the socket closes
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    StunMessage req = StunMessage.decode(buf, 0, p.getLength());
                    if (!answerChangeRequests && req.changeRequest().orElse(0) != 0) {
                        continue;
                    }
                    InetSocketAddress from = (InetSocketAddress) p.getSocketAddress();
                    byte[] reply = StunMessage.responseTo(req, StunMessage.MessageClass.SUCCESS_RESPONSE)
                            .xorMappedAddress(mapped == null ? from : mapped).otherAddress(other).build().encode();
                    socket.send(new DatagramPacket(reply, reply.length, from));
                } catch (Exception closed) {
                    return;
                }
            }
        }

        @Override
        public void close() {
            socket.close();
            joinQuietly(thread);
        }
    }

    /** Waits for a server thread that a closed socket ends; close() does not throw InterruptedException. */
    private static void joinQuietly(Thread thread) {
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
