package io.p2pd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.mqtt.MqttClient;
import io.p2pd.node.mqtt.MqttClientConf;
import io.p2pd.node.mqtt.MqttProtocol;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * p2pd broker as a user runs it: mosquitto's, the original's and our own MQTT clients talk through it (ours falls back
 * from MQTT 5 to 3.1.1, against a real broker), nothing reaches stderr, then it is stopped.
 */
class BrokerCommandTest {

    private static final byte[] PAYLOAD = "signal \u00e9\u0000\u00ff end".getBytes(StandardCharsets.UTF_8);

    @Test
    void carriesMosquittoGmqttAndOurClientsExchangesQuietlyAndFreesItsPortOnSigterm() throws Exception {
        int port;
        try (P2pd broker = P2pd.start("broker", "--port", "0")) {
            String first = broker.readLine();
            assertThat(first).matches("broker listening on 127\\.0\\.0\\.1:\\d+");
            port = P2pd.portOf(first, " on ");

            MqttClients.Received mosquitto = MqttClients.mosquittoExchange("127.0.0.1", port, "p2pd/m", PAYLOAD);
            MqttClients.Received gmqtt = MqttClients.gmqttExchange("127.0.0.1", port, "p2pd/g", PAYLOAD);

            assertThat(mosquitto.topic()).isEqualTo("p2pd/m");
            assertThat(mosquitto.payload()).isEqualTo(PAYLOAD);
            assertThat(mosquitto.qos()).isEqualTo(1);
            assertThat(gmqtt.topic()).isEqualTo("p2pd/g");
            assertThat(gmqtt.payload()).isEqualTo(PAYLOAD);

            // Our own client tries MQTT 5 first, which Moquette refuses (and used to log a warning for), then 3.1.1.
            MqttClient ours = MqttClient.connect(MqttBroker.of("127.0.0.1", port), MqttClientConf.builder().build())
                    .get(60, TimeUnit.SECONDS);
            try {
                assertThat(ours.protocolVersion()).isEqualTo(MqttProtocol.V3_1_1);
                BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
                ours.subscribe("p2pd/j", (topic, payload) -> got.add(payload)).get(60, TimeUnit.SECONDS);
                ours.publish("p2pd/j", PAYLOAD).get(60, TimeUnit.SECONDS);
                assertThat(got.poll(60, TimeUnit.SECONDS)).isEqualTo(PAYLOAD);
            } finally {
                ours.close().get(60, TimeUnit.SECONDS);
            }

            // Quiet: Moquette's start and connection messages (INFO) and its warning about the MQTT 5 CONNECT are
            // not shown; all came before the answers.
            assertThat(new String(broker.process.getErrorStream().readNBytes(
                    broker.process.getErrorStream().available()), StandardCharsets.UTF_8)).isEmpty();

            broker.process.destroy(); // SIGTERM, as Ctrl-C
            assertThat(broker.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void badArgumentsAreUsageErrorsAndAPortInUseAFailureInOneLine() throws Exception {
        P2pd.Result name = P2pd.run("", "broker", "--bind", "localhost");
        assertThat(name.exit()).isEqualTo(2);
        assertThat(name.err()).isEqualTo("p2pd broker: not an IP address: 'localhost' (see 'p2pd broker --help')"
                + System.lineSeparator());

        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            P2pd.Result inUse = P2pd.run("", "broker", "--port", Integer.toString(taken.getLocalPort()));

            assertThat(inUse.exit()).isEqualTo(1);
            assertThat(inUse.out()).isEmpty();
            assertThat(inUse.err()).isEqualTo("p2pd broker: cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + ": address already in use" + System.lineSeparator());
        }
    }
}
