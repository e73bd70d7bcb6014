package io.p2pd.node.connect.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.nat.PortDelta;
import io.p2pd.nic.Nics;
import io.p2pd.node.Node;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerInterface;
import io.p2pd.node.connect.ConnectOptions;
import io.p2pd.node.connect.PeerConnection;
import io.p2pd.node.connect.Strategy;
import io.p2pd.node.connect.StrategySkippedException;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.id.NodeKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** When the race starts a plugged-in punch: after its delay, and only when the two NATs allow a punch. */
class RaceScheduleTest {
    static final MachineId MACHINE = MachineId.fromRawId("race-schedule-test", MachineId.APP_ID);
    static final NodeKey A = NodeKey.fromHex("3a".repeat(32));
    static final NodeKey B = NodeKey.fromHex("3b".repeat(32));

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    static Node start(NodeKey key) throws Exception {
        return await(Node.builder().interfaces(List.of(Nics.byName("lo").orElseThrow())).listenPort(0)
                .machineId(MACHINE).key(key).start());
    }

    /** A punch stand-in that only counts its starts and never completes (until cancelled). */
    static AtomicInteger countingPunch(Node a) {
        AtomicInteger starts = new AtomicInteger();
        Connector.of(a).orElseThrow().register(Strategy.PUNCH, (peer, session, deadline) -> {
            starts.incrementAndGet();
            return new CompletableFuture<>();
        });
        return starts;
    }

    static PeerAddress withRecords(PeerAddress p, UnaryOperator<PeerInterface> change) {
        return new PeerAddress(p.signal(), p.v4().stream().map(change).toList(), p.v6().stream().map(change).toList(),
                p.nodeId(), p.machineId());
    }

    @Test
    void punchIsSkippedWithTheFeasibilityReasonWhenThePeersNatCannotBePunched() throws Exception {
        Node a = start(A);
        Node b = start(B);
        try {
            AtomicInteger starts = countingPunch(a);
            PeerAddress symmetric = withRecords(b.address(), r -> new PeerInterface(r.netifaceIndex(), r.ifIndex(),
                    r.externalIp(), r.nicIp(), r.port(), NatType.SYMMETRIC, PortDelta.of(DeltaType.RANDOM)));
            PeerConnection out = await(a.connect(symmetric, ConnectOptions.of(Strategy.DIRECT, Strategy.PUNCH)
                    .withPunchDelay(Duration.ZERO)));
            assertThat(out.strategy()).isEqualTo(Strategy.DIRECT);
            assertThat(out.report().failures().get(Strategy.PUNCH)).isInstanceOf(StrategySkippedException.class)
                    .hasMessageStartingWith("no punch: the peer");
            assertThat(starts).hasValue(0);
            out.pipe().close();
            await(b.accept()).pipe().close();
        } finally {
            await(a.close());
            await(b.close());
        }
    }

    @Test
    void aPunchWhoseDelayHasNotComeWhenDirectWinsIsNeverStartedAndReportedStopped() throws Exception {
        Node a = start(A);
        Node b = start(B);
        try {
            AtomicInteger starts = countingPunch(a);
            PeerConnection out = await(a.connect(b.address(), ConnectOptions.of(Strategy.DIRECT, Strategy.PUNCH)
                    .withPunchDelay(Duration.ofMinutes(5))));
            assertThat(out.strategy()).isEqualTo(Strategy.DIRECT);
            assertThat(out.report().failures().get(Strategy.PUNCH)).isInstanceOf(CancellationException.class);
            assertThat(starts).hasValue(0);
            out.pipe().close();
            await(b.accept()).pipe().close();
        } finally {
            await(a.close());
            await(b.close());
        }
    }

    @Test
    void aPunchStartedIsCancelledWhenDirectWins() throws Exception {
        Node a = start(A);
        Node b = start(B);
        try {
            CompletableFuture<CompletableFuture<?>> started = new CompletableFuture<>();
            Connector.of(a).orElseThrow().register(Strategy.PUNCH, (peer, session, deadline) -> {
                CompletableFuture<io.p2pd.node.connect.ProvenPipe> never = new CompletableFuture<>();
                started.complete(never);
                return never;
            });
            // A zero delay starts the punch with the call; direct's win must then cancel it.
            PeerConnection out = await(a.connect(b.address(), ConnectOptions.of(Strategy.DIRECT, Strategy.PUNCH)
                    .withPunchDelay(Duration.ZERO)));
            assertThat(out.strategy()).isEqualTo(Strategy.DIRECT);
            CompletableFuture<?> punch = await(started);
            assertThat(punch).isCancelled();
            out.pipe().close();
            await(b.accept()).pipe().close();
        } finally {
            await(a.close());
            await(b.close());
        }
    }
}
