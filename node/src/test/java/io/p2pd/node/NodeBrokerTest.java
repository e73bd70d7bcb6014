package io.p2pd.node;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.nic.Interface;
import io.p2pd.nic.Nics;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.mqtt.MqttClient;
import io.p2pd.node.mqtt.MqttClientConf;
import io.p2pd.node.signal.SignalDrop;
import io.p2pd.node.signal.SignalMessage;
import io.p2pd.node.signal.SignalReceipt;
import io.p2pd.node.signal.SignalSealer;
import io.p2pd.node.signal.SignalStats;
import io.p2pd.node.signal.SignalType;
import io.p2pd.node.testing.Mosquitto;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node and its brokers: Mosquitto (Debian's) as a separate process on 127.0.0.1 (io.p2pd.node.testing.Mosquitto). */
class NodeBrokerTest {
    static final MachineId MACHINE = MachineId.fromRawId("node-broker-test", MachineId.APP_ID);
    static final NodeKey PEER = NodeKey.fromHex("00".repeat(31) + "07");

    Mosquitto mosquitto;
    MqttBroker broker;

    @BeforeEach
    void startBroker(@TempDir Path dir) throws Exception {
        mosquitto = Mosquitto.start(dir);
        broker = MqttBroker.of(mosquitto.host(), mosquitto.port());
    }

    @AfterEach
    void stopBroker() throws Exception {
        mosquitto.close();
    }

    static Interface lo() {
        return Nics.byName("lo").orElseThrow();
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    /** A port nothing listens on: bound, then released (the kernel does not hand it out again at once). */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void theNodeSubscribesAtItsBrokersReceivesSignedMessagesAndClosesItsClients() throws Exception {
        // A first node and client open the shared event loops and load the classes, so the count below is the node's.
        await(await(Node.builder().interfaces(List.of(lo())).listenPort(0).machineId(MACHINE)
                .brokers(List.of(broker)).start()).close());
        Publisher.connect(broker).close();
        long before = io.p2pd.testing.Net.openSockets();
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        List<String> onLoop = Collections.synchronizedList(new ArrayList<>());
        LinkedBlockingQueue<SignalReceipt> received = new LinkedBlockingQueue<>();
        MqttBroker dead = MqttBroker.of("127.0.0.1", closedPort());
        Node node = await(Node.builder().interfaces(List.of(lo())).listenPort(0).machineId(MACHINE)
                .brokers(List.of(dead, broker)).signalListener(received::add)
                .progress(line -> {
                    progress.add(line);
                    if (LoopSafeFuture.onEventLoop()) {
                        onLoop.add(line);
                    }
                }).start());
        try {
            // The unreachable broker 0 is left out; the address lists broker 1 only.
            assertThat(node.brokerIndexes()).containsExactly(1);
            assertThat(node.address().signal()).containsExactly(1);
            assertThat(node.address().toString()).startsWith("1-");
            // Progress never runs on an event loop, broker lines included; a broker left out says why.
            assertThat(onLoop).isEmpty();
            assertThat(progress).anyMatch(l -> l.equals("broker 0 " + dead.hostPort() + ": not used (cannot connect "
                    + "to the MQTT broker " + dead.hostPort() + " (connection refused: nothing listens there))"))
                    .anyMatch(l -> l.equals("broker 1 " + broker.hostPort() + ": subscribed to "
                            + node.id().value()));

            PeerAddress peerAddress = PeerAddress.parse("0-[0,0,192.0.2.9,10.0.0.9,40001,1,1,0]-0-"
                    + PEER.nodeId().value() + "-" + MACHINE.value());
            SignalMessage hello = SignalMessage.of(SignalType.GET_ADDRESS, System.currentTimeMillis() / 1000 + 20,
                    "p1", peerAddress, node.address());
            byte[] sealed = new SignalSealer(PEER).seal(hello, node.publicKey());
            try (Publisher peer = Publisher.connect(broker)) {
                peer.send(node.id().value(), "not a signal".getBytes(UTF_8));
                peer.send(node.id().value(), sealed);
                SignalReceipt r = received.poll(30, TimeUnit.SECONDS);
                assertThat(r).isNotNull();
                assertThat(r.message().source().nodeId()).isEqualTo(PEER.nodeId());
                assertThat(r.message().pipeId()).isEqualTo("p1");
                assertThat(r.encrypted()).isTrue();
                assertThat(r.signed()).isTrue();
                peer.send(node.id().value(), sealed); // the same bytes again: dropped as a duplicate
                SignalMessage next = SignalMessage.of(SignalType.GET_ADDRESS, System.currentTimeMillis() / 1000 + 20,
                        "p2", peerAddress, node.address());
                peer.send(node.id().value(), new SignalSealer(PEER).seal(next, node.publicKey()));
                // One connection's messages arrive in order: the next one accepted is p2, not the copy of p1.
                SignalReceipt r2 = received.poll(30, TimeUnit.SECONDS);
                assertThat(r2).isNotNull();
                assertThat(r2.message().pipeId()).isEqualTo("p2");
            }
            assertThat(received).isEmpty();
            SignalStats stats = node.signalling().orElseThrow().stats().inbox();
            assertThat(stats.accepted()).isEqualTo(2);
            assertThat(stats.dropped(SignalDrop.MALFORMED)).isEqualTo(1);
            assertThat(stats.dropped(SignalDrop.DUPLICATE)).isEqualTo(1);
        } finally {
            await(node.close());
        }
        // The node's servers, broker connections and the peer's client are all closed again.
        assertThat(io.p2pd.testing.Net.openSocketsSettled(before, Duration.ofSeconds(10))).isLessThanOrEqualTo(before);
    }

    @Test
    void withNoUsableBrokerTheStartFailsNamingBrokersAndClosesItsServers() throws Exception {
        int port = closedPort();
        MqttBroker dead = MqttBroker.of("127.0.0.1", closedPort());
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Node> start = Node.builder().interfaces(List.of(lo())).listenPort(port).machineId(MACHINE)
                .brokers(List.of(dead)).progress(progress::add).start();
        // The error says why the broker failed, in our words, and so does its progress line.
        String why = "cannot connect to the MQTT broker " + dead.hostPort() + " (connection refused: nothing listens "
                + "there)";
        assertThatThrownBy(() -> await(start)).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOf(NodeStartException.class)
                .hasMessage("brokers: no broker could be used: broker 0 " + dead.hostPort() + ": " + why)
                .satisfies(e -> assertThat(((NodeStartException) e).option()).isEqualTo("brokers"));
        assertThat(progress).contains("broker 0 " + dead.hostPort() + ": not used (" + why + ")");
        // Its servers were closed: the port can be listened on again.
        try (ServerSocket again = new ServerSocket(port, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }

    /** A peer's MQTT client that publishes to the node's topic. */
    record Publisher(MqttClient client) implements AutoCloseable {
        static Publisher connect(MqttBroker broker) throws Exception {
            return new Publisher(await(MqttClient.connect(broker, MqttClientConf.builder().build())));
        }

        void send(String topic, byte[] payload) throws Exception {
            await(client.publish(topic, payload));
        }

        @Override
        public void close() {
            client.close().orTimeout(30, TimeUnit.SECONDS).join();
        }
    }

    @Test
    void twoNodesOnOneBrokerExchangeSignedEncryptedMessagesBothWays() throws Exception {
        LinkedBlockingQueue<SignalReceipt> atA = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<SignalReceipt> atB = new LinkedBlockingQueue<>();
        Node a = await(Node.builder().interfaces(List.of(lo())).listenPort(0).machineId(MACHINE)
                .brokers(List.of(broker)).signalListener(atA::add).start());
        try {
            Node b = await(Node.builder().interfaces(List.of(lo())).listenPort(0).machineId(MACHINE)
                    .brokers(List.of(broker)).signalListener(atB::add).start());
            try {
                long ttl = System.currentTimeMillis() / 1000 + 20;
                int via = await(a.signalling().orElseThrow().send(
                        SignalMessage.of(SignalType.GET_ADDRESS, ttl, "ab", a.address(), b.address()), b.publicKey()));
                assertThat(via).isZero();
                SignalReceipt r = atB.poll(30, TimeUnit.SECONDS);
                assertThat(r).isNotNull();
                assertThat(r.message().source()).isEqualTo(a.address());
                assertThat(r.encrypted()).isTrue();
                assertThat(r.signed()).isTrue();
                // B learned A's key from that signed message: its reply is encrypted without being told the key.
                await(b.signalling().orElseThrow().send(
                        SignalMessage.of(SignalType.RETURN_ADDRESS, ttl, "ab", b.address(), a.address())));
                SignalReceipt back = atA.poll(30, TimeUnit.SECONDS);
                assertThat(back).isNotNull();
                assertThat(back.message().source()).isEqualTo(b.address());
                assertThat(back.message().type()).isEqualTo(SignalType.RETURN_ADDRESS);
                assertThat(back.encrypted()).isTrue();
            } finally {
                await(b.close());
            }
        } finally {
            await(a.close());
        }
    }
}
