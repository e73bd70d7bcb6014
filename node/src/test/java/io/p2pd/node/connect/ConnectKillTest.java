package io.p2pd.node.connect;

import static io.p2pd.node.connect.ConnectTest.A;
import static io.p2pd.node.connect.ConnectTest.B;
import static io.p2pd.node.connect.ConnectTest.await;
import static io.p2pd.node.connect.ConnectTest.failure;
import static io.p2pd.node.connect.ConnectTest.node;
import static io.p2pd.node.connect.ConnectTest.readN;
import static io.p2pd.node.connect.ConnectTest.withNodes;
import static io.p2pd.node.connect.RaceTest.connector;
import static io.p2pd.node.connect.RaceTest.turn;
import static io.p2pd.node.connect.RaceTest.unreachable;
import static io.p2pd.testing.Net.openSockets;
import static io.p2pd.testing.Net.openSocketsSettled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pd.node.Node;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.testing.Mosquitto;
import io.p2pd.testing.Labs;
import io.p2pd.testing.TurnServerProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RELIABILITY.md, "Connecting peers": a peer killed (SIGKILL) while a connect races toward it, and a broker killed
 * while a connect's signals wait on it. Either way the connect fails by its deadline with a {@link ConnectException}
 * whose report names each strategy's cause, and leaves no socket and no relay allocation behind. The kill lands at a
 * known point of the race: the process is stopped (SIGSTOP) first, the connect runs up to that point, then the kill.
 */
class ConnectKillTest {
    /** Long enough for the relay's allocation and both signals on a loaded machine before the kill. */
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    /** Under the signals' own send timeout (10 s), so the deadline, not that, ends them. */
    private static final Duration SIGNAL_DEADLINE = Duration.ofSeconds(5);
    private static final Duration SOCKETS_SETTLE = Duration.ofSeconds(20);
    /**
     * The killed peer's key, its own: a node with the shared test key B left by another test on this host (one that
     * reconnects to a broker port ours happened to reuse) could otherwise answer the signals and win as B.
     */
    private static final NodeKey PEER_KEY = NodeKey.generate();
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(20);

    @BeforeAll
    static void coturnInstalled() {
        assumeTrue(TurnServerProcess.installed(), "coturn is not installed");
    }

    @Test
    void aPeerKilledAfterTheSignalsWentOutFailsTheConnectByItsDeadlineNamingEachCauseAndLeavesNothingOpen(
            @TempDir Path dir) throws Exception {
        try (Mosquitto mosquitto = Mosquitto.start(dir);
                TurnServerProcess coturn = TurnServerProcess.start(dir);
                Labs.Child peer = Labs.Child.start(dir, List.of(ProcessHandle.current().info().command().orElseThrow(),
                        "-cp", System.getProperty("java.class.path"), KilledPeerMain.class.getName(),
                        mosquitto.host(), Integer.toString(mosquitto.port()), PEER_KEY.toHex()))) {
            String[] line = peer.expect("peer ", 60).split(" ", 3);
            long pid = Long.parseLong(line[1]);
            PeerAddress b = PeerAddress.parse(line[2]);
            Node a = await(node(A, List.of(MqttBroker.of(mosquitto.host(), mosquitto.port())))
                    .turnServers(List.of(turn(coturn, TurnServerProcess.PASSWORD))).start());
            try {
                ConnectOptions all = ConnectOptions.of(Strategy.DIRECT, Strategy.REVERSE, Strategy.RELAY)
                        .withDeadline(DEADLINE).withRelayDelay(Duration.ZERO);
                long baseline = openSockets();
                // The peer is alive: a connect works (whoever wins) and its byte comes back.
                PeerConnection alive = await(a.connect(b, all));
                assertThat(alive.peer()).isEqualTo(PEER_KEY.nodeId());
                await(alive.pipe().send(new byte[] {42}));
                assertThat(readN(alive.pipe(), 1)).containsExactly(42);
                await(alive.pipe().closeAsync());
                await(connector(a).relaysIdle());

                LongSupplier published = () -> a.signalling().orElseThrow().stats().published();
                LongSupplier sent = () -> a.signalling().orElseThrow().stats().sent();
                // One broker, one copy per signal: once each is acknowledged, none of the first connect is pending.
                assertThat(until(() -> published.getAsLong() >= sent.getAsLong())).isTrue();
                long before = published.getAsLong();
                signal("STOP", pid);
                CompletableFuture<PeerConnection> connect = a.connect(b, all);
                // Both signals (reverse's connect signal, the relay's TURN signal) taken by the broker, direct's
                // connection accepted by the stopped peer's kernel and waiting for its proof: then the kill.
                if (!until(() -> published.getAsLong() >= before + 2)) {
                    throw new AssertionError("the signals were not both published: " + a.signalling().orElseThrow()
                            .stats() + ", " + before + " before; the connect: " + connect.handle((c, x) -> c != null
                                    ? c.report().summary() + " " + c.pipe() : x.toString()).get(30, TimeUnit.SECONDS));
                }
                kill(pid);

                Throwable e = failure(connect);
                assertThat(e).isInstanceOf(ConnectException.class);
                ConnectReport report = ((ConnectException) e).report();
                assertThat(report.winner()).isEmpty();
                assertThat(report.failures()).as(report.summary())
                        .containsOnlyKeys(Strategy.DIRECT, Strategy.REVERSE, Strategy.RELAY);
                assertThat(report.failures().get(Strategy.DIRECT)).as(report.summary()).isNotInstanceOf(
                        TimeoutException.class);
                assertThat(report.failures().get(Strategy.REVERSE)).as(report.summary())
                        .isInstanceOf(TimeoutException.class).hasMessageContaining("the peer did not dial back");
                assertThat(report.failures().get(Strategy.RELAY)).as(report.summary())
                        .isInstanceOf(TimeoutException.class).hasMessageContaining("the peer did not dial the relay");

                await(connector(a).relaysIdle());
                assertThat(connector(a).openRelays()).isZero();
                assertThat(openSocketsSettled(baseline, SOCKETS_SETTLE)).as("open sockets").isEqualTo(baseline);
            } finally {
                await(a.close());
            }
        }
    }

    @Test
    void aBrokerKilledWhileTheSignalsWaitOnItFailsTheConnectNamingTheSignalsAndLeavesNothingOpen(@TempDir Path dir)
            throws Exception {
        try (Mosquitto mosquitto = Mosquitto.start(dir);
                TurnServerProcess coturn = TurnServerProcess.start(dir)) {
            List<MqttBroker> brokers = List.of(MqttBroker.of(mosquitto.host(), mosquitto.port()));
            withNodes(node(A, brokers).turnServers(List.of(turn(coturn, TurnServerProcess.PASSWORD))),
                    node(B, brokers), (a, b) -> {
                        ConnectOptions all = ConnectOptions.of(Strategy.DIRECT, Strategy.REVERSE, Strategy.RELAY)
                                .withDeadline(SIGNAL_DEADLINE).withRelayDelay(Duration.ZERO);
                        long baseline = openSockets();
                        LongSupplier sent = () -> a.signalling().orElseThrow().stats().sent();
                        long before = sent.getAsLong();
                        signal("STOP", mosquitto.pid());
                        // Direct cannot win (a closed port): the signals are the connect's only way.
                        CompletableFuture<PeerConnection> connect = a.connect(unreachable(b.address()), all);
                        // Both signals handed to the stopped broker, neither acknowledged: then the kill.
                        assertThat(until(() -> sent.getAsLong() >= before + 2)).as("both signals sent").isTrue();
                        // Killed while stopped (Mosquitto.kill() would let it run first, and forward them).
                        kill(mosquitto.pid());

                        Throwable e = failure(connect);
                        assertThat(e).isInstanceOf(ConnectException.class);
                        ConnectReport report = ((ConnectException) e).report();
                        assertThat(report.winner()).isEmpty();
                        assertThat(report.failures().get(Strategy.DIRECT)).as(report.summary())
                                .hasMessageContaining("dial");
                        assertThat(report.failures().get(Strategy.REVERSE)).as(report.summary())
                                .isInstanceOf(IOException.class)
                                .hasMessageContaining("the connect signal did not go out")
                                .hasMessageContaining("no broker acknowledged it");
                        assertThat(report.failures().get(Strategy.RELAY)).as(report.summary())
                                .isInstanceOf(IOException.class)
                                .hasMessageContaining("the TURN signal naming the relay")
                                .hasMessageContaining("no broker acknowledged it");
                        assertThat(e.getMessage()).contains("direct: ", "reverse: ", "relay: ");

                        await(connector(a).relaysIdle());
                        assertThat(connector(a).openRelays()).isZero();
                        // At most the baseline: the nodes' broker connections are gone too (reconnects refused).
                        assertThat(openSocketsSettled(baseline, SOCKETS_SETTLE)).as("open sockets")
                                .isLessThanOrEqualTo(baseline);
                    });
        }
    }

    /** Whether {@code condition} holds within 20 s (checked every 10 ms). */
    private static boolean until(java.util.function.BooleanSupplier condition) {
        long end = System.nanoTime() + WAIT_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        return true;
    }

    /** Kills process {@code pid} (SIGKILL, also when stopped) and waits for its end. */
    private static void kill(long pid) throws Exception {
        ProcessHandle process = ProcessHandle.of(pid).orElseThrow();
        signal("KILL", pid);
        process.onExit().get(10, TimeUnit.SECONDS);
    }

    private static void signal(String name, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).redirectErrorStream(true).start();
        String out = new String(kill.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill -%s %d: %s", name, pid, out).isZero();
    }
}
