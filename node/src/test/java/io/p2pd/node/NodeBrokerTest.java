package io.p2pd.node;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import io.p2pd.node.signal.SignalType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node and its brokers: Mosquitto (Debian's) as a separate process on 127.0.0.1. */
class NodeBrokerTest {
    static final MachineId MACHINE = MachineId.fromRawId("node-broker-test", MachineId.APP_ID);
    static final NodeKey PEER = NodeKey.fromHex("00".repeat(31) + "07");

    Broker mosquitto;

    @BeforeEach
    void startBroker(@TempDir Path dir) throws Exception {
        mosquitto = Broker.start(dir);
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
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        LinkedBlockingQueue<SignalReceipt> received = new LinkedBlockingQueue<>();
        MqttBroker dead = MqttBroker.of("127.0.0.1", closedPort());
        Node node = await(Node.builder().interfaces(List.of(lo())).listenPort(0).machineId(MACHINE)
                .brokers(List.of(dead, mosquitto.address())).signalListener(received::add)
                .progress(progress::add).start());
        try {
            // The unreachable broker 0 is left out; the address lists broker 1 only.
            assertThat(node.brokerIndexes()).containsExactly(1);
            assertThat(node.address().signal()).containsExactly(1);
            assertThat(node.address().toString()).startsWith("1-");
            assertThat(progress).anyMatch(l -> l.startsWith("broker 0 127.0.0.1:") && l.contains("not used"))
                    .anyMatch(l -> l.equals("broker 1 " + mosquitto.address().hostPort() + ": subscribed to "
                            + node.id().value()));
            mosquitto.awaitLog(l -> l.contains("SUBSCRIBE") || l.contains(node.id().value()));

            PeerAddress peerAddress = PeerAddress.parse("0-[0,0,192.0.2.9,10.0.0.9,40001,1,1,0]-0-"
                    + PEER.nodeId().value() + "-" + MACHINE.value());
            SignalMessage hello = SignalMessage.of(SignalType.GET_ADDRESS, System.currentTimeMillis() / 1000 + 20,
                    "p1", peerAddress, node.address());
            byte[] sealed = new SignalSealer(PEER).seal(hello, node.publicKey());
            try (Publisher peer = Publisher.connect(mosquitto.address())) {
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
            assertThat(node.signalStats().accepted()).isEqualTo(2);
            assertThat(node.signalStats().dropped(SignalDrop.MALFORMED)).isEqualTo(1);
            assertThat(node.signalStats().dropped(SignalDrop.DUPLICATE)).isEqualTo(1);
        } finally {
            await(node.close());
        }
        // The broker sees the node's client leave.
        mosquitto.awaitLog(l -> l.contains("disconnected") || l.contains("closed its connection"));
    }

    @Test
    void withNoUsableBrokerTheStartFailsNamingBrokersAndClosesItsServers() throws Exception {
        int port = closedPort();
        CompletableFuture<Node> start = Node.builder().interfaces(List.of(lo())).listenPort(port).machineId(MACHINE)
                .brokers(List.of(MqttBroker.of("127.0.0.1", closedPort()))).start();
        assertThatThrownBy(() -> await(start)).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOf(NodeStartException.class).hasMessageStartingWith("brokers: no broker could be used")
                .satisfies(e -> assertThat(((NodeStartException) e).option()).isEqualTo("brokers"));
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

    /**
     * Mosquitto on 127.0.0.1 and a port found free, verbose, its log lines collected. (Until the shared
     * io.p2pd.node.testing.Mosquitto lands.)
     */
    static final class Broker implements AutoCloseable {
        final Process process;
        final MqttBroker address;
        final List<String> log = new ArrayList<>(); // guarded by itself; notified on each line and at the end

        private Broker(Process process, MqttBroker address) {
            this.process = process;
            this.address = address;
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (log) {
                            log.add(line);
                            log.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                }
                synchronized (log) {
                    log.notifyAll();
                }
            });
        }

        static Broker start(Path dir) throws Exception {
            int port = closedPort();
            Path conf = dir.resolve("mosquitto.conf");
            Files.writeString(conf, "listener " + port + " 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    + "log_dest stderr\nlog_type all\n");
            Process p = new ProcessBuilder("/usr/sbin/mosquitto", "-c", conf.toString(), "-v")
                    .redirectErrorStream(true).start();
            Broker b = new Broker(p, MqttBroker.of("127.0.0.1", port));
            b.awaitLog(l -> l.contains("Opening ipv4 listen socket on port " + port));
            return b;
        }

        MqttBroker address() {
            return address;
        }

        /** Waits (bounded) for a log line that matches. */
        void awaitLog(Predicate<String> match) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            synchronized (log) {
                while (log.stream().noneMatch(match)) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        throw new AssertionError("mosquitto never logged the line awaited; its log: " + log);
                    }
                    log.wait(left);
                }
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
