package io.p2pd.node.mqtt;

import static io.p2pd.node.mqtt.MqttClientTest.WAIT;
import static io.p2pd.node.mqtt.MqttClientTest.await;
import static io.p2pd.node.mqtt.MqttClientTest.conf;
import static io.p2pd.node.mqtt.MqttClientTest.failureOf;
import static io.p2pd.node.mqtt.MqttClientTest.into;
import static io.p2pd.node.mqtt.MqttClientTest.next;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.node.mqtt.MqttClientTest.Events;
import io.p2pd.node.mqtt.MqttClientTest.Received;
import io.p2pd.node.testing.Mosquitto;
import io.p2pd.testing.LeakCheck;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Protocol behaviour: the fallback from MQTT 5 to 3.1.1, inbound QoS 0, 1 and 2 with duplicate suppression, and
 * oversized inbound messages.
 */
@ExtendWith(LeakCheck.class)
class MqttProtocolTest {

    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dir;

    /**
     * A 3.1.1-only broker: Mosquitto behind a front that answers an MQTT 5 CONNECT as a 3.1.1 broker must (a
     * CONNACK with return code 1, unacceptable protocol version, then closing) or, in {@code hangUp} mode, by only
     * closing (what some brokers do). Any other connection is passed to Mosquitto byte for byte. It records the
     * protocol level of every CONNECT.
     */
    static final class V311OnlyFront implements AutoCloseable {
        final ServerSocket server;
        final List<Integer> levels = new CopyOnWriteArrayList<>();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        V311OnlyFront(int brokerPort, boolean hangUp) throws IOException {
            server = new ServerSocket(0, 8, InetAddress.getByName("127.0.0.1"));
            Thread accept = new Thread(() -> {
                for (int i = 0; i < 16; i++) {
                    try {
                        Socket client = server.accept();
                        sockets.add(client);
                        serve(client, brokerPort, hangUp);
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "v311-front");
            accept.setDaemon(true);
            accept.start();
        }

        private void serve(Socket client, int brokerPort, boolean hangUp) throws IOException {
            DataInputStream in = new DataInputStream(client.getInputStream());
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            // CONNECT: type byte, remaining length (1 to 4 bytes), protocol name (2-byte length, "MQTT"), level, ...
            // The whole packet is read, so that closing after the CONNACK does not reset the connection.
            int type = in.readUnsignedByte();
            head.write(type);
            int length = 0;
            int shift = 0;
            int b;
            do {
                b = in.readUnsignedByte();
                head.write(b);
                length |= (b & 0x7f) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            byte[] packet = new byte[length];
            in.readFully(packet);
            head.write(packet);
            int level = packet[2 + 4] & 0xff;
            levels.add(level);
            if (level == 5) {
                if (!hangUp) {
                    client.getOutputStream().write(new byte[] {0x20, 0x02, 0x00, 0x01});
                    client.getOutputStream().flush();
                }
                client.close();
                return;
            }
            Socket broker = new Socket(InetAddress.getByName("127.0.0.1"), brokerPort);
            sockets.add(broker);
            broker.getOutputStream().write(head.toByteArray());
            pump(in, broker.getOutputStream());
            pump(broker.getInputStream(), client.getOutputStream());
        }

        private static void pump(InputStream from, OutputStream to) {
            Thread t = new Thread(() -> {
                try {
                    from.transferTo(to);
                } catch (IOException e) {
                    // one side closed
                } finally {
                    try {
                        to.close();
                    } catch (IOException e) {
                        // already closed
                    }
                }
            }, "v311-front-pump");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void aBrokerThatRefusesMqtt5GetsMqtt311AndCarriesMessages() throws Exception {
        fallsBackTo311(false);
    }

    @Test
    void aBrokerThatHangsUpOnMqtt5GetsMqtt311() throws Exception {
        fallsBackTo311(true);
    }

    private void fallsBackTo311(boolean hangUp) throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir); V311OnlyFront front = new V311OnlyFront(broker.port(), hangUp)) {
            MqttClient c = await(MqttClient.connect(MqttBroker.of("127.0.0.1", front.port()), conf().build()));
            try {
                assertThat(c.protocolVersion()).isEqualTo(MqttProtocol.V3_1_1);
                assertThat(front.levels).containsExactly(5, 4);
                BlockingQueue<Received> got = new LinkedBlockingQueue<>();
                await(c.subscribe("node-311", into(got)));
                await(c.publish("node-311", new byte[] {3, 1, 1}));
                assertThat(next(got).payload()).containsExactly(3, 1, 1);
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void mqtt5ForcedAgainstA311BrokerIsRefusedWithItsReasonCode() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir); V311OnlyFront front = new V311OnlyFront(broker.port(), false)) {
            Throwable e = failureOf(MqttClient.connect(MqttBroker.of("127.0.0.1", front.port()),
                    conf().protocol(MqttProtocol.V5).build()));
            assertThat(e).isInstanceOf(MqttException.Refused.class);
            assertThat(((MqttException.Refused) e).reasonCode()).isEqualTo(1);
            assertThat(front.levels).containsExactly(5);
        }
    }

    /** Reads exactly {@code hex.length() / 2} bytes and checks they are {@code hex}. */
    private static void expect(InputStream in, String hex) throws IOException {
        byte[] got = new byte[hex.length() / 2];
        new DataInputStream(in).readFully(got);
        assertThat(HEX.formatHex(got)).isEqualTo(hex);
    }

    /** What a scripted broker does with its server socket; it completes {@code done} when its part is over. */
    interface BrokerScript {
        void run(CompletableFuture<Void> done) throws Exception;
    }

    /** Runs {@code script} on a daemon thread; the future fails with whatever the script threw. */
    private static CompletableFuture<Void> runScript(BrokerScript script) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread peer = new Thread(() -> {
            try {
                script.run(done);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "scripted-broker");
        peer.setDaemon(true);
        peer.start();
        return done;
    }

    /** A packet the client sent: its first byte and what follows the remaining length. */
    record Packet(int type, byte[] body) {
    }

    /** Reads one packet the client sent. */
    private static Packet readPacket(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int type = d.readUnsignedByte();
        int length = 0;
        int shift = 0;
        int b;
        do {
            b = d.readUnsignedByte();
            length |= (b & 0x7f) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        byte[] body = new byte[length];
        d.readFully(body);
        return new Packet(type, body);
    }

    /** Skips one packet the client sent; returns its first byte. */
    private static int skipPacket(InputStream in) throws IOException {
        return readPacket(in).type();
    }

    /** Answers the SUBSCRIBE {@code p} (3.1.1) with a SUBACK of one {@code code}. */
    private static void subAck(OutputStream out, Packet p, int code) throws IOException {
        assertThat(p.type()).isEqualTo(0x82);
        out.write(new byte[] {(byte) 0x90, 3, p.body()[0], p.body()[1], (byte) code});
        out.flush();
    }

    @Test
    void aSubscriptionRefusedAfterAReconnectIsToldToTheStateListener() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 2, InetAddress.getByName("127.0.0.1"))) {
            CompletableFuture<Void> script = runScript(done -> {
                for (int code : new int[] {0x01, 0x80}) { // granted on the first connection, refused on the second
                    try (Socket s = server.accept()) {
                        InputStream in = s.getInputStream();
                        assertThat(skipPacket(in)).isEqualTo(0x10);
                        s.getOutputStream().write(HEX.parseHex("20020000"));
                        subAck(s.getOutputStream(), readPacket(in), code);
                        if (code == 0x80) {
                            done.complete(null);
                            in.read(); // until the client closes
                        }
                    }
                }
            });
            MqttClient c = await(MqttClient.connect(MqttBroker.of("127.0.0.1", server.getLocalPort()),
                    conf().protocol(MqttProtocol.V3_1_1).build()));
            Events events = Events.of(c);
            try {
                await(c.subscribe("t", into(new LinkedBlockingQueue<>())));
                assertThat(events.next()).isInstanceOf(MqttException.Unreachable.class); // the script closed
                assertThat(events.next()).isEqualTo("reconnecting 1");
                assertThat(events.next()).isEqualTo("connected V3_1_1");
                assertThat(events.next()).isEqualTo("subscription lost t 0x80");
                await(script);
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void anMqtt5BrokersReceiveMaximumBoundsThePublishesInFlight() throws Exception {
        // Mosquitto 2.0.11 sends max_inflight_messages as Receive Maximum, but acknowledges a QoS 1 publish at once,
        // so it never sees more in flight: a script shows the bound. The client publishes 5 and then subscribes;
        // the SUBSCRIBE is not held back, so the publishes before it on the wire are those the window let out.
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            List<Integer> publishesBeforeSubscribe = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> script = runScript(done -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    assertThat(skipPacket(in)).isEqualTo(0x10);
                    out.write(HEX.parseHex("2006000003210002")); // CONNACK accepted, Receive Maximum 2
                    ArrayDeque<Packet> unacked = new ArrayDeque<>();
                    Packet p = readPacket(in);
                    for (int i = 0; i < 10 && p.type() != 0x82; i++, p = readPacket(in)) {
                        unacked.add(p);
                    }
                    publishesBeforeSubscribe.add(unacked.size());
                    // MQTT 5 SUBACK: packet id, no properties, QoS 1 granted.
                    out.write(new byte[] {(byte) 0x90, 4, p.body()[0], p.body()[1], 0, 1});
                    for (int acked = 0; acked < 5; acked++) {
                        Packet publish = unacked.isEmpty() ? readPacket(in) : unacked.poll();
                        assertThat(publish.type()).isEqualTo(0x32);
                        int at = 2 + ((publish.body()[0] & 0xff) << 8 | publish.body()[1] & 0xff); // after the topic
                        out.write(new byte[] {0x40, 2, publish.body()[at], publish.body()[at + 1]}); // PUBACK
                    }
                    done.complete(null);
                    in.read(); // until the client closes
                }
            });
            MqttClient c = await(MqttClient.connect(MqttBroker.of("127.0.0.1", server.getLocalPort()),
                    conf().protocol(MqttProtocol.V5).build()));
            try {
                List<CompletableFuture<Void>> sent = new java.util.ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    sent.add(c.publish("t", new byte[] {(byte) i}));
                }
                CompletableFuture<Void> subscribed = c.subscribe("u", into(new LinkedBlockingQueue<>()));
                await(subscribed);
                await(CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)));
                await(script);
                assertThat(publishesBeforeSubscribe).containsExactly(2);
                assertThat(c.stats().published()).isEqualTo(5);
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void inboundQos0And1And2AreAcknowledgedPerTheSpecAndAQos2RedeliveryIsDeliveredOnce() throws Exception {
        // A scripted broker, byte by byte as MQTT 3.1.1 (section 3) lays the packets out: Mosquitto downgrades
        // to the subscription's QoS 1, so only a script can send QoS 2.
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            CompletableFuture<Void> script = runScript(done -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    assertThat(skipPacket(in)).isEqualTo(0x10); // CONNECT
                    out.write(HEX.parseHex("20020000")); // CONNACK accepted
                    DataInputStream d = new DataInputStream(in);
                    assertThat(d.readUnsignedByte()).isEqualTo(0x82); // SUBSCRIBE
                    byte[] rest = new byte[d.readUnsignedByte()];
                    d.readFully(rest);
                    out.write(new byte[] {(byte) 0x90, 3, rest[0], rest[1], 1}); // SUBACK, QoS 1 granted
                    out.write(HEX.parseHex("34060001740007" + "78")); // PUBLISH QoS 2, id 7, topic t, "x"
                    expect(in, "50020007"); // PUBREC 7
                    out.write(HEX.parseHex("3c060001740007" + "78")); // the same again, DUP set
                    expect(in, "50020007"); // PUBREC 7 again, not delivered again
                    out.write(HEX.parseHex("62020007")); // PUBREL 7
                    expect(in, "70020007"); // PUBCOMP 7
                    out.write(HEX.parseHex("3004000174" + "79")); // PUBLISH QoS 0, "y": no answer
                    out.write(HEX.parseHex("32060001740008" + "7a")); // PUBLISH QoS 1, id 8, "z"
                    expect(in, "40020008"); // PUBACK 8
                    out.write(HEX.parseHex("34060001740007" + "77")); // id 7 again after PUBCOMP: a new message
                    expect(in, "50020007");
                    done.complete(null);
                    in.read(); // until the client closes
                }
            });
            MqttClient c = await(MqttClient.connect(MqttBroker.of("127.0.0.1", server.getLocalPort()),
                    conf().protocol(MqttProtocol.V3_1_1).build()));
            try {
                BlockingQueue<Received> got = new LinkedBlockingQueue<>();
                await(c.subscribe("t", into(got)));
                await(script);
                StringBuilder payloads = new StringBuilder();
                for (int i = 0; i < 4; i++) {
                    payloads.append((char) next(got).payload()[0]);
                }
                assertThat(payloads.toString()).isEqualTo("xyzw");
                assertThat(got.poll(100, TimeUnit.MILLISECONDS)).isNull();
                MqttStats s = c.stats();
                assertThat(s.received()).isEqualTo(5);
                assertThat(s.delivered()).isEqualTo(4);
                assertThat(s.dropped(MqttStats.Drop.DUPLICATE)).isEqualTo(1);
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void aSubscriptionTheBrokerRefusesFailsWithItsReturnCodeAndIsForgotten() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            CompletableFuture<Void> script = runScript(done -> {
                try (Socket s = server.accept()) {
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    OutputStream out = s.getOutputStream();
                    assertThat(skipPacket(in)).isEqualTo(0x10);
                    out.write(HEX.parseHex("20020000"));
                    for (int code : new int[] {0x01, 0x80}) { // SUBACK for u: QoS 1; for t: failure
                        assertThat(in.readUnsignedByte()).isEqualTo(0x82); // SUBSCRIBE
                        byte[] rest = new byte[in.readUnsignedByte()];
                        in.readFully(rest);
                        out.write(new byte[] {(byte) 0x90, 3, rest[0], rest[1], (byte) code});
                    }
                    out.write(HEX.parseHex("3004000174" + "79")); // PUBLISH QoS 0 to t: no subscription now
                    out.write(HEX.parseHex("3004000175" + "7a")); // PUBLISH QoS 0 to u, after it
                    out.flush();
                    done.complete(null);
                    in.read();
                }
            });
            MqttClient c = await(MqttClient.connect(MqttBroker.of("127.0.0.1", server.getLocalPort()),
                    conf().protocol(MqttProtocol.V3_1_1).build()));
            try {
                BlockingQueue<Received> got = new LinkedBlockingQueue<>();
                await(c.subscribe("u", into(got)));
                Throwable refused = failureOf(c.subscribe("t", into(got)));
                assertThat(refused).isInstanceOf(MqttException.Refused.class).hasMessageContaining("subscription");
                assertThat(((MqttException.Refused) refused).reasonCode()).isEqualTo(0x80);
                await(script);
                // The message to t, before the one to u, found no subscription: counted, not delivered.
                assertThat(next(got).topic()).isEqualTo("u");
                assertThat(c.stats().dropped(MqttStats.Drop.NO_HANDLER)).isEqualTo(1);
                assertThat(c.stats().received()).isEqualTo(2);
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void aPublishUnacknowledgedWhenTheConnectionIsLostIsSentAgainWithDup() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 2, InetAddress.getByName("127.0.0.1"))) {
            CompletableFuture<Void> script = runScript(done -> {
                byte[] firstId = new byte[2];
                try (Socket s = server.accept()) {
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    assertThat(skipPacket(in)).isEqualTo(0x10); // CONNECT
                    s.getOutputStream().write(HEX.parseHex("20020000"));
                    assertThat(in.readUnsignedByte()).isEqualTo(0x32); // PUBLISH QoS 1, no DUP
                    byte[] rest = new byte[in.readUnsignedByte()];
                    in.readFully(rest);
                    System.arraycopy(rest, 2 + 1, firstId, 0, 2); // after the topic "t"
                    // No PUBACK: the connection ends here.
                }
                try (Socket s = server.accept()) {
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    assertThat(skipPacket(in)).isEqualTo(0x10);
                    s.getOutputStream().write(HEX.parseHex("20020000"));
                    assertThat(in.readUnsignedByte()).isEqualTo(0x3a); // PUBLISH QoS 1 with DUP
                    byte[] rest = new byte[in.readUnsignedByte()];
                    in.readFully(rest);
                    assertThat(new byte[] {rest[3], rest[4]}).isEqualTo(firstId);
                    assertThat(rest[5]).isEqualTo((byte) 'p');
                    s.getOutputStream().write(new byte[] {0x40, 2, firstId[0], firstId[1]}); // PUBACK
                    done.complete(null);
                    s.getInputStream().read(); // until the client closes
                }
            });
            MqttClient c = await(MqttClient.connect(MqttBroker.of("127.0.0.1", server.getLocalPort()),
                    conf().protocol(MqttProtocol.V3_1_1).build()));
            try {
                await(c.publish("t", new byte[] {'p'}));
                await(script);
                assertThat(c.stats().published()).isEqualTo(1);
                assertThat(c.stats().reconnects()).isEqualTo(1);
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void anOversizedInboundMessageIsDroppedAndCountedAndOneTooLargeToSkipCostsOnlyTheConnection()
            throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir)) {
            MqttBroker where = MqttBroker.of(broker.host(), broker.port());
            MqttClient receiver = await(MqttClient.connect(where, conf().maxInboundPayload(1000).build()));
            Events events = Events.of(receiver);
            MqttClient sender = await(MqttClient.connect(where, conf().build()));
            try {
                BlockingQueue<Received> got = new LinkedBlockingQueue<>();
                await(receiver.subscribe("big", into(got)));
                await(sender.publish("big", new byte[1001]));
                await(sender.publish("big", new byte[] {1}));
                assertThat(next(got).payload()).containsExactly(1);
                assertThat(receiver.stats().dropped(MqttStats.Drop.OVERSIZED)).isEqualTo(1);
                assertThat(receiver.stats().delivered()).isEqualTo(1);

                // Past the limit and the header room: the packet cannot be read past, so the connection goes.
                await(sender.publish("big", new byte[1000 + MqttClient.HEADER_ROOM + 1]));
                assertThat(events.next()).isInstanceOf(MqttException.PayloadTooLarge.class);
                assertThat(events.next()).isEqualTo("reconnecting 1");
                assertThat(events.next()).isEqualTo("connected V5");
                // Resubscribed: the next message arrives (its SUBACK may follow the CONNACK by a moment, so publish
                // until one gets through, boundedly).
                Received after = null;
                for (int i = 0; i < 50 && after == null; i++) {
                    await(sender.publish("big", new byte[] {2}));
                    after = got.poll(200, TimeUnit.MILLISECONDS);
                }
                assertThat(after).isNotNull();
                assertThat(after.payload()).containsExactly(2);
                assertThat(receiver.stats().dropped(MqttStats.Drop.OVERSIZED)).isEqualTo(2);
                assertThat(receiver.stats().reconnects()).isEqualTo(1);
            } finally {
                await(receiver.close());
                await(sender.close());
            }
        }
    }

    @Test
    void reconnectDelaysGrowAndStayWithinTheBackoffBounds() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir)) {
            MqttClient c = await(MqttClient.connect(MqttBroker.of(broker.host(), broker.port()),
                    conf().reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(160)).build()));
            Events events = Events.of(c);
            try {
                broker.kill();
                long[] ceilings = {20, 40, 80, 160, 160, 160};
                for (long ceiling : ceilings) {
                    Duration d = events.delays.poll(WAIT, TimeUnit.SECONDS);
                    assertThat(d).isNotNull();
                    // Jitter: between half the ceiling and the ceiling.
                    assertThat(d.toNanos()).isBetween(Duration.ofMillis(ceiling).toNanos() / 2,
                            Duration.ofMillis(ceiling).toNanos());
                }
            } finally {
                await(c.close());
            }
        }
    }
}
