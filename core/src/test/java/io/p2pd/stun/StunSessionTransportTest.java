package io.p2pd.stun;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.Test;

/**
 * The client against the transport seam alone, with a hand-driven clock: retransmission schedule and
 * deadline without any real time or socket.
 */
class StunSessionTransportTest {
    static final InetSocketAddress LOCAL = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
    static final InetSocketAddress SERVER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 3478);

    /** Records what is sent and what is scheduled; the test runs the timers itself. */
    static final class ManualTransport implements DatagramTransport {
        final List<byte[]> sent = new ArrayList<>();
        final List<InetSocketAddress> targets = new ArrayList<>();
        final List<Duration> delays = new ArrayList<>();
        final List<FutureTask<?>> timers = new ArrayList<>();
        Receiver receiver;
        boolean closed;
        /** When set, sends complete only when the test completes this future (a write held up on a busy loop). */
        CompletableFuture<Void> written;

        @Override
        public InetSocketAddress localAddress() {
            return LOCAL;
        }

        @Override
        public CompletableFuture<Void> send(byte[] data, InetSocketAddress to) {
            sent.add(data);
            targets.add(to);
            return written != null ? written : CompletableFuture.completedFuture(null);
        }

        @Override
        public Future<?> schedule(Runnable task, Duration delay) {
            FutureTask<?> t = new FutureTask<>(task, null);
            delays.add(delay);
            timers.add(t);
            return t;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    static StunSession open(ManualTransport t, StunClientConfig cfg) {
        return StunSession.open(cfg, r -> {
            t.receiver = r;
            return CompletableFuture.completedFuture(t);
        }).join();
    }

    @Test
    void retransmitsWithDoublingRtoUpToTheLimitThenTimesOut() {
        ManualTransport t = new ManualTransport();
        StunClientConfig cfg = StunClientConfig.builder().initialRto(Duration.ofMillis(100)).maxTransmissions(4)
                .timeLimit(Duration.ofSeconds(3)).build();
        StunSession s = open(t, cfg);
        CompletableFuture<StunResult> f = s.binding(SERVER);
        // timers[0] is the deadline, timers[1] the first retransmission
        assertThat(t.delays).containsExactly(Duration.ofSeconds(3), Duration.ofMillis(100));
        assertThat(t.sent).hasSize(1);
        t.timers.get(1).run();
        t.timers.get(2).run();
        t.timers.get(3).run();
        assertThat(t.sent).hasSize(4);
        assertThat(t.targets).containsOnly(SERVER);
        assertThat(t.sent).allSatisfy(b -> assertThat(b).isEqualTo(t.sent.getFirst()));
        // 4 transmissions: no fifth timer; retransmission gaps doubled
        assertThat(t.delays).containsExactly(Duration.ofSeconds(3), Duration.ofMillis(100), Duration.ofMillis(200),
                Duration.ofMillis(400));
        assertThat(f).isNotDone();
        t.timers.getFirst().run(); // the deadline
        assertThat(f).isCompletedExceptionally();
        assertThat(f.exceptionNow()).isInstanceOf(StunTimeoutException.class)
                .hasMessageContaining("from 127.0.0.1:3478 ").hasMessageContaining("3000 ms").hasMessageContaining("4 transmissions");
        assertThat(s.pendingRequests()).isZero();
        s.close();
        assertThat(t.closed).isTrue();
    }

    /** Issue 17: the deadline and the retransmission clock start once the request is written, not when asked. */
    @Test
    void clocksStartWhenTheRequestIsWritten() {
        ManualTransport t = new ManualTransport();
        t.written = new CompletableFuture<>();
        StunSession s = open(t, StunClientConfig.builder().initialRto(Duration.ofMillis(100))
                .timeLimit(Duration.ofSeconds(3)).build());
        CompletableFuture<StunResult> f = s.binding(SERVER, false, false, Duration.ofSeconds(7));
        assertThat(t.sent).hasSize(1);
        assertThat(t.timers).isEmpty(); // still queued: no clock runs yet
        t.written.complete(null);
        assertThat(t.delays).containsExactly(Duration.ofSeconds(7), Duration.ofMillis(100));
        t.timers.getFirst().run();
        assertThat(f.exceptionNow()).isInstanceOf(StunTimeoutException.class).hasMessageContaining("7000 ms");
        s.close();
    }

    @Test
    void answerStopsRetransmissionAndReplyFromAnySourceIsAccepted() throws Exception {
        ManualTransport t = new ManualTransport();
        StunSession s = open(t, StunClientConfig.builder().software("p2pd").fingerprint(true).build());
        CompletableFuture<StunResult> f = s.binding(SERVER, true, false);
        StunMessage request = StunMessage.decode(t.sent.getFirst());
        assertThat(request.changeRequest()).contains(4);
        assertThat(request.software()).contains("p2pd");
        assertThat(request.checkFingerprint()).isTrue();
        InetSocketAddress otherIp = new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 3478);
        StunMessage reply = StunMessage.responseTo(request, StunMessage.MessageClass.SUCCESS_RESPONSE)
                .xorMappedAddress(LOCAL).mappedAddress(new InetSocketAddress(InetAddress.getByName("10.0.0.1"), 1))
                .changedAddress(otherIp).fingerprint().build();
        t.receiver.onDatagram(reply.encode(), otherIp);
        StunResult r = f.join();
        assertThat(r.mappedAddress()).isEqualTo(LOCAL); // XOR-MAPPED preferred over MAPPED
        assertThat(r.replySource()).isEqualTo(otherIp);
        assertThat(r.changedAddress()).contains(otherIp);
        assertThat(r.alternateAddress()).contains(otherIp);
        assertThat(t.timers).allSatisfy(timer -> assertThat(timer.isCancelled()).isTrue());
        // a duplicate of the answer (a retransmission's) is counted as ignored
        t.receiver.onDatagram(reply.encode(), otherIp);
        assertThat(s.ignoredResponses()).isEqualTo(1);
        // a reply with a broken FINGERPRINT is malformed, not an answer
        CompletableFuture<StunResult> g = s.binding(SERVER);
        byte[] bad = StunMessage.responseTo(StunMessage.decode(t.sent.getLast()), StunMessage.MessageClass.SUCCESS_RESPONSE)
                .xorMappedAddress(LOCAL).fingerprint().build().encode();
        bad[bad.length - 1] ^= 1;
        t.receiver.onDatagram(bad, SERVER);
        assertThat(g).isNotDone();
        assertThat(s.malformedResponses()).isEqualTo(1);
        s.close();
    }

    @Test
    void errorResponseCarriesCodeAndReason() throws Exception {
        ManualTransport t = new ManualTransport();
        StunSession s = open(t, StunClientConfig.defaults());
        CompletableFuture<StunResult> f = s.binding(SERVER);
        StunMessage request = StunMessage.decode(t.sent.getFirst());
        t.receiver.onDatagram(StunMessage.responseTo(request, StunMessage.MessageClass.ERROR_RESPONSE)
                .errorCode(new StunErrorCode(438, "Stale Nonce")).build().encode(), SERVER);
        assertThat(f.exceptionNow()).isInstanceOfSatisfying(StunErrorResponseException.class, e -> {
            assertThat(e.code()).isEqualTo(438);
            assertThat(e.reason()).isEqualTo("Stale Nonce");
            assertThat(e.server()).isEqualTo(SERVER);
        });
        s.close();
    }
}
