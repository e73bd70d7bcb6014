package io.p2pd.turn;

import static io.p2pd.turn.Coturn.LO;
import static io.p2pd.turn.Coturn.PASSWORD;
import static io.p2pd.turn.Coturn.USER;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.nic.Family;
import io.p2pd.stun.StunErrorCode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each TURN error provoked for real on a coturn set up for it, and asserted by type, code and reason. */
@Tag("lab")
class TurnErrorsLabTest {
    @TempDir
    Path dir;

    @BeforeEach
    void coturnInstalled() {
        Assumptions.assumeTrue(Coturn.installed(), "coturn is not installed (apt-get install coturn)");
    }

    static TurnConfig.Builder config() {
        return TurnConfig.builder(USER, PASSWORD).initialRto(Duration.ofMillis(100));
    }

    static Throwable failure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure, got " + f.join());
    }

    @Test
    void aPermissionThatTimedOutIsAskedForAgainByTheNextDatagram() throws Exception {
        try (Coturn coturn = Coturn.start(dir, true); java.net.DatagramSocket peer = TurnCoturnLabTest.peer()) {
            try (TurnAllocation a = TurnCoturnLabTest.await(TurnClient.allocate(coturn.address(),
                    config().timeLimit(Duration.ofSeconds(1)).build()))) {
                InetSocketAddress to = (InetSocketAddress) peer.getLocalSocketAddress();
                // The server frozen (SIGSTOP, by the pid of the process we started): the CreatePermission times out.
                signal(coturn, "STOP");
                try {
                    assertThat(failure(a.permit(to))).isInstanceOf(TurnTimeoutException.class);
                } finally {
                    signal(coturn, "CONT");
                }
                // A timeout is not a refusal: the next datagram asks again and gets through (it was dropped for the
                // rest of the allocation before).
                byte[] out = "after a lost CreatePermission".getBytes(UTF_8);
                TurnCoturnLabTest.await(a.pipe().send(out, to));
                java.net.DatagramPacket got = TurnCoturnLabTest.receive(peer);
                assertThat(java.util.Arrays.copyOf(got.getData(), got.getLength())).isEqualTo(out);
            }
        }
    }

    private static void signal(Coturn coturn, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(coturn.process.pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    @Test
    void aWrongPasswordIsRefusedAfterTheSignedRetry() throws Exception {
        try (Coturn coturn = Coturn.start(dir)) {
            Throwable e = failure(TurnClient.allocate(coturn.address(),
                    TurnConfig.builder(USER, "not the password").build()));
            assertThat(e).isInstanceOf(TurnAuthenticationException.class);
            TurnAuthenticationException auth = (TurnAuthenticationException) e;
            assertThat(auth.code()).isEqualTo(StunErrorCode.UNAUTHORIZED);
            assertThat(auth.server()).isEqualTo(coturn.address());
            assertThat(auth.getMessage()).contains("Allocate").contains("401");
        }
    }

    @Test
    void aPeerTheServerDeniesIsForbidden() throws Exception {
        try (Coturn coturn = Coturn.start(dir, "--denied-peer-ip=127.0.0.2");
             TurnAllocation a = TurnClient.allocate(coturn.address(), config().build()).get(20, TimeUnit.SECONDS)) {
            InetSocketAddress denied = new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 9);
            Throwable e = failure(a.permit(denied));
            assertThat(e).isInstanceOf(TurnForbiddenException.class);
            assertThat(((TurnForbiddenException) e).code()).isEqualTo(StunErrorCode.FORBIDDEN);
            // Datagrams to it are dropped and counted; the allocation serves other peers still.
            a.pipe().send("x".getBytes(UTF_8), denied).get(20, TimeUnit.SECONDS);
            assertThat(a.stats().dropped()).isEqualTo(1);
            a.permit(new InetSocketAddress(LO, 9)).get(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void aUserOverItsQuotaIsRefusedWith486() throws Exception {
        try (Coturn coturn = Coturn.start(dir, "--user-quota=1");
             TurnAllocation first = TurnClient.allocate(coturn.address(), config().build())
                     .get(20, TimeUnit.SECONDS)) {
            Throwable e = failure(TurnClient.allocate(coturn.address(), config().build()));
            assertThat(e).isInstanceOf(TurnQuotaException.class);
            assertThat(((TurnQuotaException) e).code()).isEqualTo(StunErrorCode.ALLOCATION_QUOTA_REACHED);
            assertThat(first.pipe().isOpen()).isTrue();
        }
    }

    @Test
    void aServerWithoutRelayPortsLeftIsOutOfCapacity() throws Exception {
        int only = Coturn.freePort();
        // One relay port: the second allocation finds none (a total quota would give 486, not 508).
        try (Coturn coturn = Coturn.start(dir, "--min-port=" + only, "--max-port=" + only);
             TurnAllocation first = TurnClient.allocate(coturn.address(), config().build())
                     .get(20, TimeUnit.SECONDS)) {
            Throwable e = failure(TurnClient.allocate(coturn.address(), config().build()));
            assertThat(e).isInstanceOf(TurnCapacityException.class);
            assertThat(first.pipe().isOpen()).isTrue();
        }
    }

    @Test
    void anIpv6RelayFromAServerWithoutIpv6IsAnAddressFamilyError() throws Exception {
        try (Coturn coturn = Coturn.start(dir)) {
            Throwable e = failure(TurnClient.allocate(coturn.address(), config().family(Family.V6).build()));
            assertThat(e).isInstanceOf(TurnAddressFamilyException.class);
            assertThat(((TurnAddressFamilyException) e).code()).isEqualTo(
                    StunErrorCode.ADDRESS_FAMILY_NOT_SUPPORTED);
        }
    }

    @Test
    void aStunOnlyServerIsNotATurnServer() throws Exception {
        try (Coturn coturn = Coturn.start(dir, false)) {
            Throwable e = failure(TurnClient.allocate(coturn.address(), config().timeLimit(Duration.ofSeconds(2))
                    .build()));
            assertThat(e).isInstanceOf(TurnNotSupportedException.class);
            assertThat(e.getMessage()).contains("not a TURN server");
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOutAfterItsRetransmissions() throws Exception {
        try (java.net.DatagramSocket silent = new java.net.DatagramSocket(new InetSocketAddress(LO, 0))) {
            InetSocketAddress server = (InetSocketAddress) silent.getLocalSocketAddress();
            Throwable e = failure(TurnClient.allocate(server, config().timeLimit(Duration.ofMillis(700)).build()));
            assertThat(e).isInstanceOf(TurnTimeoutException.class);
            TurnTimeoutException timeout = (TurnTimeoutException) e;
            assertThat(timeout.timeLimit()).isEqualTo(Duration.ofMillis(700));
            assertThat(e.getMessage()).contains("Allocate").contains("transmissions");
            // What the silent server got: the Allocate retransmitted (100 ms RTO, doubling, within 700 ms), then the
            // one Binding request that tells a silent server from a STUN-only one. All arrived before the failure.
            silent.setSoTimeout(500);
            int allocates = 0;
            for (int i = 0; i < 50; i++) {
                java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[2048], 2048);
                try {
                    silent.receive(p);
                } catch (java.net.SocketTimeoutException drained) {
                    break;
                }
                if (io.p2pd.stun.StunMessage.decode(java.util.Arrays.copyOf(p.getData(), p.getLength())).method()
                        == io.p2pd.stun.StunMessage.METHOD_ALLOCATE) {
                    allocates++;
                }
            }
            assertThat(allocates).isGreaterThan(1).isEqualTo(timeout.transmissions());
        }
    }

    @Test
    void anAllocateOnAFiveTupleThatHasAnAllocationIsAMismatch() throws Exception {
        try (Coturn coturn = Coturn.start(dir)) {
            int port;
            // An allocation made by hand from one socket, which then closes without deleting it: coturn keeps it.
            try (java.net.DatagramSocket raw = new java.net.DatagramSocket(new InetSocketAddress(LO, 0))) {
                raw.setSoTimeout(5_000);
                port = raw.getLocalPort();
                io.p2pd.stun.StunMessage challenge = exchange(raw, coturn, allocate().build());
                assertThat(challenge.errorCode().orElseThrow().code()).isEqualTo(StunErrorCode.UNAUTHORIZED);
                String realm = challenge.realm().orElseThrow();
                io.p2pd.stun.StunMessage ok = exchange(raw, coturn, allocate().username(USER).realm(realm)
                        .nonce(challenge.nonce().orElseThrow())
                        .messageIntegrity(io.p2pd.stun.StunMessage.longTermKey(USER, realm, PASSWORD)).build());
                assertThat(ok.messageClass()).isEqualTo(io.p2pd.stun.StunMessage.MessageClass.SUCCESS_RESPONSE);
            }
            // The client on the same 5-tuple (same local address and port, same server): 437.
            Throwable e = failure(TurnClient.allocate(coturn.address(), config()
                    .bind(new InetSocketAddress(LO, port)).build()));
            assertThat(e).isInstanceOf(TurnAllocationMismatchException.class);
            assertThat(((TurnAllocationMismatchException) e).code()).isEqualTo(StunErrorCode.ALLOCATION_MISMATCH);
        }
    }

    private static io.p2pd.stun.StunMessage.Builder allocate() {
        return io.p2pd.stun.StunMessage.builder(io.p2pd.stun.StunMessage.METHOD_ALLOCATE,
                io.p2pd.stun.StunMessage.MessageClass.REQUEST).requestedTransport(17);
    }

    private static io.p2pd.stun.StunMessage exchange(java.net.DatagramSocket raw, Coturn coturn,
            io.p2pd.stun.StunMessage request) throws Exception {
        byte[] out = request.encode();
        raw.send(new java.net.DatagramPacket(out, out.length, coturn.address()));
        java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[2048], 2048);
        raw.receive(in);
        return io.p2pd.stun.StunMessage.decode(java.util.Arrays.copyOf(in.getData(), in.getLength()));
    }

    @Test
    void anIpv6PeerOnAnIpv4RelayIsAPeerAddressFamilyMismatch() throws Exception {
        try (Coturn coturn = Coturn.start(dir);
             TurnAllocation a = TurnClient.allocate(coturn.address(), config().build()).get(20, TimeUnit.SECONDS)) {
            Throwable e = failure(a.permit(new InetSocketAddress(InetAddress.getByName("::1"), 9)));
            assertThat(e).isInstanceOf(TurnAddressFamilyException.class);
            assertThat(((TurnAddressFamilyException) e).code()).isEqualTo(StunErrorCode.PEER_ADDRESS_FAMILY_MISMATCH);
            assertThat(a.pipe().isOpen()).isTrue();
        }
    }
}
