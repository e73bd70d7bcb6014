package io.p2pd.node.connect.internal;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nic.Nics;
import io.p2pd.node.Node;
import io.p2pd.node.connect.ConnectOptions;
import io.p2pd.node.connect.PeerConnection;
import io.p2pd.node.connect.PeerProof;
import io.p2pd.node.connect.ProvenPipe;
import io.p2pd.node.connect.Strategy;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.id.NodeKey;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How the node's other packages (hole punching) plug a strategy in and hand their connections over. */
class ConnectorHookTest {
    static final MachineId MACHINE = MachineId.fromRawId("connector-hook-test", MachineId.APP_ID);
    static final NodeKey A = NodeKey.fromHex("2a".repeat(32));
    static final NodeKey B = NodeKey.fromHex("2b".repeat(32));

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    static Node start(NodeKey key) throws Exception {
        return await(Node.builder().interfaces(List.of(Nics.byName("lo").orElseThrow())).listenPort(0)
                .machineId(MACHINE).key(key).start());
    }

    interface TwoNodes {
        void run(Node a, Node b) throws Exception;
    }

    /** Nodes A and B on loopback with a Mosquitto of their own, closed after {@code body}. */
    static void withBrokerNodes(java.nio.file.Path dir, TwoNodes body) throws Exception {
        try (io.p2pd.node.testing.Mosquitto mosquitto = io.p2pd.node.testing.Mosquitto.start(dir)) {
            List<io.p2pd.node.mqtt.MqttBroker> brokers = List.of(
                    io.p2pd.node.mqtt.MqttBroker.of(mosquitto.host(), mosquitto.port()));
            Node a = await(Node.builder().interfaces(List.of(Nics.byName("lo").orElseThrow())).listenPort(0)
                    .machineId(MACHINE).key(A).brokers(brokers).start());
            Node b = await(Node.builder().interfaces(List.of(Nics.byName("lo").orElseThrow())).listenPort(0)
                    .machineId(MACHINE).key(B).brokers(brokers).start());
            try {
                body.run(a, b);
            } finally {
                await(a.close());
                await(b.close());
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = Strategy.class, names = {"PUNCH", "RELAY"})
    void aPluggedStrategyWinsAsItselfAndThePeerAcceptsItsSessionAsThatStrategy(Strategy plugged) throws Exception {
        Node a = start(A);
        Node b = start(B);
        try {
            Connector connector = Connector.of(a).orElseThrow();
            assertThat(a.strategies()).doesNotContain(plugged);
            // A stand-in for hole punching: it dials B's port and proves the connection with the session it is given.
            connector.register(plugged, (peer, session, deadline, claim) -> {
                assertThat(session).startsWith(plugged == Strategy.PUNCH ? "p-" : "t-");
                InetSocketAddress at = new InetSocketAddress(peer.v4().get(0).nicIp(), peer.v4().get(0).port());
                return Pipes.tcp().dest(at).open().thenCompose(pipe -> PeerProof.runChoosing(pipe, A,
                        peer.nodeId(), session, Duration.ofSeconds(10), claim));
            });
            assertThat(a.strategies()).contains(plugged);
            CompletableFuture<PeerConnection> accepted = b.accept();
            PeerConnection out = await(a.connect(b.address(), ConnectOptions.of(plugged)));
            PeerConnection in = await(accepted);
            assertThat(out.strategy()).isEqualTo(plugged);
            assertThat(in.strategy()).isEqualTo(plugged);
            assertThat(in.peer()).isEqualTo(A.nodeId());
            out.pipe().close();
            in.pipe().close();
        } finally {
            await(a.close());
            await(b.close());
        }
    }

    @Test
    void aConnectionHandedOverIsProvenAndAcceptedAndOneThatFailsItsProofIsCounted() throws Exception {
        Node b = start(B);
        try (Pipe server = await(Pipes.tcp().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .open())) {
            Connector connector = Connector.of(b).orElseThrow();
            CompletableFuture<Pipe> next = server.accept();
            Pipe dialed = await(Pipes.tcp().dest(server.localAddress()).open());
            CompletableFuture<PeerConnection> handed = connector.handOver(await(next), Optional.of(A.nodeId()),
                    "p-1", Strategy.PUNCH);
            ProvenPipe atA = await(PeerProof.runChoosing(dialed, A, B.nodeId(), "p-1", Duration.ofSeconds(10),
                    () -> true));
            PeerConnection in = await(b.accept());
            assertThat(await(handed)).isSameAs(in);
            assertThat(in.strategy()).isEqualTo(Strategy.PUNCH);
            await(atA.pipe().send("punched".getBytes(US_ASCII)));
            assertThat(await(in.pipe().recv()).text()).isEqualTo("punched");
            atA.pipe().close();
            in.pipe().close();

            CompletableFuture<Pipe> next2 = server.accept();
            Pipe wrong = await(Pipes.tcp().dest(server.localAddress()).open());
            CompletableFuture<PeerConnection> refused = connector.handOver(await(next2), Optional.of(A.nodeId()),
                    "p-2", Strategy.PUNCH);
            PeerProof.run(wrong, B, Optional.empty(), "p-2", Duration.ofSeconds(10)); // B's key, not A's
            assertThat(refused).failsWithin(Duration.ofSeconds(30));
            assertThat(b.peerStats().proofsFailed()).isEqualTo(1);
            wrong.close();
        } finally {
            await(b.close());
        }
    }

    static Node start(Node.Builder builder) throws Exception {
        return await(builder.interfaces(List.of(Nics.byName("lo").orElseThrow())).listenPort(0).machineId(MACHINE)
                .start());
    }

    @Test
    void aRefusedPeersAskToDialBackIsDroppedBeforeAnyDialAndCountedAsRefused() throws Exception {
        Node b = start(Node.builder().key(B).refusePeers(id -> id.equals(A.nodeId())));
        try {
            Connector connector = Connector.of(b).orElseThrow();
            assertThat(connector.admitDialBack(A.nodeId())).hasValueSatisfying(why -> assertThat(why)
                    .contains("refused"));
            assertThat(b.peerStats().refused()).isEqualTo(1);
            assertThat(connector.livePeerConnections()).isZero(); // no dial-back was started
            assertThat(connector.admitDialBack(NodeKey.fromHex("2c".repeat(32)).nodeId())).isEmpty();
            assertThat(connector.livePeerConnections()).isEqualTo(1); // its permit, until its dial ends
        } finally {
            await(b.close());
        }
    }

    @Test
    void onePeerMayAskForALimitedNumberOfDialBacksPerWindowAndOthersAreNotHeldBack() throws Exception {
        Node b = start(Node.builder().key(B));
        try {
            Connector connector = Connector.of(b).orElseThrow();
            for (int i = 0; i < Connector.DIAL_BACKS_PER_PEER; i++) {
                assertThat(connector.admitDialBack(A.nodeId())).as("ask %d", i).isEmpty();
            }
            assertThat(connector.admitDialBack(A.nodeId())).hasValueSatisfying(why -> assertThat(why)
                    .contains("asked for " + Connector.DIAL_BACKS_PER_PEER));
            assertThat(connector.admitDialBack(NodeKey.fromHex("2c".repeat(32)).nodeId())).isEmpty();
            assertThat(b.peerStats().refused()).isZero();
        } finally {
            await(b.close());
        }
    }

    @Test
    void aPeerConnectingAgainAndAgainByReverseIsNotHeldBackByItsOwnDialBacks(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        // Each reverse connect asks B for a dial-back; those that reach A give their ask back, so a peer may connect
        // more often than the per-peer bound (which is against dials pointed at addresses that are not the asker's).
        withBrokerNodes(dir, (a, b) -> {
            for (int i = 0; i < Connector.DIAL_BACKS_PER_PEER + 4; i++) {
                CompletableFuture<PeerConnection> accepted = b.accept();
                PeerConnection out = await(a.connect(b.address(), ConnectOptions.of(Strategy.REVERSE)));
                PeerConnection in = await(accepted);
                assertThat(out.strategy()).as("connect %d", i).isEqualTo(Strategy.REVERSE);
                assertThat(in.pipe().remoteAddress()).contains(out.pipe().localAddress());
                out.pipe().close();
                in.pipe().close();
            }
            // Direct raced with reverse (direct wins most on loopback): B's dial-backs reach A, which says it
            // kept another; each such loser gives its ask back too.
            for (int i = 0; i < Connector.DIAL_BACKS_PER_PEER + 4; i++) {
                CompletableFuture<PeerConnection> accepted = b.accept();
                PeerConnection out = await(a.connect(b.address(),
                        ConnectOptions.of(Strategy.DIRECT, Strategy.REVERSE)));
                PeerConnection in = await(accepted);
                assertThat(out.strategy()).as("connect %d", i).isIn(Strategy.DIRECT, Strategy.REVERSE);
                out.pipe().close();
                in.pipe().close();
            }
            Connector atB = Connector.of(b).orElseThrow();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (atB.dialBacksUnderWay() > 0 && System.nanoTime() < end) {
                Thread.sleep(10); // bounded: the last losers' proofs end on their own
            }
            assertThat(atB.dialBacksUnderWay()).isZero();
            assertThat(a.peerStats().raceLosers() + b.peerStats().raceLosers()).as("losers").isPositive();
            assertThat(atB.admitDialBack(A.nodeId())).isEmpty();
            // Dials that did not reach the asker still count: the bound holds for them.
            NodeKey stranger = NodeKey.fromHex("2c".repeat(32));
            for (int i = 0; i < Connector.DIAL_BACKS_PER_PEER; i++) {
                assertThat(atB.admitDialBack(stranger.nodeId())).as("ask %d", i).isEmpty();
                atB.dialBackEnded(stranger.nodeId(), new java.net.ConnectException("refused"));
            }
            assertThat(atB.admitDialBack(stranger.nodeId())).hasValueSatisfying(why -> assertThat(why)
                    .contains("asked for " + Connector.DIAL_BACKS_PER_PEER));
        });
    }

    @Test
    void aStrategyThatClaimedAndFailedGivesTheClaimBackSoTheReverseDialBackWins(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        // A punch that takes the claim and then fails (its connection reset while the chosen frame went out) used to
        // keep it: B's dial-back was then never chosen, the deadline could not take the claim, and the connect hung.
        withBrokerNodes(dir, (a, b) -> {
            CompletableFuture<Boolean> punchClaimed = new CompletableFuture<>();
            Connector.of(a).orElseThrow().register(Strategy.PUNCH, (peer, session, deadline, claim) -> {
                punchClaimed.complete(claim.getAsBoolean());
                return CompletableFuture.failedFuture(new java.io.IOException("reset after the claim"));
            });
            CompletableFuture<PeerConnection> accepted = b.accept();
            CompletableFuture<PeerConnection> connect = a.connect(b.address(), ConnectOptions
                    .of(Strategy.PUNCH, Strategy.REVERSE).withPunchDelay(Duration.ZERO)
                    .withDeadline(Duration.ofSeconds(3)));
            PeerConnection out = connect.get(15, TimeUnit.SECONDS);
            assertThat(punchClaimed.getNow(false)).as("the punch took the claim").isTrue();
            assertThat(out.strategy()).isEqualTo(Strategy.REVERSE);
            assertThat(out.report().failures().get(Strategy.PUNCH)).hasMessageContaining("reset after the claim");
            PeerConnection in = await(accepted);
            assertThat(in.peer()).isEqualTo(A.nodeId());
            out.pipe().close();
            in.pipe().close();
        });
    }

    @Test
    void theDeadlineFailsAConnectWhoseClaimIsHeldByAnAttemptThatNeverEnds() throws Exception {
        Node a = start(A);
        Node b = start(B);
        try {
            CompletableFuture<ProvenPipe> stuck = new CompletableFuture<>();
            Connector.of(a).orElseThrow().register(Strategy.PUNCH, (peer, session, deadline, claim) -> {
                assertThat(claim.getAsBoolean()).isTrue();
                return stuck;
            });
            CompletableFuture<PeerConnection> connect = a.connect(b.address(), ConnectOptions.of(Strategy.PUNCH)
                    .withPunchDelay(Duration.ZERO).withDeadline(Duration.ofSeconds(2)));
            Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> connect.get(15, TimeUnit.SECONDS));
            assertThat(failure).isInstanceOf(java.util.concurrent.ExecutionException.class)
                    .cause().isInstanceOf(io.p2pd.node.connect.ConnectException.class);
            var report = ((io.p2pd.node.connect.ConnectException) failure.getCause()).report();
            assertThat(report.failures().get(Strategy.PUNCH))
                    .isInstanceOf(java.util.concurrent.TimeoutException.class);
            assertThat(stuck).as("the attempt is stopped with the connect").isCancelled();
        } finally {
            await(a.close());
            await(b.close());
        }
    }

    @Test
    void aRelayDialCancelledDuringItsProofClosesItsConnection() throws Exception {
        // The peer's part of a relay (a dial a TURN signal asked for) used to run on to its deadline when the node
        // closed (its future cancelled): its connection stayed open.
        Node a = start(A);
        Node b = start(B);
        try (java.net.ServerSocket relayed = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Relay relay = new Relay(A, a.address(), a.interfaces(), List.of(),
                    Optional.empty());
            io.p2pd.node.signal.SignalMessage ask = io.p2pd.node.signal.SignalMessage.of(
                    io.p2pd.node.signal.SignalType.TURN, System.currentTimeMillis() / 1000 + 60, "t-cancelled",
                    b.address(), a.address());
            CompletableFuture<ProvenPipe> dial = relay.dial(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), relayed.getLocalPort()), ask,
                    System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
            try (java.net.Socket at = relayed.accept()) {
                at.setSoTimeout(20_000);
                byte[] hello = new byte[1];
                assertThat(at.getInputStream().read(hello)).as("the dial's hello").isPositive();
                dial.cancel(false);
                while (at.getInputStream().read(new byte[256]) >= 0) {
                    // the rest of the hello, then the end: a timeout here (20 s) fails the test
                }
            }
            assertThat(dial).isCancelled();
        } finally {
            await(a.close());
            await(b.close());
        }
    }

    @Test
    void liveConnectionsOfBothDirectionsShareOneLimit() throws Exception {
        Node a = start(A);
        Node b = start(B);
        try {
            Connector atB = Connector.of(b).orElseThrow();
            atB.peerConnectionLimit = 1;
            CompletableFuture<PeerConnection> accepted = b.accept();
            PeerConnection out = await(a.connect(b.address(), ConnectOptions.of(Strategy.DIRECT)));
            PeerConnection in = await(accepted);
            assertThat(atB.livePeerConnections()).isEqualTo(1);
            // Full: B's own connect fails at once, an ask to dial back is dropped, a second inbound one is closed.
            Throwable failed = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class,
                    () -> b.connect(a.address(), ConnectOptions.of(Strategy.DIRECT)).get(30, TimeUnit.SECONDS))
                    .getCause();
            assertThat(failed).isInstanceOf(io.p2pd.node.connect.ConnectException.class);
            assertThat(((io.p2pd.node.connect.ConnectException) failed).report().failures().get(Strategy.DIRECT))
                    .hasMessageContaining("peer connections are live");
            assertThat(atB.admitDialBack(A.nodeId())).hasValueSatisfying(why -> assertThat(why)
                    .contains("peer connections are live"));
            PeerConnection second = await(a.connect(b.address(), ConnectOptions.of(Strategy.DIRECT)));
            awaitPeersEnd(second.pipe()); // B closed it
            second.pipe().close();
            assertThat(b.peerStats().overflowed()).isEqualTo(1);
            assertThat(b.peerStats().accepted()).isEqualTo(1);
            // Once the first ends, B connects again.
            in.pipe().close();
            awaitPeersEnd(out.pipe());
            out.pipe().close();
            await(in.pipe().closeFuture());
            assertThat(atB.livePeerConnections()).isZero();
            PeerConnection again = await(b.connect(a.address(), ConnectOptions.of(Strategy.DIRECT)));
            assertThat(atB.livePeerConnections()).isEqualTo(1);
            again.pipe().close();
        } finally {
            await(a.close());
            await(b.close());
        }
    }

    @Test
    void aDialBackGoesToTheAskersExternalAddressesAndToItsLanOnesOnlyWhenItSharesOurExternalIp() throws Exception {
        Node a = start(A);
        try {
            Connector connector = Connector.of(a).orElseThrow();
            io.p2pd.node.addr.PeerAddress mine = a.address();
            InetAddress elsewhere = InetAddress.getByName("192.0.2.7"); // TEST-NET-1: only computed, never dialed
            java.util.function.UnaryOperator<io.p2pd.node.addr.PeerInterface> behind = r ->
                    new io.p2pd.node.addr.PeerInterface(r.netifaceIndex(), r.ifIndex(), elsewhere, r.nicIp(),
                            r.port(), r.nat(), r.delta());
            io.p2pd.node.addr.PeerAddress asker = new io.p2pd.node.addr.PeerAddress(mine.signal(),
                    mine.v4().stream().map(behind).toList(), List.of(), B.nodeId(), mine.machineId());
            assertThat(connector.dials(asker)).isNotEmpty().allSatisfy(d -> assertThat(d.to().getAddress())
                    .isEqualTo(elsewhere));
            // Sharing our external IP (same NAT or host), its LAN address is what is dialed.
            io.p2pd.node.addr.PeerAddress neighbour = new io.p2pd.node.addr.PeerAddress(mine.signal(), mine.v4(),
                    List.of(), B.nodeId(), mine.machineId());
            assertThat(connector.dials(neighbour)).isNotEmpty().allSatisfy(d -> assertThat(d.to().getAddress())
                    .isEqualTo(mine.v4().get(0).nicIp()));
        } finally {
            await(a.close());
        }
    }

    /** The peer's end of a dialed connection, which keeps sending after it (half-closure): its recv() ends. */
    private static void awaitPeersEnd(io.p2pd.pipe.Pipe pipe) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> pipe.recv().get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(io.p2pd.pipe.PipeClosedException.class);
    }
}
