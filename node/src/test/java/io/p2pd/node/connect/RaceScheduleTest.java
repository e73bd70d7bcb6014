package io.p2pd.node.connect;

import static io.p2pd.node.connect.ConnectTest.A;
import static io.p2pd.node.connect.ConnectTest.B;
import static io.p2pd.node.connect.ConnectTest.await;
import static io.p2pd.node.connect.ConnectTest.node;
import static io.p2pd.node.connect.ConnectTest.withNodes;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.nat.PortDelta;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerInterface;
import io.p2pd.node.connect.internal.Connector;
import io.p2pd.node.connect.internal.StrategyAttempt;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** When the race starts a plugged-in punch: after its delay, and only when the two NATs allow a punch. */
class RaceScheduleTest {

    /** A punch stand-in that records its start and never completes (until cancelled). */
    static final class PendingPunch implements StrategyAttempt {
        final CompletableFuture<CompletableFuture<ProvenPipe>> started = new CompletableFuture<>();

        @Override
        public CompletableFuture<ProvenPipe> start(PeerAddress peer, String sessionId, long deadlineNanos,
                java.util.function.BooleanSupplier claim) {
            CompletableFuture<ProvenPipe> never = new CompletableFuture<>();
            started.complete(never);
            return never;
        }

        /** As hole punching's verdict (HolePunch.unpunchable) on the peer's record, from an open side here. */
        @Override
        public java.util.Optional<String> unusable(PeerAddress peer) {
            PeerInterface r = peer.v4().get(0);
            io.p2pd.node.punch.PunchDecision d = io.p2pd.node.punch.PunchFeasibility.decide(
                    new io.p2pd.node.punch.NatBehaviour(NatType.PORT_RESTRICTED, PortDelta.of(DeltaType.EQUAL)),
                    new io.p2pd.node.punch.NatBehaviour(r.nat(), r.delta()));
            return d.punchable() ? java.util.Optional.empty() : java.util.Optional.of(d.reason());
        }
    }

    /**
     * A connects to B's address as {@code change} rewrites it, with direct and a pending punch raced as
     * {@code options} say; direct must win. Returns A's report and the punch stand-in.
     */
    static ConnectReport directAndPunch(UnaryOperator<PeerInterface> change, Duration punchDelay, PendingPunch punch)
            throws Exception {
        ConnectReport[] report = new ConnectReport[1];
        withNodes(node(A, List.of()), node(B, List.of()), (a, b) -> {
            Connector.of(a).orElseThrow().register(Strategy.PUNCH, punch);
            PeerAddress p = b.address();
            PeerAddress target = new PeerAddress(p.signal(), p.v4().stream().map(change).toList(),
                    p.v6().stream().map(change).toList(), p.nodeId(), p.machineId());
            PeerConnection out = await(a.connect(target, ConnectOptions.of(Strategy.DIRECT, Strategy.PUNCH)
                    .withPunchDelay(punchDelay)));
            assertThat(out.strategy()).isEqualTo(Strategy.DIRECT);
            report[0] = out.report();
            out.pipe().close();
            await(b.accept()).pipe().close();
        });
        return report[0];
    }

    @Test
    void punchIsSkippedWithTheFeasibilityReasonWhenThePeersNatCannotBePunched() throws Exception {
        PendingPunch punch = new PendingPunch();
        ConnectReport report = directAndPunch(r -> new PeerInterface(r.netifaceIndex(), r.ifIndex(), r.externalIp(),
                r.nicIp(), r.port(), NatType.SYMMETRIC, PortDelta.of(DeltaType.RANDOM)), Duration.ZERO, punch);
        assertThat(report.failures().get(Strategy.PUNCH)).isInstanceOf(StrategySkippedException.class)
                .hasMessageStartingWith("no punch: the peer");
        assertThat(punch.started).isNotDone();
    }

    @Test
    void aPunchWhoseDelayHasNotComeWhenDirectWinsIsNeverStartedAndReportedStopped() throws Exception {
        PendingPunch punch = new PendingPunch();
        ConnectReport report = directAndPunch(r -> r, Duration.ofMinutes(5), punch);
        assertThat(report.failures().get(Strategy.PUNCH)).isInstanceOf(CancellationException.class);
        assertThat(punch.started).isNotDone();
    }

    @Test
    void aPunchStartedIsCancelledWhenDirectWins() throws Exception {
        PendingPunch punch = new PendingPunch();
        // A zero delay starts the punch with the call; direct's win must then cancel it.
        ConnectReport report = directAndPunch(r -> r, Duration.ZERO, punch);
        assertThat(report.failures().get(Strategy.PUNCH)).isInstanceOf(CancellationException.class);
        assertThat(await(punch.started)).isCancelled();
    }
}
