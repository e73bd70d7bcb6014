package io.p2pd.node.connect;

import static io.p2pd.node.connect.ConnectTest.A;
import static io.p2pd.node.connect.ConnectTest.B;
import static io.p2pd.node.connect.ConnectTest.await;
import static io.p2pd.node.connect.ConnectTest.failure;
import static io.p2pd.node.connect.ConnectTest.node;
import static io.p2pd.node.connect.ConnectTest.readN;
import static io.p2pd.node.connect.ConnectTest.withNodes;
import static io.p2pd.node.connect.RaceTest.DELETED;
import static io.p2pd.node.connect.RaceTest.connector;
import static io.p2pd.node.connect.RaceTest.lab;
import static io.p2pd.node.connect.RaceTest.unreachable;
import static io.p2pd.testing.Net.openSockets;
import static io.p2pd.testing.Net.openSocketsSettled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.testing.Mosquitto;
import io.p2pd.testing.TurnServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RELIABILITY.md, "Connecting peers": many connects in a row between the same two nodes, racing direct, reverse
 * and the relay, hand the peer exactly the connection the connecting node kept and leave no descriptor and no relay
 * allocation behind; a connect whose broker was killed fails by its deadline naming the signal that did not go out.
 */
class ConnectReliabilityTest {
    private static final int CONNECTS = 100;
    private static final Duration SOCKETS_SETTLE = Duration.ofSeconds(20);

    @BeforeAll
    static void coturnInstalled() {
        assumeTrue(TurnServerProcess.installed(), "coturn is not installed");
    }

    @Test
    void hundredRacedConnectsInARowLeaveNoSocketAndNoRelayAllocationBehind(@TempDir Path dir) throws Exception {
        lab(dir, TurnServerProcess.PASSWORD, (a, b, coturn) -> {
            Map<Strategy, Integer> won = new EnumMap<>(Strategy.class);
            // One connect first, so whatever a node opens once (the broker's, the relay's lazy state) is counted.
            connectOnce(a, b, 0, won);
            await(connector(a).relaysIdle());
            long baseline = openSockets();
            for (int i = 1; i <= CONNECTS; i++) {
                connectOnce(a, b, i, won);
            }
            await(connector(a).relaysIdle());
            assertThat(connector(a).openRelays()).isZero();
            assertThat(openSocketsSettled(baseline, SOCKETS_SETTLE)).as("open sockets after %d connects", CONNECTS).isEqualTo(baseline);
            assertThat(coturn.log()).contains(DELETED);
            // B's application got exactly the connections A kept: one per connect, none left over.
            assertThat(b.peerStats().accepted()).as("won: %s", won).isEqualTo(CONNECTS + 1);
            CompletableFuture<PeerConnection> extra = b.accept();
            assertThat(extra).as("a connection A did not keep, waiting for B's accept()").isNotDone();
            extra.cancel(false);
            // On loopback direct is the fastest; the relay, after its delay, never gets its turn.
            assertThat(won.keySet()).as("won: %s", won).isSubsetOf(Strategy.DIRECT, Strategy.REVERSE);
            // B's dial-backs did race A's direct connections (and lost): A told them they were not chosen.
            assertThat(a.peerStats().raceLosers()).as("A: %s", a.peerStats()).isPositive();
        });
    }

    /**
     * Direct, reverse and the relay raced (the relay allocated in the background each time, then deleted; B's
     * dial-backs reach A and lose, so each gives its ask back and every connect races one), one byte each way, both
     * ends closed. B's {@code accept()} must hand over the very connection A
     * kept: its remote end is A's local one, and the byte A sent on it arrives.
     */
    private static void connectOnce(io.p2pd.node.Node a, io.p2pd.node.Node b, int i, Map<Strategy, Integer> won)
            throws Exception {
        CompletableFuture<PeerConnection> accepted = b.accept();
        PeerConnection out = await(a.connect(b.address(), ConnectOptions.of(Strategy.DIRECT, Strategy.REVERSE,
                Strategy.RELAY)));
        PeerConnection in = await(accepted);
        won.merge(out.strategy(), 1, Integer::sum);
        assertThat(in.peer()).isEqualTo(A.nodeId());
        assertThat(in.strategy()).as("connect %d, B's side: %s", i, out.report().summary()).isEqualTo(out.strategy());
        assertThat(in.pipe().remoteAddress()).as("connect %d: %s", i, out.report().summary())
                .contains(out.pipe().localAddress());
        await(out.pipe().send(new byte[] {(byte) i}));
        assertThat(readN(in.pipe(), 1)).containsExactly((byte) i);
        await(in.pipe().send(new byte[] {(byte) -i}));
        assertThat(readN(out.pipe(), 1)).containsExactly((byte) -i);
        await(out.pipe().closeAsync());
        await(in.pipe().closeAsync());
    }

    @Test
    void aBrokerKilledBeforeTheConnectFailsByTheDeadlineWithEachStrategysCause(@TempDir Path dir) throws Exception {
        try (Mosquitto mosquitto = Mosquitto.start(dir)) {
            List<MqttBroker> brokers = List.of(MqttBroker.of(mosquitto.host(), mosquitto.port()));
            withNodes(node(A, brokers), node(B, brokers), (a, b) -> {
                PeerAddress closedPort = unreachable(b.address());
                mosquitto.kill();
                Throwable e = failure(a.connect(closedPort, ConnectOptions.of(Strategy.DIRECT, Strategy.REVERSE)
                        .withDeadline(Duration.ofSeconds(3))));
                assertThat(e).isInstanceOf(ConnectException.class);
                ConnectReport report = ((ConnectException) e).report();
                assertThat(report.winner()).isEmpty();
                assertThat(report.failures().get(Strategy.DIRECT)).hasMessageContaining("dial");
                // The signal waits for a broker to come back until the deadline: reverse's failure says so.
                assertThat(report.failures().get(Strategy.REVERSE)).as(report.summary())
                        .isInstanceOf(java.io.IOException.class).hasCauseInstanceOf(TimeoutException.class)
                        .hasMessageContaining("the connect signal did not go out: no broker acknowledged it");
            });
        }
    }
}
