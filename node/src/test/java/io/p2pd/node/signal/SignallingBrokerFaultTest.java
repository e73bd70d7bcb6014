package io.p2pd.node.signal;

import static io.p2pd.node.signal.Fixtures.KEY_A;
import static io.p2pd.node.signal.Fixtures.KEY_B;
import static io.p2pd.node.signal.SignallingTest.WAIT;
import static io.p2pd.node.signal.SignallingTest.await;
import static io.p2pd.node.signal.SignallingTest.conf;
import static io.p2pd.node.signal.SignallingTest.now;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.mqtt.MqttStateListener;
import io.p2pd.node.testing.Mosquitto;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Signalling#send} when the peer's brokers fail, through real Mosquitto: with every broker down the send
 * fails within its timeout instead of waiting for a reconnect, a broker that comes back is used again, and a broker
 * we hold no connection to is tried before one we are reconnecting to.
 */
class SignallingBrokerFaultTest {

    static final PeerAddress ADDR_A = Fixtures.address("0,1", "[0,0,203.0.113.5,192.168.1.20,51234,5,3,2]", "0",
            KEY_A);
    static final PeerAddress ADDR_B = Fixtures.address("0,1", "[0,0,198.51.100.7,10.0.0.2,40000,1,1,0]", "0", KEY_B);

    @TempDir
    Path dir;

    /** A latch counted down when the client of broker {@code index} loses its connection. */
    static CountDownLatch onDisconnect(Signalling s, int index) throws Exception {
        CountDownLatch lost = new CountDownLatch(1);
        await(s.clientOf(index)).stateListener(new MqttStateListener() {
            @Override
            public void disconnected(Throwable cause) {
                lost.countDown();
            }
        });
        return lost;
    }

    @Test
    void aSendWithEveryBrokerDownFailsWithinTheSendTimeoutAndABrokerThatComesBackIsUsed() throws Exception {
        assumeTrue(Mosquitto.installed(), "mosquitto is not installed (scripts/lab-deps.sh)");
        try (Mosquitto broker0 = Mosquitto.start(dir); Mosquitto broker1 = Mosquitto.start(dir)) {
            List<MqttBroker> brokers = List.of(MqttBroker.of(broker0.host(), broker0.port()),
                    MqttBroker.of(broker1.host(), broker1.port()));
            SignallingTest.Heard heardB = new SignallingTest.Heard();
            try (Signalling a = await(Signalling.builder(KEY_A).brokers(brokers).clientConf(conf())
                    .sendTimeout(Duration.ofSeconds(1)).start());
                    Signalling b = await(Signalling.builder(KEY_B).brokers(brokers).clientConf(conf())
                            .listener(heardB).start())) {
                assertThat(b.listening()).containsExactly(0, 1);
                // Broker 0 killed (A reconnects to it, its publishes wait queued), broker 1 frozen (connected, but
                // nothing is acknowledged).
                CountDownLatch lost0 = onDisconnect(a, 0);
                broker0.kill();
                assertThat(lost0.await(WAIT, TimeUnit.SECONDS)).isTrue();
                broker1.pause();
                SignalMessage down = SignalMessage.of(SignalType.CONNECT, now() + 30, "while-down", ADDR_A, ADDR_B);
                assertThatThrownBy(() -> a.send(down, KEY_B.publicKey()).get(WAIT, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SignallingException.class)
                        .hasMessageContaining("no broker of");
                assertThat(a.stats().publishFailed()).isEqualTo(2);

                // Broker 1 gone for good; broker 0 back on its port. Sends are retried (bounded) until A and B have
                // reconnected and B subscribed again: the message can only come through broker 0.
                broker1.resume();
                broker1.kill();
                broker0.restart();
                SignalReceipt got = null;
                for (int i = 0; i < 20 && got == null; i++) {
                    SignalMessage m = SignalMessage.of(SignalType.CONNECT, now() + 30, "recovered" + i, ADDR_A, ADDR_B);
                    a.send(m, KEY_B.publicKey()).handle((v, e) -> v);
                    for (SignalReceipt r = heardB.accepted.poll(1, TimeUnit.SECONDS); r != null && got == null;
                            r = heardB.accepted.poll(0, TimeUnit.SECONDS)) {
                        if (r.message().pipeId().startsWith("recovered")) {
                            got = r;
                        }
                    }
                }
                assertThat(got).as("a message through the restarted broker 0").isNotNull();
                // The broker's acknowledgement may reach A after B already has the message: wait for it, bounded.
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
                while (a.stats().published() == 0 && System.nanoTime() < end) {
                    Thread.sleep(10);
                }
                assertThat(a.stats().published()).isPositive();
            }
        }
    }

    @Test
    void aBrokerWeHoldNoConnectionToIsTriedBeforeOneWeAreReconnectingTo() throws Exception {
        assumeTrue(Mosquitto.installed(), "mosquitto is not installed (scripts/lab-deps.sh)");
        try (Mosquitto broker0 = Mosquitto.start(dir); Mosquitto broker1 = Mosquitto.start(dir)) {
            List<MqttBroker> brokers = List.of(MqttBroker.of(broker0.host(), broker0.port()),
                    MqttBroker.of(broker1.host(), broker1.port()));
            SignallingTest.Heard heardB = new SignallingTest.Heard();
            // A listens on broker 0 only and sends one copy; its timeout is long, so only the order can make the
            // message arrive within the wait.
            try (Signalling a = await(Signalling.builder(KEY_A).brokers(brokers).listenOn(List.of(0)).fanout(1)
                    .clientConf(conf()).sendTimeout(Duration.ofMinutes(10)).start());
                    Signalling b = await(Signalling.builder(KEY_B).brokers(brokers).clientConf(conf())
                            .listener(heardB).start())) {
                assertThat(a.clientOf(1)).isNull();
                assertThat(b.listening()).containsExactly(0, 1);
                CountDownLatch lost0 = onDisconnect(a, 0);
                broker0.kill();
                assertThat(lost0.await(WAIT, TimeUnit.SECONDS)).isTrue();

                SignalMessage m = SignalMessage.of(SignalType.CONNECT, now() + 30, "via-1", ADDR_A, ADDR_B);
                assertThat(await(a.send(m, KEY_B.publicKey()))).isEqualTo(1);
                assertThat(heardB.nextAccepted().message().pipeId()).isEqualTo("via-1");
            }
        }
    }
}
