package io.p2pd.turn;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.stun.StunAttribute;
import io.p2pd.stun.StunErrorCode;
import io.p2pd.stun.StunMessage;
import io.p2pd.stun.StunMessage.MessageClass;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The client's checks of what a server answers, against a hand-driven server on loopback (coturn answers correctly,
 * so it cannot show these): a success response not signed with our key is refused, MESSAGE-INTEGRITY-SHA256 is used
 * when the server offers SHA-256 in PASSWORD-ALGORITHMS, and 438 Stale Nonce is retried once.
 */
class TurnResponseCheckTest {
    static final InetAddress LO = InetAddress.getLoopbackAddress();
    static final String REALM = "fake.test";
    static final InetSocketAddress RELAYED = new InetSocketAddress(LO, 40_000);

    enum Answer { SIGNED, UNSIGNED, WRONG_KEY, SHA256, STALE_ONCE }

    /** One Allocate exchange the way {@code answer} says; counts the signed requests it saw. */
    static final class FakeTurn implements AutoCloseable {
        final DatagramSocket socket;
        final Answer answer;
        final AtomicInteger signedRequests = new AtomicInteger();
        final AtomicInteger sha256Requests = new AtomicInteger();
        final java.util.concurrent.CountDownLatch deleted = new java.util.concurrent.CountDownLatch(1);
        final Thread thread;
        int stale;

        FakeTurn(Answer answer) throws SocketException {
            this.socket = new DatagramSocket(new InetSocketAddress(LO, 0));
            this.answer = answer;
            this.thread = Thread.ofPlatform().daemon().start(this::serve);
        }

        InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        private void serve() {
            byte[] buf = new byte[2048];
            try {
                while (!socket.isClosed()) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    StunMessage reply = answer(StunMessage.decode(Arrays.copyOf(p.getData(), p.getLength())),
                            (InetSocketAddress) p.getSocketAddress());
                    if (reply != null) {
                        byte[] out = reply.encode();
                        socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                    }
                }
            } catch (Exception closed) {
                // the test closed the socket
            }
        }

        private StunMessage answer(StunMessage request, InetSocketAddress client) {
            boolean sha = answer == Answer.SHA256;
            if (!request.hasIntegrity() && !request.hasIntegritySha256()) {
                StunMessage.Builder b = StunMessage.responseTo(request, MessageClass.ERROR_RESPONSE)
                        .errorCode(new StunErrorCode(401, "Unauthorized")).realm(REALM).nonce("nonce-1");
                if (sha) {
                    b.add(StunAttribute.of(StunAttribute.PASSWORD_ALGORITHMS, new byte[] {0, 2, 0, 0, 0, 1, 0, 0}));
                }
                return b.build();
            }
            byte[] md5 = StunMessage.longTermKey(Coturn.USER, REALM, Coturn.PASSWORD);
            byte[] sha256 = StunMessage.longTermKeySha256(Coturn.USER, REALM, Coturn.PASSWORD);
            if (sha ? !request.checkIntegritySha256(sha256) : !request.checkIntegrity(md5)) {
                return StunMessage.responseTo(request, MessageClass.ERROR_RESPONSE)
                        .errorCode(new StunErrorCode(401, "Unauthorized")).realm(REALM).nonce("nonce-1").build();
            }
            signedRequests.incrementAndGet();
            if (request.method() == StunMessage.METHOD_REFRESH && request.lifetime().orElse(-1L) == 0) {
                deleted.countDown();
            }
            if (sha) {
                sha256Requests.incrementAndGet();
            }
            if (answer == Answer.STALE_ONCE && stale++ == 0) {
                return StunMessage.responseTo(request, MessageClass.ERROR_RESPONSE)
                        .errorCode(new StunErrorCode(438, "Stale Nonce")).realm(REALM).nonce("nonce-2").build();
            }
            if (answer == Answer.STALE_ONCE && !request.nonce().orElseThrow().equals("nonce-2")) {
                return null;
            }
            StunMessage.Builder ok = StunMessage.responseTo(request, MessageClass.SUCCESS_RESPONSE)
                    .xorRelayedAddress(RELAYED).xorMappedAddress(client).lifetime(600);
            switch (answer) {
                case SIGNED, STALE_ONCE -> ok.messageIntegrity(md5);
                case WRONG_KEY -> ok.messageIntegrity(StunMessage.longTermKey(Coturn.USER, REALM, "other"));
                case SHA256 -> ok.messageIntegritySha256(sha256);
                case UNSIGNED -> { }
            }
            return ok.build();
        }

        @Override
        public void close() {
            socket.close();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static TurnConfig config() {
        return TurnConfig.builder(Coturn.USER, Coturn.PASSWORD).initialRto(Duration.ofMillis(50))
                .timeLimit(Duration.ofMillis(800)).closeTimeout(Duration.ofMillis(300)).build();
    }

    static Throwable failure(java.util.concurrent.CompletableFuture<?> f) throws Exception {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure");
    }

    @Test
    void anAllocationWhoseCallerGaveUpIsDeleted() throws Exception {
        try (FakeTurn server = new FakeTurn(Answer.SIGNED)) {
            TurnClient.allocate(server.address(), config()).cancel(false);
            assertThat(server.deleted.await(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aSuccessSignedWithOurKeyIsAccepted() throws Exception {
        try (FakeTurn server = new FakeTurn(Answer.SIGNED);
             TurnAllocation a = TurnClient.allocate(server.address(), config()).get(10, TimeUnit.SECONDS)) {
            assertThat(a.relayedAddress()).isEqualTo(RELAYED);
            assertThat(a.stats().unsignedResponses()).isZero();
        }
    }

    @Test
    void anUnsignedSuccessIsRefused() throws Exception {
        try (FakeTurn server = new FakeTurn(Answer.UNSIGNED)) {
            Throwable e = failure(TurnClient.allocate(server.address(), config()));
            assertThat(e).isInstanceOf(TurnProtocolException.class).hasMessageContaining("not signed with our key");
            assertThat(server.signedRequests.get()).isPositive();
        }
    }

    @Test
    void aSuccessSignedWithAnotherKeyIsRefused() throws Exception {
        try (FakeTurn server = new FakeTurn(Answer.WRONG_KEY)) {
            Throwable e = failure(TurnClient.allocate(server.address(), config()));
            assertThat(e).isInstanceOf(TurnProtocolException.class).hasMessageContaining("not signed with our key");
        }
    }

    @Test
    void sha256IsUsedWhenTheServerOffersIt() throws Exception {
        try (FakeTurn server = new FakeTurn(Answer.SHA256);
             TurnAllocation a = TurnClient.allocate(server.address(), config()).get(10, TimeUnit.SECONDS)) {
            assertThat(a.relayedAddress()).isEqualTo(RELAYED);
            assertThat(server.sha256Requests.get()).isPositive();
        }
    }

    @Test
    void aStaleNonceIsRetriedOnceWithTheNewNonce() throws Exception {
        try (FakeTurn server = new FakeTurn(Answer.STALE_ONCE);
             TurnAllocation a = TurnClient.allocate(server.address(), config()).get(10, TimeUnit.SECONDS)) {
            assertThat(a.relayedAddress()).isEqualTo(RELAYED);
            assertThat(a.stats().staleNonces()).isEqualTo(1);
        }
    }
}
