package io.p2pd.node.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.node.testing.Mosquitto;
import io.p2pd.testing.LeakCheck;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The MQTT client against a real Mosquitto process: round trips, reconnects, keep-alive, closing. */
@ExtendWith(LeakCheck.class)
class MqttClientTest {

    static final long WAIT = 20;

    @TempDir
    Path dir;

    static MqttClientConf.Builder conf() {
        return MqttClientConf.builder().connectTimeout(Duration.ofSeconds(5))
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(400));
    }

    static byte[] randomPayload(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        b[0] = 0; // a NUL in the payload survives
        return b;
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT, TimeUnit.SECONDS);
    }

    static Throwable failureOf(CompletableFuture<?> f) {
        try {
            f.get(WAIT, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("did not fail: " + e, e);
        }
        throw new AssertionError("completed, expected a failure");
    }

    /** Messages received, as (topic, payload). */
    record Received(String topic, byte[] payload) {
    }

    /** Records a client's state changes, in order: "connected V5", the cause of a loss, "reconnecting 2". */
    static final class Events implements MqttStateListener {
        final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        final BlockingQueue<Duration> delays = new LinkedBlockingQueue<>();

        static Events of(MqttClient client) {
            Events e = new Events();
            client.stateListener(e);
            return e;
        }

        @Override
        public void connected(MqttProtocol protocol) {
            queue.add("connected " + protocol);
        }

        @Override
        public void disconnected(Throwable cause) {
            queue.add(cause);
        }

        @Override
        public void reconnecting(int attempt, Duration delay) {
            delays.add(delay); // before the event: a test that saw the event reads the delay at once
            queue.add("reconnecting " + attempt);
        }

        @Override
        public void subscriptionLost(String topicFilter, MqttException.Refused reason) {
            queue.add("subscription lost " + topicFilter + " 0x" + Integer.toHexString(reason.reasonCode()));
        }

        /** The next event, waited for boundedly. */
        Object next() throws InterruptedException {
            Object e = queue.poll(WAIT, TimeUnit.SECONDS);
            assertThat(e).as("a state change within %d s", WAIT).isNotNull();
            return e;
        }

        /** Every event so far that was not taken. */
        List<Object> rest() {
            List<Object> all = new java.util.ArrayList<>();
            queue.drainTo(all);
            return all;
        }
    }

    static MqttMessageHandler into(BlockingQueue<Received> queue) {
        return (topic, payload) -> queue.add(new Received(topic, payload));
    }

    static Received next(BlockingQueue<Received> queue) throws InterruptedException {
        Received r = queue.poll(WAIT, TimeUnit.SECONDS);
        assertThat(r).as("a message within %d s", WAIT).isNotNull();
        return r;
    }

    @ParameterizedTest
    @EnumSource(MqttProtocol.class)
    void publishAndSubscribeRoundTripPayloadBytes(MqttProtocol protocol) throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir)) {
            MqttBroker where = MqttBroker.of(broker.host(), broker.port());
            MqttClient receiver = await(MqttClient.connect(where, conf().protocol(protocol).build()));
            MqttClient sender = await(MqttClient.connect(where, conf().protocol(protocol).build()));
            try {
                assertThat(receiver.protocolVersion()).isEqualTo(protocol);
                assertThat(receiver.isConnected()).isTrue();
                BlockingQueue<Received> got = new LinkedBlockingQueue<>();
                await(receiver.subscribe("node-abc", into(got)));
                byte[] payload = randomPayload(3000, 1);
                await(sender.publish("node-abc", payload));
                Received r = next(got);
                assertThat(r.topic()).isEqualTo("node-abc");
                assertThat(r.payload()).isEqualTo(payload);
                assertThat(sender.stats().published()).isEqualTo(1);
                MqttStats s = receiver.stats();
                assertThat(s.received()).isEqualTo(1);
                assertThat(s.delivered()).isEqualTo(1);
                assertThat(s.connects()).isEqualTo(1);
                assertThat(s.dropped().values()).containsOnly(0L);
            } finally {
                await(receiver.close());
                await(sender.close());
            }
        }
    }

    @Test
    void aWildcardSubscriptionGetsTheActualTopicAndUnmatchedTopicsAreCounted() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir)) {
            MqttClient c = await(MqttClient.connect(MqttBroker.of(broker.host(), broker.port()), conf().build()));
            try {
                BlockingQueue<Received> got = new LinkedBlockingQueue<>();
                await(c.subscribe("a/+/c", into(got)));
                await(c.publish("a/b/c", new byte[] {1}));
                assertThat(next(got).topic()).isEqualTo("a/b/c");
                assertThat(c.stats().delivered()).isEqualTo(1);
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void aBrokerKilledAndRestartedOnTheSamePortIsReconnectedResubscribedAndGetsTheQueuedPublish()
            throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir)) {
            MqttClient c = await(MqttClient.connect(MqttBroker.of(broker.host(), broker.port()), conf().build()));
            Events events = Events.of(c);
            try {
                BlockingQueue<Received> got = new LinkedBlockingQueue<>();
                await(c.subscribe("node-1", into(got)));
                broker.kill();
                assertThat(events.next()).isInstanceOf(MqttException.Unreachable.class);
                assertThat(events.next()).isEqualTo("reconnecting 1");
                assertThat(events.delays.poll()).isPositive().isLessThanOrEqualTo(Duration.ofMillis(400));
                assertThat(c.isConnected()).isFalse();

                byte[] payload = randomPayload(100, 2);
                CompletableFuture<Void> queued = c.publish("node-1", payload);
                // Attempts fail while the broker is down, and back off: the publish waits for a connection.
                assertThat(events.next()).isEqualTo("reconnecting 2");
                assertThat(queued).isNotDone();

                broker.restart();
                await(queued);
                Received r = next(got);
                assertThat(r.payload()).isEqualTo(payload);
                assertThat(c.isConnected()).isTrue();
                assertThat(events.rest()).contains("connected V5");
                MqttStats s = c.stats();
                assertThat(s.connects()).isEqualTo(2);
                assertThat(s.reconnects()).isEqualTo(1);
                assertThat(s.published()).isEqualTo(1);
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void aBrokerThatStopsAnsweringIsDetectedByKeepAliveAndReconnectedWhenItRunsAgain() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir)) {
            MqttClient c = await(MqttClient.connect(MqttBroker.of(broker.host(), broker.port()),
                    conf().keepAlive(Duration.ofSeconds(1)).connectTimeout(Duration.ofSeconds(1)).build()));
            Events events = Events.of(c);
            try {
                broker.pause();
                try {
                    Object lost = events.next();
                    assertThat(lost).isInstanceOf(MqttException.TimedOut.class);
                    assertThat(((Throwable) lost).getMessage()).contains("keep-alive");
                    assertThat(c.isConnected()).isFalse();
                } finally {
                    broker.resume();
                }
                // Attempts time out while it is frozen; one after it runs again gets through.
                Object e = events.next();
                for (int i = 0; i < 100 && e.toString().startsWith("reconnecting"); i++) {
                    e = events.next();
                }
                assertThat(e).isEqualTo("connected V5");
                assertThat(c.stats().reconnects()).isEqualTo(1);
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void anMqtt5BrokersServerKeepAliveReplacesTheClients() throws Exception {
        // Mosquitto answers a keep-alive above max_keepalive with its own (Server Keep Alive, MQTT 5 only): 10 s
        // (its least), so a frozen broker is found in 15 s, not in the 15 minutes the client's 600 s would take.
        try (Mosquitto broker = Mosquitto.builder(dir).line("max_keepalive 10").start()) {
            MqttClient c = await(MqttClient.connect(MqttBroker.of(broker.host(), broker.port()),
                    conf().keepAlive(Duration.ofSeconds(600)).protocol(MqttProtocol.V5).build()));
            Events events = Events.of(c);
            try {
                broker.pause();
                try {
                    Object lost = events.queue.poll(90, TimeUnit.SECONDS);
                    assertThat(lost).isInstanceOf(MqttException.TimedOut.class);
                    assertThat(((Throwable) lost).getMessage()).contains("PT10S");
                } finally {
                    broker.resume();
                }
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void manyPublishesThroughASmallInFlightWindowAllArriveInOrder() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir)) {
            MqttClient c = await(MqttClient.connect(MqttBroker.of(broker.host(), broker.port()),
                    conf().maxInFlight(2).build()));
            try {
                BlockingQueue<Received> got = new LinkedBlockingQueue<>();
                await(c.subscribe("many", into(got)));
                List<CompletableFuture<Void>> sent = new java.util.ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    sent.add(c.publish("many", new byte[] {(byte) i}));
                }
                await(CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)));
                for (int i = 0; i < 50; i++) {
                    assertThat(next(got).payload()).containsExactly(i);
                }
                assertThat(c.stats().published()).isEqualTo(50);
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void aPublishAnMqtt5BrokerRefusesFailsWithItsReasonCode() throws Exception {
        // Anonymous clients may read and write "open/#" only. (Mosquitto grants any subscription and filters on
        // delivery, so a refused subscription is shown with a scripted broker, in MqttProtocolTest.)
        Path acl = dir.resolve("acl");
        java.nio.file.Files.writeString(acl, "topic readwrite open/#\n");
        try (Mosquitto broker = Mosquitto.builder(dir).line("acl_file " + acl).start()) {
            MqttClient c = await(MqttClient.connect(MqttBroker.of(broker.host(), broker.port()),
                    conf().protocol(MqttProtocol.V5).build()));
            try {
                await(c.publish("open/x", new byte[] {1}));
                // Only MQTT 5's PUBACK can say no; a 3.1.1 broker acknowledges and drops.
                Throwable denied = failureOf(c.publish("closed/x", new byte[] {1}));
                assertThat(denied).isInstanceOf(MqttException.Refused.class).hasMessageContaining("closed/x");
                assertThat(((MqttException.Refused) denied).reasonCode()).isEqualTo(0x87); // not authorized
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void aPublishLargerThanAnMqtt5BrokersMaximumPacketSizeFailsAndTheConnectionStays() throws Exception {
        // Mosquitto 2.0.11 sends max_packet_size as Maximum Packet Size in its MQTT 5 CONNACK, and disconnects a
        // client that sends a larger packet. A PUBLISH to "big" is 1 + 2 (remaining length) + 2 + 3 (topic) + 2
        // (packet id) + 1 (no properties) bytes and the payload: 989 bytes make it 1000.
        try (Mosquitto broker = Mosquitto.builder(dir).line("max_packet_size 1000").start()) {
            MqttClient c = await(MqttClient.connect(MqttBroker.of(broker.host(), broker.port()),
                    conf().protocol(MqttProtocol.V5).build()));
            Events events = Events.of(c);
            try {
                BlockingQueue<Received> got = new LinkedBlockingQueue<>();
                await(c.subscribe("big", into(got)));
                // Without the check Mosquitto drops the connection, and the publish, re-sent, drops each one after.
                Throwable tooLarge = failureOf(c.publish("big", new byte[2000]));
                assertThat(tooLarge).isInstanceOf(MqttException.PayloadTooLarge.class)
                        .hasMessageContaining("2011 bytes").hasMessageContaining("at most 1000");
                // One byte over, as MQTT 5 counts a packet (Mosquitto 2.0.11 itself lets a few bytes more in).
                assertThat(failureOf(c.publish("big", new byte[990])))
                        .isInstanceOf(MqttException.PayloadTooLarge.class).hasMessageContaining("1001 bytes");
                await(c.publish("big", new byte[989]));
                assertThat(next(got).payload()).hasSize(989);
                assertThat(c.stats().reconnects()).isZero();
                assertThat(events.rest()).isEmpty();
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void aPublishWhileDisconnectedBeyondTheQueueFailsAtOnce() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir)) {
            MqttClient c = await(MqttClient.connect(MqttBroker.of(broker.host(), broker.port()),
                    conf().maxQueued(1).reconnectBackoff(Duration.ofSeconds(5), Duration.ofSeconds(5)).build()));
            Events events = Events.of(c);
            try {
                broker.kill();
                assertThat(events.next()).isInstanceOf(MqttException.class);
                CompletableFuture<Void> first = c.publish("t", new byte[] {1});
                Throwable full = failureOf(c.publish("t", new byte[] {2}));
                assertThat(full).isInstanceOf(MqttException.QueueFull.class).hasMessageContaining("queue is full");
                assertThat(first).isNotDone();
                await(c.close());
                assertThat(failureOf(first)).isInstanceOf(MqttException.Closed.class);
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void closeIsIdempotentSendsDisconnectAndFailsWhatWaits() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir)) {
            MqttBroker where = MqttBroker.of(broker.host(), broker.port());
            MqttClient c = await(MqttClient.connect(where, conf().clientId("closer").build()));
            CompletableFuture<Void> first = c.close();
            assertThat(c.close()).isSameAs(first);
            await(first);
            assertThat(c.isConnected()).isFalse();
            assertThat(failureOf(c.publish("t", new byte[] {1}))).isInstanceOf(MqttException.Closed.class);
            assertThat(failureOf(c.subscribe("t", (t, p) -> { }))).isInstanceOf(MqttException.Closed.class);
            // Mosquitto logs a client that sent DISCONNECT as "disconnected", one that vanished as "closed".
            List<String> lines = List.of(broker.recentLog().split("\n"));
            assertThat(lines).anyMatch(l -> l.contains("Client closer disconnected"));
        }
    }

    @Test
    void misuseThrowsAtOnce() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir)) {
            MqttClient c = await(MqttClient.connect(MqttBroker.of(broker.host(), broker.port()), conf().build()));
            try {
                assertThatThrownBy(() -> c.publish("a/+", new byte[0])).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("wildcards");
                assertThatThrownBy(() -> c.publish("", new byte[0])).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("topic: empty");
                assertThatThrownBy(() -> c.subscribe("a/#/b", (t, p) -> { }))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("last level");
                assertThatThrownBy(() -> c.publish("t", null)).isInstanceOf(NullPointerException.class);
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void aHandlerThatThrowsLosesOnlyItsMessage() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir)) {
            MqttClient c = await(MqttClient.connect(MqttBroker.of(broker.host(), broker.port()), conf().build()));
            try {
                List<byte[]> got = new CopyOnWriteArrayList<>();
                CompletableFuture<Void> second = new CompletableFuture<>();
                await(c.subscribe("t", (topic, payload) -> {
                    if (payload[0] == 1) {
                        throw new IllegalStateException("test handler refuses message 1");
                    }
                    got.add(payload);
                    second.complete(null);
                }));
                await(c.publish("t", new byte[] {1}));
                await(c.publish("t", new byte[] {2}));
                await(second);
                assertThat(got).hasSize(1);
                assertThat(c.stats().dropped(MqttStats.Drop.HANDLER_FAILED)).isEqualTo(1);
                assertThat(c.stats().delivered()).isEqualTo(2);
            } finally {
                await(c.close());
            }
        }
    }
}
