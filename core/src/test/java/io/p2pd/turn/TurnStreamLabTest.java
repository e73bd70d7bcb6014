package io.p2pd.turn;

import static io.p2pd.turn.Coturn.LO;
import static io.p2pd.turn.Coturn.USER;
import static io.p2pd.turn.TurnCoturnLabTest.WAIT;
import static io.p2pd.turn.TurnCoturnLabTest.await;
import static io.p2pd.turn.TurnCoturnLabTest.peer;
import static io.p2pd.turn.TurnCoturnLabTest.receive;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.pipe.Message;
import io.p2pd.pipe.Tls;
import io.p2pd.stun.StunErrorCode;
import io.p2pd.testing.Certificates;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Allocations over TCP and TLS control connections to coturn on loopback (it listens on both, TLS with a
 * certificate made for the test, which the client trusts): the same relayed UDP pipe as over UDP, with STUN
 * messages and padded ChannelData on the stream.
 */
@Tag("lab")
class TurnStreamLabTest {
    @TempDir
    static Path dir;
    static Coturn coturn;
    static Certificates certificate;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Coturn.installed(), "coturn is not installed (apt-get install coturn)");
        certificate = Certificates.selfSigned(dir, "localhost", "DNS:localhost,IP:127.0.0.1");
        coturn = Coturn.startTls(dir, certificate);
    }

    @AfterAll
    static void stop() {
        if (coturn != null) {
            coturn.close();
        }
    }

    static TurnConfig.Builder tcp() {
        return TurnCoturnLabTest.config().transport(TurnTransport.TCP);
    }

    static TurnConfig.Builder tls() throws Exception {
        return TurnCoturnLabTest.config().transport(TurnTransport.TLS).tls(Tls.trusting(certificate.x509()));
    }

    /**
     * Datagrams of odd sizes (so ChannelData is padded on the stream) both ways until {@code rounds} went each way,
     * every byte compared; returns the stats after.
     */
    static TurnStats exchange(TurnAllocation a, DatagramSocket peer, int rounds) throws Exception {
        InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
        Random random = new Random(rounds);
        for (int i = 0; i < rounds; i++) {
            byte[] out = new byte[1 + random.nextInt(1500)];
            random.nextBytes(out);
            await(a.pipe().send(out, peerAddress));
            DatagramPacket got = receive(peer);
            assertThat(Arrays.copyOf(got.getData(), got.getLength())).isEqualTo(out);
            assertThat(got.getSocketAddress()).isEqualTo(a.relayedAddress());
            byte[] back = new byte[1 + random.nextInt(1500)];
            random.nextBytes(back);
            peer.send(new DatagramPacket(back, back.length, a.relayedAddress()));
            Message m = await(a.pipe().recv(WAIT));
            assertThat(m.data()).isEqualTo(back);
            assertThat(m.sender()).isEqualTo(peerAddress);
        }
        return a.stats();
    }

    @Test
    void overTcpDatagramsGoBothWaysOverAChannel() throws Exception {
        try (TurnAllocation a = await(TurnClient.allocate(coturn.address(), tcp().build()));
             DatagramSocket peer = peer()) {
            assertThat(a.relayedAddress().getAddress()).isEqualTo(LO);
            // Over TCP the server maps the connection's address.
            assertThat(a.mappedAddress()).contains(new InetSocketAddress(LO, a.localAddress().getPort()));
            assertThat(a.serverSoftware()).hasValueSatisfying(s -> assertThat(s).containsIgnoringCase("coturn"));
            TurnStats s = exchange(a, peer, 20);
            // The first datagrams travel in indications while the channel is bound; then ChannelData both ways.
            assertThat(s.sentChannelData()).isPositive();
            assertThat(s.receivedChannelData()).isPositive();
            assertThat(s.sentChannelData() + s.sentIndications()).isEqualTo(20);
            assertThat(s.ignored()).isZero();
            assertThat(s.dropped()).isZero();
        }
    }

    @Test
    void overTcpWithChannelsOffIndicationsCarryEverything() throws Exception {
        try (TurnAllocation a = await(TurnClient.allocate(coturn.address(), tcp().channels(false).build()));
             DatagramSocket peer = peer()) {
            TurnStats s = exchange(a, peer, 10);
            assertThat(s.sentIndications()).isEqualTo(10);
            assertThat(s.receivedIndications()).isEqualTo(10);
            assertThat(s.sentChannelData()).isZero();
            assertThat(s.receivedChannelData()).isZero();
        }
    }

    @Test
    void overTlsDatagramsGoBothWaysOverAChannelAndIndications() throws Exception {
        try (TurnAllocation a = await(TurnClient.allocate(coturn.tlsAddress(), tls().build()));
             DatagramSocket peer = peer()) {
            assertThat(a.serverAddress()).isEqualTo(coturn.tlsAddress());
            TurnStats s = exchange(a, peer, 20);
            assertThat(s.sentChannelData()).isPositive();
            assertThat(s.receivedChannelData()).isPositive();
            assertThat(s.sentIndications()).isPositive();
            assertThat(s.ignored()).isZero();
        }
        try (TurnAllocation a = await(TurnClient.allocate(coturn.tlsAddress(), tls().channels(false).build()));
             DatagramSocket peer = peer()) {
            TurnStats s = exchange(a, peer, 5);
            assertThat(s.sentIndications()).isEqualTo(5);
            assertThat(s.receivedIndications()).isEqualTo(5);
        }
    }

    @Test
    void overTlsAServerTheClientDoesNotTrustIsRefused() throws Exception {
        Throwable e = failure(TurnClient.allocate(coturn.tlsAddress(),
                TurnCoturnLabTest.config().transport(TurnTransport.TLS).build()));
        assertThat(e).isInstanceOf(javax.net.ssl.SSLException.class);
    }

    @Test
    void overTcpAWrongPasswordIsRefused() throws Exception {
        Throwable e = failure(TurnClient.allocate(coturn.address(),
                TurnConfig.builder(USER, "not the password").transport(TurnTransport.TCP).build()));
        assertThat(e).isInstanceOf(TurnAuthenticationException.class);
        assertThat(((TurnAuthenticationException) e).code()).isEqualTo(StunErrorCode.UNAUTHORIZED);
        assertThat(e.getMessage()).contains("Allocate").contains("401");
    }

    @Test
    void overTcpClosingDeletesTheAllocationOnTheServer() throws Exception {
        try (Coturn verbose = Coturn.start(dir, "-V")) {
            TurnAllocation a = await(TurnClient.allocate(verbose.address(), tcp().build()));
            assertThat(verbose.log()).doesNotContain("lifetime=0");
            a.close();
            assertThat(a.pipe().isOpen()).isFalse();
            assertThat(a.failure()).isEmpty();
            assertThat(verbose.log()).containsPattern("refreshed, realm=<p2pd.test>, username=<alice>, lifetime=0")
                    .contains("REFRESH processed, success");
        }
    }

    @Test
    void theServerDyingEndsTheRelayedPipeWithTheConnectionLost() throws Exception {
        Coturn doomed = Coturn.start(dir);
        try (DatagramSocket peer = peer()) {
            TurnAllocation a = await(TurnClient.allocate(doomed.address(), tcp().build()));
            exchange(a, peer, 3);
            var pending = a.pipe().recv(WAIT);
            doomed.close(); // SIGTERM: coturn closes its connections as it exits
            a.pipe().closeFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(a.pipe().isOpen()).isFalse();
            assertThat(a.failure()).hasValueSatisfying(f -> assertThat(f)
                    .isInstanceOf(TurnConnectionLostException.class)
                    .hasMessageContaining("TCP control connection").hasMessageContaining(
                            io.p2pd.net.HostPort.of(doomed.address()).toString()));
            // A receive that was waiting ends too, and closing after the loss returns at once.
            assertThat(failure(pending)).isInstanceOf(io.p2pd.pipe.PipeClosedException.class);
            a.close();
        } finally {
            doomed.close();
        }
    }

    static Throwable failure(java.util.concurrent.CompletableFuture<?> f) throws Exception {
        try {
            f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure, got " + f.join());
    }
}
