package io.p2pd.node.connect;

import static io.p2pd.node.connect.ConnectTest.A;
import static io.p2pd.node.connect.ConnectTest.B;
import static io.p2pd.node.connect.ConnectTest.await;
import static io.p2pd.node.connect.ConnectTest.failure;
import static io.p2pd.node.connect.ConnectTest.node;
import static io.p2pd.node.connect.ConnectTest.withNodes;
import static io.p2pd.node.connect.RaceTest.connector;
import static io.p2pd.node.connect.RaceTest.turn;
import static io.p2pd.node.connect.RaceTest.unreachable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.punch.PunchException;
import io.p2pd.node.signal.SignalType;
import io.p2pd.node.testing.Mosquitto;
import io.p2pd.testing.TurnServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The race's timing around hole punching: node A's punch is a scripted attempt (plugged in its place), B is
 * unreachable for direct dials, the relay goes through coturn on loopback. A punch under way holds the relay back past
 * its delay, and a punch whose window passed with no connection is tried once more.
 */
class RacePunchTimingTest {
    /** How long the scripted punch runs before it fails: well past the relay's 100 ms delay. */
    private static final long PUNCH_MS = 1_000;

    @BeforeAll
    static void coturnInstalled() {
        assumeTrue(TurnServerProcess.installed(), "coturn is not installed");
    }

    /** What a test does with node A and B, and whether B has had the relay's TURN signal so far. */
    interface Body {
        void run(io.p2pd.node.Node a, io.p2pd.node.Node b, AtomicBoolean relaySignalled) throws Exception;
    }

    static void lab(Path dir, Body body) throws Exception {
        AtomicBoolean relaySignalled = new AtomicBoolean();
        try (Mosquitto mosquitto = Mosquitto.start(dir);
                TurnServerProcess coturn = TurnServerProcess.start(dir)) {
            List<MqttBroker> brokers = List.of(MqttBroker.of(mosquitto.host(), mosquitto.port()));
            withNodes(node(A, brokers).turnServers(List.of(turn(coturn, TurnServerProcess.PASSWORD))),
                    node(B, brokers).signalListener(r -> {
                        if (r.message().type() == SignalType.TURN) {
                            relaySignalled.set(true);
                        }
                    }), (a, b) -> body.run(a, b, relaySignalled));
        }
    }

    @Test
    void aPunchUnderWayHoldsTheRelayBackUntilItEnds(@TempDir Path dir) throws Exception {
        lab(dir, (a, b, relaySignalled) -> {
            AtomicReference<Boolean> signalledBeforePunchEnded = new AtomicReference<>();
            connector(a).register(Strategy.PUNCH, (peer, session, deadline, claim) -> {
                CompletableFuture<ProvenPipe> f = new CompletableFuture<>();
                CompletableFuture.delayedExecutor(PUNCH_MS, TimeUnit.MILLISECONDS).execute(() -> {
                    signalledBeforePunchEnded.set(relaySignalled.get());
                    f.completeExceptionally(new PunchException(PunchException.Step.PROOF_FAILED, "scripted"));
                });
                return f;
            });
            PeerConnection out = await(a.connect(unreachable(b.address()), ConnectOptions.of(Strategy.DIRECT,
                    Strategy.PUNCH, Strategy.RELAY).withRelayDelay(Duration.ofMillis(100))
                    .withDeadline(Duration.ofSeconds(20))));
            assertThat(out.strategy()).isEqualTo(Strategy.RELAY);
            assertThat(out.report().failures().get(Strategy.PUNCH)).isInstanceOf(PunchException.class);
            // Past its 100 ms delay the relay had not signalled B while the punch ran; it went once the punch ended.
            assertThat(signalledBeforePunchEnded.get()).isFalse();
            assertThat(relaySignalled.get()).isTrue();
            out.pipe().close();
            await(b.accept()).pipe().close();
            await(connector(a).relaysIdle());
        });
    }

    @Test
    void aPunchWithNoConnectionInItsWindowIsTriedOnceMoreAndOtherFailuresAreNot(@TempDir Path dir)
            throws Exception {
        lab(dir, (a, b, relaySignalled) -> {
            AtomicInteger tries = new AtomicInteger();
            AtomicReference<PunchException.Step> fails = new AtomicReference<>();
            connector(a).register(Strategy.PUNCH, (peer, session, deadline, claim) -> {
                tries.incrementAndGet();
                return CompletableFuture.failedFuture(new PunchException(fails.get(), "scripted"));
            });
            ConnectOptions punchAlone = ConnectOptions.of(Strategy.PUNCH).withDeadline(Duration.ofSeconds(20));

            fails.set(PunchException.Step.NO_CONNECTION_IN_WINDOW);
            Throwable missed = failure(a.connect(b.address(), punchAlone));
            assertThat(missed).isInstanceOf(ConnectException.class);
            assertThat(((ConnectException) missed).report().failures().get(Strategy.PUNCH))
                    .isInstanceOf(PunchException.class);
            assertThat(tries.get()).isEqualTo(2);

            tries.set(0);
            fails.set(PunchException.Step.PROOF_FAILED);
            assertThat(failure(a.connect(b.address(), punchAlone))).isInstanceOf(ConnectException.class);
            assertThat(tries.get()).isEqualTo(1);
        });
    }

    @Test
    void aPunchThatNeverEndsHoldsTheRelayBackForHalfTheDeadlineAtMost(@TempDir Path dir) throws Exception {
        lab(dir, (a, b, relaySignalled) -> {
            CompletableFuture<ProvenPipe> endless = new CompletableFuture<>();
            connector(a).register(Strategy.PUNCH, (peer, session, deadline, claim) -> endless);
            PeerConnection out = await(a.connect(unreachable(b.address()), ConnectOptions.of(Strategy.DIRECT,
                    Strategy.PUNCH, Strategy.RELAY).withRelayDelay(Duration.ofMillis(100))
                    .withDeadline(Duration.ofSeconds(8))));
            // Held until half the deadline (4 s), the relay then went and won with the punch still under way.
            assertThat(out.strategy()).isEqualTo(Strategy.RELAY);
            assertThat(relaySignalled.get()).isTrue();
            assertThat(endless).as("the punch is stopped by the relay's win").isCancelled();
            out.pipe().close();
            await(b.accept()).pipe().close();
            await(connector(a).relaysIdle());
        });
    }

    @Test
    void aPunchThatMissesItsWindowWithLessThanAPunchsTimeLeftIsNotTriedAgain(@TempDir Path dir)
            throws Exception {
        lab(dir, (a, b, relaySignalled) -> {
            AtomicInteger tries = new AtomicInteger();
            connector(a).register(Strategy.PUNCH, (peer, session, deadline, claim) -> {
                tries.incrementAndGet();
                CompletableFuture<ProvenPipe> f = new CompletableFuture<>();
                // Misses its window when less than PUNCH_AGAIN_LEFT (3 s) of the 4 s deadline is left.
                CompletableFuture.delayedExecutor(1_500, TimeUnit.MILLISECONDS).execute(() -> f.completeExceptionally(
                        new PunchException(PunchException.Step.NO_CONNECTION_IN_WINDOW, "scripted")));
                return f;
            });
            Throwable missed = failure(a.connect(b.address(), ConnectOptions.of(Strategy.PUNCH)
                    .withPunchDelay(Duration.ZERO).withDeadline(Duration.ofSeconds(4))));
            assertThat(missed).isInstanceOf(ConnectException.class);
            assertThat(((ConnectException) missed).report().failures().get(Strategy.PUNCH))
                    .isInstanceOf(PunchException.class);
            assertThat(tries.get()).isEqualTo(1);
        });
    }
}
