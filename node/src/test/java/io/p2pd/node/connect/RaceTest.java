package io.p2pd.node.connect;

import static io.p2pd.node.connect.ConnectTest.A;
import static io.p2pd.node.connect.ConnectTest.B;
import static io.p2pd.node.connect.ConnectTest.await;
import static io.p2pd.node.connect.ConnectTest.failure;
import static io.p2pd.node.connect.ConnectTest.node;
import static io.p2pd.node.connect.ConnectTest.readN;
import static io.p2pd.node.connect.ConnectTest.withNodes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pd.node.Node;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerInterface;
import io.p2pd.node.connect.internal.Connector;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.testing.Mosquitto;
import io.p2pd.testing.TurnServerProcess;
import io.p2pd.turn.TurnAuthenticationException;
import io.p2pd.turn.TurnConfig;
import io.p2pd.turn.TurnTransport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The race of {@code Node.connect} with the TURN relay: two nodes on loopback, Mosquitto for signals, coturn (with
 * {@code --allow-loopback-peers}) for the TCP relay. Only node A has a TURN account; B dials the relay.
 */
class RaceTest {

    @BeforeAll
    static void coturnInstalled() {
        assumeTrue(TurnServerProcess.installed(), "coturn is not installed");
    }

    /** What verbose coturn logs when a client deletes its allocation (a Refresh with lifetime 0). */
    static final String DELETED = "username=<alice>, lifetime=0";

    static TurnServer turn(TurnServerProcess coturn, String password) {
        return new TurnServer(coturn.address(), TurnConfig.builder(TurnServerProcess.USER, password)
                .transport(TurnTransport.TCP).build());
    }

    /** What a test does with two started nodes, a broker and a TURN server. */
    interface Lab {
        void run(Node a, Node b, TurnServerProcess coturn) throws Exception;
    }

    /** Runs {@code body} with coturn verbose ({@code -V}), so its log shows each allocation's deletion. */
    static void lab(Path dir, String password, Lab body) throws Exception {
        try (Mosquitto mosquitto = Mosquitto.start(dir);
                TurnServerProcess coturn = TurnServerProcess.start(dir, "-V")) {
            List<MqttBroker> brokers = List.of(MqttBroker.of(mosquitto.host(), mosquitto.port()));
            withNodes(node(A, brokers).turnServers(List.of(turn(coturn, password))), node(B, brokers),
                    (a, b) -> body.run(a, b, coturn));
        }
    }

    static Connector connector(Node n) {
        return Connector.of(n).orElseThrow();
    }

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    /** B's address with every listening port rewritten to a closed one: direct cannot reach it. */
    static PeerAddress unreachable(PeerAddress b) throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        int port = closed;
        java.util.function.Function<PeerInterface, PeerInterface> rewrite = r -> new PeerInterface(
                r.netifaceIndex(), r.ifIndex(), r.externalIp(), r.nicIp(), port, r.nat(), r.delta());
        return new PeerAddress(b.signal(), b.v4().stream().map(rewrite).toList(),
                b.v6().stream().map(rewrite).toList(), b.nodeId(), b.machineId());
    }

    @Test
    void relayAloneCarriesAMegabyteBothWaysAndTheAllocationIsDeletedWithThePipe(@TempDir Path dir)
            throws Exception {
        lab(dir, TurnServerProcess.PASSWORD, (a, b, coturn) -> {
            CompletableFuture<PeerConnection> accepted = b.accept();
            PeerConnection out = await(a.connect(b.address(), ConnectOptions.of(Strategy.RELAY)));
            PeerConnection in = await(accepted);
            assertThat(out.strategy()).isEqualTo(Strategy.RELAY);
            assertThat(out.report().winner()).contains(Strategy.RELAY);
            assertThat(out.report().remote()).contains(coturn.address()); // the pipe is to the TURN server
            assertThat(out.peer()).isEqualTo(B.nodeId());
            assertThat(in.strategy()).isEqualTo(Strategy.RELAY);
            assertThat(in.peer()).isEqualTo(A.nodeId());
            // B dialed the relay: its end is connected to coturn's relayed port, not to A.
            assertThat(in.pipe().remoteAddress().orElseThrow().getPort()).isNotEqualTo(a.listenPort());
            assertThat(connector(a).openRelays()).isEqualTo(1);

            byte[] toB = new byte[1 << 20];
            byte[] toA = new byte[1 << 20];
            new Random(1).nextBytes(toB);
            new Random(2).nextBytes(toA);
            // One direction at a time: coturn can stall a TCP relay with both directions saturated (see README).
            CompletableFuture<Void> sentToB = out.pipe().send(toB);
            assertThat(sha256(readN(in.pipe(), toB.length))).isEqualTo(sha256(toB));
            await(sentToB);
            CompletableFuture<Void> sentToA = in.pipe().send(toA);
            assertThat(sha256(readN(out.pipe(), toA.length))).isEqualTo(sha256(toA));
            await(sentToA);

            assertThat(coturn.log()).doesNotContain(DELETED);
            out.pipe().close();
            in.pipe().close();
            await(connector(a).relaysIdle());
            assertThat(connector(a).openRelays()).isZero();
            assertThat(coturn.log()).contains(DELETED);
        });
    }

    @Test
    void racingEverythingWithDirectPossibleDirectWinsAndTheRelayAllocationIsDeleted(@TempDir Path dir)
            throws Exception {
        lab(dir, TurnServerProcess.PASSWORD, (a, b, coturn) -> {
            PeerConnection out = await(a.connect(b.address()));
            assertThat(out.strategy()).isEqualTo(Strategy.DIRECT);
            ConnectReport report = out.report();
            assertThat(report.failures()).containsOnlyKeys(Strategy.REVERSE, Strategy.PUNCH, Strategy.RELAY);
            // Punching: skipped when the NATs forbid it, else stopped before its delay came or while it ran.
            assertThat(report.failures().get(Strategy.PUNCH)).isInstanceOfAny(StrategySkippedException.class,
                    CancellationException.class);
            assertThat(report.failures().get(Strategy.RELAY)).isInstanceOf(CancellationException.class);
            assertThat(report.summary()).startsWith("direct won in ");
            assertThat(report.local()).contains(out.pipe().localAddress());
            assertThat(report.remote().orElseThrow().getPort()).isEqualTo(b.listenPort());
            PeerConnection in = await(b.accept());
            assertThat(in.strategy()).isEqualTo(Strategy.DIRECT);
            // The allocation prepared in the background is deleted although the direct pipe is still open.
            await(connector(a).relaysIdle());
            assertThat(connector(a).openRelays()).isZero();
            assertThat(coturn.log()).contains(DELETED);
            assertThat(out.pipe().isOpen()).isTrue();
            out.pipe().close();
            in.pipe().close();
        });
    }

    @Test
    void withDirectImpossibleReverseWinsBeforeTheRelayDelay(@TempDir Path dir) throws Exception {
        lab(dir, TurnServerProcess.PASSWORD, (a, b, coturn) -> {
            PeerAddress closedPort = unreachable(b.address());
            PeerConnection out = await(a.connect(closedPort, ConnectOptions.of(Strategy.DIRECT, Strategy.REVERSE,
                    Strategy.RELAY).withRelayDelay(Duration.ofSeconds(5))));
            assertThat(out.strategy()).isEqualTo(Strategy.REVERSE);
            assertThat(out.report().failures().get(Strategy.DIRECT)).hasMessageContaining("dial");
            assertThat(out.report().failures().get(Strategy.RELAY)).isInstanceOf(CancellationException.class);
            PeerConnection in = await(b.accept());
            assertThat(in.strategy()).isEqualTo(Strategy.REVERSE);
            await(connector(a).relaysIdle());
            out.pipe().close();
            in.pipe().close();
        });
    }

    @Test
    void withDirectImpossibleAndNoReverseTheRelayGoesAsSoonAsDirectHasFailed(@TempDir Path dir) throws Exception {
        lab(dir, TurnServerProcess.PASSWORD, (a, b, coturn) -> {
            PeerAddress closedPort = unreachable(b.address());
            // A relay delay past the deadline: only direct's failure can let the relay go in time.
            PeerConnection out = await(a.connect(closedPort, ConnectOptions.of(Strategy.DIRECT, Strategy.RELAY)
                    .withDeadline(Duration.ofSeconds(20)).withRelayDelay(Duration.ofSeconds(60))));
            assertThat(out.strategy()).isEqualTo(Strategy.RELAY);
            assertThat(out.report().failures()).containsOnlyKeys(Strategy.DIRECT);
            PeerConnection in = await(b.accept());
            assertThat(in.strategy()).isEqualTo(Strategy.RELAY);
            await(out.pipe().send(new byte[] {7}));
            assertThat(readN(in.pipe(), 1)).containsExactly(7);
            out.pipe().close();
            in.pipe().close();
            await(connector(a).relaysIdle());
        });
    }

    @Test
    void anOfflinePeerFailsWithinTheDeadlineNamingEachStrategysCause(@TempDir Path dir) throws Exception {
        lab(dir, TurnServerProcess.PASSWORD, (a, b, coturn) -> {
            PeerAddress gone = b.address();
            await(b.close());
            Throwable e = failure(a.connect(gone, ConnectOptions.of(Strategy.DIRECT, Strategy.REVERSE,
                    Strategy.RELAY).withDeadline(Duration.ofSeconds(3)).withRelayDelay(Duration.ZERO)));
            assertThat(e).isInstanceOf(ConnectException.class);
            ConnectReport report = ((ConnectException) e).report();
            assertThat(report.winner()).isEmpty();
            assertThat(report.failures().get(Strategy.DIRECT)).hasMessageContaining("dial");
            // Nobody answers the signals: reverse and relay wait until the deadline, and say so.
            assertThat(report.failures().get(Strategy.REVERSE)).isInstanceOf(TimeoutException.class)
                    .hasMessageContaining("the connect signal went out").hasMessageContaining("did not dial back");
            assertThat(report.failures().get(Strategy.RELAY)).isInstanceOf(TimeoutException.class)
                    .hasMessageContaining("the TURN signal went out").hasMessageContaining("did not dial the relay");
            assertThat(e.getMessage()).contains("direct: ", "reverse: ", "relay: ");
            await(connector(a).relaysIdle());
        });
    }

    @Test
    void everyStrategyFailingGivesOneConnectExceptionWithEachCause(@TempDir Path dir) throws Exception {
        lab(dir, "not the password", (a, b, coturn) -> {
            PeerAddress gone = b.address();
            await(b.close());
            Throwable e = failure(a.connect(gone, ConnectOptions.defaults().withDeadline(Duration.ofSeconds(3))));
            assertThat(e).isInstanceOf(ConnectException.class);
            ConnectReport report = ((ConnectException) e).report();
            assertThat(report.failures()).containsOnlyKeys(Strategy.values());
            // Punching skipped or failed (the peer is gone, or the NATs forbid it): either way with its reason.
            assertThat(report.failures().get(Strategy.PUNCH)).isNotInstanceOf(CancellationException.class)
                    .hasMessageNotContaining("null");
            Throwable relay = report.failures().get(Strategy.RELAY);
            assertThat(relay).hasMessageContaining("no TCP relay allocated");
            assertThat(relay.getCause()).isInstanceOf(TurnAuthenticationException.class);
            assertThat(report.failures().get(Strategy.DIRECT)).hasMessageContaining("dial");
        });
    }

    @Test
    void aUdpOnlyTurnServerIsSkippedForTcpPipesWithTheReason() throws Exception {
        TurnServer udp = new TurnServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 3478),
                TurnConfig.builder("alice", "pw").transport(TurnTransport.UDP).build());
        withNodes(node(A, List.of()).turnServers(List.of(udp)), node(B, List.of()), (a, b) -> {
            assertThat(a.strategies()).doesNotContain(Strategy.RELAY);
            Throwable e = failure(a.connect(b.address(), ConnectOptions.of(Strategy.RELAY)));
            Throwable relay = ((ConnectException) e).report().failures().get(Strategy.RELAY);
            assertThat(relay).isInstanceOf(StrategySkippedException.class).hasMessageContaining("UDP only");
            assertThat(e.getMessage()).contains("relay: skipped (");
        });
    }
}
