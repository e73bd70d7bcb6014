package io.p2pd.node.connect;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nic.Interface;
import io.p2pd.nic.Nics;
import io.p2pd.node.Node;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.testing.Mosquitto;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two nodes in one JVM on loopback: accepting, direct and reverse connects, refusals, failures. */
class ConnectTest {
    static final MachineId MACHINE = MachineId.fromRawId("connect-test", MachineId.APP_ID);
    static final NodeKey A = NodeKey.fromHex("1a".repeat(32));
    static final NodeKey B = NodeKey.fromHex("1b".repeat(32));

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    /**
     * Waits for the peer's end of {@code pipe}: a dialed peer connection keeps sending after it (half-closure), so
     * its close future does not say the peer closed; its {@code recv()} ending does.
     */
    static void awaitPeersEnd(io.p2pd.pipe.Pipe pipe) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> await(pipe.recv()))
                .hasCauseInstanceOf(io.p2pd.pipe.PipeClosedException.class);
    }

    static Interface lo() {
        return Nics.byName("lo").orElseThrow();
    }

    static Node.Builder node(NodeKey key, List<MqttBroker> brokers) {
        return Node.builder().interfaces(List.of(lo())).listenPort(0).machineId(MACHINE).key(key).brokers(brokers);
    }

    /** What a test does with two started nodes. */
    interface TwoNodes {
        void run(Node a, Node b) throws Exception;
    }

    /** Starts two nodes, runs {@code body}, closes both. */
    static void withNodes(Node.Builder a, Node.Builder b, TwoNodes body) throws Exception {
        Node first = await(a.start());
        try {
            Node second = await(b.start());
            try {
                body.run(first, second);
            } finally {
                await(second.close());
            }
        } finally {
            await(first.close());
        }
    }

    static Throwable failure(CompletableFuture<?> f) {
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> f.get(30, TimeUnit.SECONDS));
        return e.getCause();
    }

    static byte[] readN(Pipe pipe, int n) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < n) {
            got.write(await(pipe.recv(Duration.ofSeconds(20))).data());
        }
        return got.toByteArray();
    }

    @Test
    void directConnectGivesBothSidesAProvenConnectionThatCarriesDataBothWays() throws Exception {
        withNodes(node(A, List.of()), node(B, List.of()), (a, b) -> {
            CompletableFuture<PeerConnection> accepted = b.accept();
            PeerConnection out = await(a.connect(b.address(), ConnectOptions.of(Strategy.DIRECT)));
            PeerConnection in = await(accepted);
            assertThat(out.peer()).isEqualTo(B.nodeId());
            assertThat(out.strategy()).isEqualTo(Strategy.DIRECT);
            assertThat(out.report().winner()).contains(Strategy.DIRECT);
            assertThat(in.peer()).isEqualTo(A.nodeId());
            assertThat(in.strategy()).isEqualTo(Strategy.DIRECT);
            assertThat(in.pipe().remoteAddress()).contains(out.pipe().localAddress());

            byte[] big = new byte[1 << 20];
            new java.util.Random(5).nextBytes(big);
            await(out.pipe().send(big));
            await(in.pipe().send("thanks".getBytes(US_ASCII)));
            assertThat(MessageDigest.getInstance("SHA-256").digest(readN(in.pipe(), big.length)))
                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(big));
            assertThat(new String(readN(out.pipe(), 6), US_ASCII)).isEqualTo("thanks");
            assertThat(b.peerStats().accepted()).isEqualTo(1);
            // lo has 127.0.0.1 and ::1: A dialed both, kept one; the other, told it was not chosen, is a race's
            // loser on B, not a failed proof.
            assertThat(b.peerStats().proofsFailed()).isZero();
            assertThat(b.peerStats().raceLosers()).isLessThanOrEqualTo(1);
            out.pipe().close();
            in.pipe().close();
        });
    }

    @Test
    void reverseConnectMakesThePeerDialBackThroughItsBrokerAndBothSidesSayReverse(@TempDir Path dir)
            throws Exception {
        try (Mosquitto mosquitto = Mosquitto.start(dir)) {
            List<MqttBroker> brokers = List.of(MqttBroker.of(mosquitto.host(), mosquitto.port()));
            withNodes(node(A, brokers), node(B, brokers), (a, b) -> {
                CompletableFuture<PeerConnection> accepted = b.accept();
                PeerConnection out = await(a.connect(b.address(), ConnectOptions.of(Strategy.REVERSE)));
                PeerConnection in = await(accepted);
                assertThat(out.strategy()).isEqualTo(Strategy.REVERSE);
                assertThat(out.peer()).isEqualTo(B.nodeId());
                assertThat(in.strategy()).isEqualTo(Strategy.REVERSE);
                assertThat(in.peer()).isEqualTo(A.nodeId());
                // B dialed: A's end is the one that accepted, on A's listening port.
                assertThat(out.pipe().localAddress().getPort()).isEqualTo(a.listenPort());
                await(in.pipe().send("from b".getBytes(US_ASCII)));
                assertThat(new String(readN(out.pipe(), 6), US_ASCII)).isEqualTo("from b");
                // The connection A made for itself does not also show up in A's accept queue.
                assertThat(a.peerStats().accepted()).isZero();
                out.pipe().close();
                in.pipe().close();
            });
        }
    }

    @Test
    void racingDirectAndReverseGivesOneWinnerAndTheReportNamesTheOther(@TempDir Path dir) throws Exception {
        try (Mosquitto mosquitto = Mosquitto.start(dir)) {
            List<MqttBroker> brokers = List.of(MqttBroker.of(mosquitto.host(), mosquitto.port()));
            withNodes(node(A, brokers), node(B, brokers), (a, b) -> {
                PeerConnection out = await(a.connect(b.address(), ConnectOptions.of(Strategy.DIRECT,
                        Strategy.REVERSE)));
                assertThat(out.strategy()).isIn(Strategy.DIRECT, Strategy.REVERSE);
                Strategy other = out.strategy() == Strategy.DIRECT ? Strategy.REVERSE : Strategy.DIRECT;
                assertThat(out.report().failures()).containsOnlyKeys(other);
                PeerConnection in = await(b.accept());
                assertThat(in.peer()).isEqualTo(A.nodeId());
                await(out.pipe().send("x".getBytes(US_ASCII)));
                assertThat(readN(in.pipe(), 1)).containsExactly('x');
                out.pipe().close();
                in.pipe().close();
            });
        }
    }

    /**
     * Every strategy raced, connect after connect: whichever wins, B's accept() gets that connection and no other
     * (a dial-back A did not keep is never handed to B's application), so B's accepted connections are exactly A's
     * winners, each alive.
     */
    @Test
    void racingEveryStrategyHandsThePeerExactlyTheConnectionsTheConnectorKept(@TempDir Path dir) throws Exception {
        int connects = 6;
        try (Mosquitto mosquitto = Mosquitto.start(dir)) {
            List<MqttBroker> brokers = List.of(MqttBroker.of(mosquitto.host(), mosquitto.port()));
            withNodes(node(A, brokers), node(B, brokers), (a, b) -> {
                ConnectOptions all = ConnectOptions.of(Strategy.DIRECT, Strategy.REVERSE, Strategy.PUNCH,
                        Strategy.RELAY);
                java.util.Map<java.net.InetSocketAddress, PeerConnection> kept = new java.util.HashMap<>();
                for (int i = 0; i < connects; i++) {
                    PeerConnection out = await(a.connect(b.address(), all));
                    kept.put(out.pipe().localAddress(), out);
                    // Loopback nodes advertise a NAT hole punching cannot predict: the race skips punching by
                    // punching's own verdict rather than starting it to fail.
                    assertThat(out.report().failures().get(Strategy.PUNCH)).isInstanceOf(
                            StrategySkippedException.class);
                }
                for (int i = 0; i < connects; i++) {
                    PeerConnection in = await(b.accept());
                    assertThat(in.peer()).isEqualTo(A.nodeId());
                    PeerConnection out = kept.remove(in.pipe().remoteAddress().orElseThrow());
                    assertThat(out).as("B accepted a connection A did not keep: %s", in.pipe()).isNotNull();
                    assertThat(in.strategy()).isEqualTo(out.strategy());
                    await(out.pipe().send(new byte[] {(byte) i}));
                    assertThat(readN(in.pipe(), 1)).containsExactly(i);
                    await(in.pipe().send(new byte[] {(byte) i}));
                    assertThat(readN(out.pipe(), 1)).containsExactly(i);
                    out.pipe().close();
                    in.pipe().close();
                }
                assertThat(kept).isEmpty();
                assertThat(b.peerStats().accepted()).isEqualTo(connects);
                assertThat(b.peerStats().refused()).isZero();
                assertThat(a.peerStats().refused()).isZero();
                // Losers are told they lost and count as race losers: failed proofs no longer rise with every
                // connect (a rare one remains, a loser closed before its word was read).
                assertThat(a.peerStats().proofsFailed()).isLessThan(connects / 2);
                assertThat(b.peerStats().proofsFailed()).isLessThan(connects / 2);
                assertThat(a.peerStats().accepted()).isZero();
            });
        }
    }

    @Test
    void garbageOnTheNodesPortIsClosedAndCountedAndNeverAccepted() throws Exception {
        Node b = await(node(B, List.of()).start());
        try {
            CompletableFuture<PeerConnection> accepted = b.accept();
            try (Pipe raw = await(Pipes.tcp().dest(b.listenAddresses().get(0)).open())) {
                await(raw.send("P2P_CON_ID_EQ 1234\n".getBytes(US_ASCII)));
                await(raw.closeFuture());
            }
            try (Pipe raw = await(Pipes.tcp().dest(b.listenAddresses().get(0)).open())) {
                await(raw.send(new byte[300]));
                await(raw.closeFuture());
            }
            // Both closed by the node, each counted before it was closed.
            assertThat(b.peerStats().proofsFailed()).isEqualTo(2);
            assertThat(accepted).isNotDone();
        } finally {
            await(b.close());
        }
    }

    @Test
    void aRefusedPeerIsClosedAfterItsProofAndCounted() throws Exception {
        withNodes(node(A, List.of()), node(B, List.of()).refusePeers(id -> id.equals(A.nodeId())), (a, b) -> {
            CompletableFuture<PeerConnection> accepted = b.accept();
            PeerConnection out = await(a.connect(b.address(), ConnectOptions.of(Strategy.DIRECT)));
            awaitPeersEnd(out.pipe()); // B closes it
            out.pipe().close();
            assertThat(b.peerStats().refused()).isEqualTo(1);
            assertThat(accepted).isNotDone();
        });
    }

    @Test
    void aConnectionHandlerTakesConnectionsInsteadOfTheQueue() throws Exception {
        LinkedBlockingQueue<PeerConnection> handled = new LinkedBlockingQueue<>();
        withNodes(node(A, List.of()), node(B, List.of()).connectionHandler(handled::add), (a, b) -> {
            PeerConnection out = await(a.connect(b.address(), ConnectOptions.of(Strategy.DIRECT)));
            PeerConnection in = handled.poll(30, TimeUnit.SECONDS);
            assertThat(in).isNotNull();
            assertThat(in.peer()).isEqualTo(A.nodeId());
            out.pipe().close();
            in.pipe().close();
        });
    }

    @Test
    void strategiesNotAvailableFailAtOnceWithAReportSayingSo() throws Exception {
        withNodes(node(A, List.of()), node(B, List.of()), (a, b) -> {
            Throwable e = failure(a.connect(b.address(), ConnectOptions.of(Strategy.PUNCH, Strategy.RELAY,
                    Strategy.REVERSE)));
            assertThat(e).isInstanceOf(ConnectException.class);
            ConnectReport report = ((ConnectException) e).report();
            assertThat(report.winner()).isEmpty();
            assertThat(report.failures()).containsOnlyKeys(Strategy.PUNCH, Strategy.RELAY, Strategy.REVERSE);
            assertThat(report.failures().get(Strategy.PUNCH)).hasMessageContaining("not available");
            assertThat(report.failures().get(Strategy.REVERSE)).hasMessageContaining("no signalling broker");
            assertThat(report.failures().get(Strategy.RELAY)).isInstanceOf(StrategySkippedException.class)
                    .hasMessageContaining("no TURN server");
        });
    }

    @Test
    void aPeerThatIsGoneFailsWithinTheDeadlineNamingTheDirectFailure() throws Exception {
        Node a = await(node(A, List.of()).start());
        Node b = await(node(B, List.of()).start());
        await(b.close());
        try {
            Throwable e = failure(a.connect(b.address(), ConnectOptions.of(Strategy.DIRECT)
                    .withDeadline(Duration.ofSeconds(5))));
            assertThat(e).isInstanceOf(ConnectException.class);
            assertThat(((ConnectException) e).report().failures().get(Strategy.DIRECT))
                    .hasMessageContaining("dial 127.0.0.1 port " + b.listenPort());
            assertThat(e.getMessage()).contains(B.nodeId().value());
        } finally {
            await(a.close());
        }
    }

    @Test
    void aPeerAddressWithAnotherKeyBehindItFailsAsWrongPeer() throws Exception {
        withNodes(node(A, List.of()), node(B, List.of()), (a, b) -> {
            // B's records, C's id: whoever answers there is not the node the address names.
            var forged = new io.p2pd.node.addr.PeerAddress(b.address().signal(), b.address().v4(),
                    b.address().v6(), NodeKey.fromHex("1c".repeat(32)).nodeId(), b.address().machineId());
            Throwable e = failure(a.connect(forged, ConnectOptions.of(Strategy.DIRECT)));
            assertThat(e).isInstanceOf(ConnectException.class);
            Throwable direct = ((ConnectException) e).report().failures().get(Strategy.DIRECT);
            assertThat(direct.getCause()).isInstanceOf(ProofFailedException.class);
            assertThat(((ProofFailedException) direct.getCause()).reason())
                    .isEqualTo(ProofFailedException.Reason.WRONG_PEER);
        });
    }

    @Test
    void closingTheNodeFailsWaitingAcceptsAndLaterAcceptsAndConnects() throws Exception {
        Node b = await(node(B, List.of()).start());
        CompletableFuture<PeerConnection> waiting = b.accept();
        await(b.close());
        assertThat(failure(waiting)).isInstanceOf(io.p2pd.pipe.PipeClosedException.class);
        assertThat(failure(b.accept())).isInstanceOf(io.p2pd.pipe.PipeClosedException.class);
        CompletableFuture<PeerConnection> c = b.connect(b.address());
        assertThat(c).isCompletedExceptionally();
        assertThat(failure(c)).isInstanceOf(io.p2pd.pipe.PipeClosedException.class);
    }
}
