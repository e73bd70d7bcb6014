package io.p2pd.turn;

import static io.p2pd.turn.Coturn.LO;
import static io.p2pd.turn.Coturn.PASSWORD;
import static io.p2pd.turn.Coturn.USER;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.pipe.Message;
import io.p2pd.pipe.Pipe;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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
}
