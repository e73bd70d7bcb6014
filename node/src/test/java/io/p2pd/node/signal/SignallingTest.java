package io.p2pd.node.signal;

import static io.p2pd.node.signal.Fixtures.KEY_A;
import static io.p2pd.node.signal.Fixtures.KEY_B;
import static io.p2pd.node.signal.Fixtures.KEY_C;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.mqtt.MqttClient;
import io.p2pd.node.mqtt.MqttClientConf;
import io.p2pd.node.mqtt.MqttProtocol;
import io.p2pd.node.mqtt.MqttStateListener;
import io.p2pd.node.testing.Mosquitto;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signalling between two nodes through two real Mosquitto brokers on loopback: signed, encrypted messages both
 * ways, each accepted once though it came through both brokers; a third party publishing forged, unsigned, replayed
 * and expired messages to a node's topic, each dropped and counted; one broker killed mid-session, and messages
 * still arrive through the other; that broker restarted on its port, and messages arrive through it again once the
 * clients have reconnected and resubscribed.
 */
class SignallingTest {

    static final long WAIT = 20;

    @TempDir
    Path dir;

    /** What a node's listener heard. */
    static final class Heard implements SignalListener {
        final BlockingQueue<SignalReceipt> accepted = new LinkedBlockingQueue<>();
        final BlockingQueue<SignalDrop> dropped = new LinkedBlockingQueue<>();

        @Override
        public void accepted(SignalReceipt receipt) {
            accepted.add(receipt);
        }

        @Override
        public void dropped(SignalDrop reason, String detail) {
            dropped.add(reason);
        }

        SignalReceipt nextAccepted() throws InterruptedException {
            SignalReceipt r = accepted.poll(WAIT, TimeUnit.SECONDS);
            assertThat(r).as("a message accepted within %d s", WAIT).isNotNull();
            return r;
        }

        SignalDrop nextDropped() throws InterruptedException {
            SignalDrop d = dropped.poll(WAIT, TimeUnit.SECONDS);
            assertThat(d).as("a message dropped within %d s", WAIT).isNotNull();
            return d;
        }
    }

    static MqttClientConf conf() {
        return MqttClientConf.builder().connectTimeout(Duration.ofSeconds(5))
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(400)).build();
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT, TimeUnit.SECONDS);
    }

    /** A latch counted down when the client of broker {@code index} (re)connects. */
    static CountDownLatch onConnect(Signalling s, int index) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        await(s.clientOf(index)).stateListener(new MqttStateListener() {
            @Override
            public void connected(MqttProtocol protocol) {
                connected.countDown();
            }
        });
        return connected;
    }

    static long now() {
        return Instant.now().getEpochSecond();
    }

    @Test
    void twoNodesExchangeSignedMessagesThroughTwoBrokersAndDropWhatAThirdPartyForges() throws Exception {
        assumeTrue(Mosquitto.installed(), "mosquitto is not installed (scripts/lab-deps.sh)");
        PeerAddress addrA = Fixtures.address("0,1", "[0,0,203.0.113.5,192.168.1.20,51234,5,3,2]", "0", KEY_A);
        PeerAddress addrB = Fixtures.address("0,1", "[0,0,198.51.100.7,10.0.0.2,40000,1,1,0]", "0", KEY_B);
        try (Mosquitto broker0 = Mosquitto.start(dir); Mosquitto broker1 = Mosquitto.start(dir)) {
            List<MqttBroker> brokers = List.of(MqttBroker.of(broker0.host(), broker0.port()),
                    MqttBroker.of(broker1.host(), broker1.port()));
            Heard heardA = new Heard();
            Heard heardB = new Heard();
            try (Signalling a = await(Signalling.builder(KEY_A).brokers(brokers).clientConf(conf()).listener(heardA)
                    .start());
                    Signalling b = await(Signalling.builder(KEY_B).brokers(brokers).clientConf(conf())
                            .listener(heardB).start())) {
                assertThat(a.listening()).containsExactly(0, 1);
                assertThat(b.listening()).containsExactly(0, 1);

                // A to B, first message: A does not know B's key (an address carries only its hash), so it goes
                // signed in plaintext; accepted once, the second broker's copy a duplicate.
                assertThat(a.knownKey(KEY_B.nodeId())).isNull();
                SignalMessage hello = SignalMessage.of(SignalType.GET_ADDRESS, now() + 30, "hello1", addrA, addrB);
                assertThat(await(a.send(hello))).isIn(0, 1);
                SignalReceipt got = heardB.nextAccepted();
                assertThat(got.message()).isEqualTo(hello.withSenderKey(KEY_A.publicKey()));
                assertThat(got.encrypted()).isFalse();
                assertThat(got.mayDial()).isTrue();
                assertThat(heardB.nextDropped()).isEqualTo(SignalDrop.DUPLICATE);

                // B answers with the key it learned from A's signed message: encrypted, never plaintext.
                assertThat(b.knownKey(KEY_A.nodeId())).isEqualTo(KEY_A.publicKey());
                SignalMessage answer = SignalMessage.of(SignalType.RETURN_ADDRESS, now() + 30, "hello1", addrB, addrA);
                await(b.send(answer));
                SignalReceipt answered = heardA.nextAccepted();
                assertThat(answered.message()).isEqualTo(answer.withSenderKey(KEY_B.publicKey()));
                assertThat(answered.encrypted()).isTrue();
                assertThat(heardA.nextDropped()).isEqualTo(SignalDrop.DUPLICATE);

                // And A, now knowing B's key, encrypts too.
                SignalMessage again = SignalMessage.of(SignalType.CONNECT, now() + 30, "again", addrA, addrB);
                await(a.send(again));
                assertThat(heardB.nextAccepted().encrypted()).isTrue();
                assertThat(heardB.nextDropped()).isEqualTo(SignalDrop.DUPLICATE);

                // A third party publishes straight to B's topic.
                MqttClient third = await(MqttClient.connect(brokers.get(0), conf()));
                try {
                    String topicB = KEY_B.nodeId().value();
                    PeerAddress addrC = Fixtures.address("0", "[0,0,192.0.2.9,10.0.0.9,40001,1,1,0]", "0", KEY_C);
                    SignalMessage claimA = SignalMessage.of(SignalType.CONNECT, now() + 30, "forged", addrA, addrB);
                    List<byte[]> attacks = new ArrayList<>();
                    // Forged: claims to be A, signed by C with C's key shown, then with A's key shown.
                    attacks.add(SignalCodec.wire(false,
                            SignalCodec.signedPlain(claimA.withSenderKey(KEY_C.publicKey()), KEY_C, false)));
                    attacks.add(SignalCodec.wire(false,
                            SignalCodec.signedPlain(claimA.withSenderKey(KEY_A.publicKey()), KEY_C, false)));
                    // Unsigned, as the original sends.
                    attacks.add(SignalCodec.wire(false, SignalCodec.plain(claimA.withSenderKey(KEY_A.publicKey()))));
                    // Expired: C's own, honestly signed, but its ttl passed a minute ago.
                    attacks.add(new SignalSealer(KEY_C).seal(
                            SignalMessage.of(SignalType.CONNECT, now() - 60, "old", addrC, addrB), KEY_B.publicKey()));
                    // Replayed: A's first message (plaintext, so C could read it on the way), re-wrapped by C:
                    // encrypted to B (A's signature covers the plaintext flag: a bad signature), and as it was.
                    byte[] captured =
                            SignalCodec.signedPlain(hello.withSenderKey(KEY_A.publicKey()), KEY_A, false);
                    attacks.add(SignalCodec.wire(true, KEY_B.publicKey().encrypt(captured)));
                    attacks.add(SignalCodec.wire(false, captured));
                    for (byte[] attack : attacks) {
                        await(third.publish(topicB, attack));
                    }
                    Map<SignalDrop, Integer> seen = new EnumMap<>(SignalDrop.class);
                    for (int i = 0; i < attacks.size(); i++) {
                        seen.merge(heardB.nextDropped(), 1, Integer::sum);
                    }
                    assertThat(seen).containsExactlyInAnyOrderEntriesOf(Map.of(SignalDrop.WRONG_SENDER_KEY, 1,
                            SignalDrop.BAD_SIGNATURE, 2, SignalDrop.UNSIGNED, 1, SignalDrop.STALE, 1,
                            SignalDrop.DUPLICATE, 1));
                    assertThat(heardB.accepted).isEmpty();
                } finally {
                    await(third.close());
                }

                SignallingStats statsB = b.stats();
                assertThat(statsB.inbox().accepted()).isEqualTo(2);
                assertThat(statsB.inbox().dropped(SignalDrop.DUPLICATE)).isEqualTo(3);
                assertThat(statsB.inbox().dropped(SignalDrop.WRONG_SENDER_KEY)).isEqualTo(1);
                assertThat(statsB.inbox().dropped(SignalDrop.BAD_SIGNATURE)).isEqualTo(2);
                assertThat(statsB.inbox().dropped(SignalDrop.UNSIGNED)).isEqualTo(1);
                assertThat(statsB.inbox().dropped(SignalDrop.STALE)).isEqualTo(1);
                assertThat(statsB.inbox().dropped(SignalDrop.REPLAYED)).isZero();
                assertThat(statsB.received()).isEqualTo(10);
                assertThat(a.stats().sent()).isEqualTo(2);
                assertThat(a.stats().published()).isEqualTo(4);

                // Broker 0 dies mid-session: messages still arrive, both ways, through broker 1.
                broker0.kill();
                SignalMessage after = SignalMessage.of(SignalType.CONNECT, now() + 30, "after-kill", addrA, addrB);
                a.send(after, KEY_B.publicKey());
                assertThat(heardB.nextAccepted().message().pipeId()).isEqualTo("after-kill");
                SignalMessage back = SignalMessage.of(SignalType.CONNECT, now() + 30, "back", addrB, addrA);
                b.send(back, KEY_A.publicKey());
                assertThat(heardA.nextAccepted().message().pipeId()).isEqualTo("back");

                // Broker 0 back on its port: A and B reconnect to it and B subscribes again. With broker 1 killed in
                // turn, a message can only arrive through broker 0; sends are retried (bounded) to cover the moment
                // between B's reconnect and its new subscription.
                CountDownLatch backA = onConnect(a, 0);
                CountDownLatch backB = onConnect(b, 0);
                broker0.restart();
                assertThat(backA.await(WAIT, TimeUnit.SECONDS)).isTrue();
                assertThat(backB.await(WAIT, TimeUnit.SECONDS)).isTrue();
                broker1.kill();
                SignalReceipt through0 = null;
                for (int i = 0; i < 20 && through0 == null; i++) {
                    a.send(SignalMessage.of(SignalType.CONNECT, now() + 30, "restarted" + i, addrA, addrB),
                            KEY_B.publicKey()).handle((v, e) -> v);
                    for (SignalReceipt r = heardB.accepted.poll(1, TimeUnit.SECONDS); r != null && through0 == null;
                            r = heardB.accepted.poll(0, TimeUnit.SECONDS)) {
                        if (r.message().pipeId().startsWith("restarted")) {
                            through0 = r;
                        }
                    }
                }
                assertThat(through0).as("a message through the restarted broker 0").isNotNull();
                assertThat(through0.encrypted()).isTrue();
            }
        }
    }
}
