package io.p2pd.node.mqtt;

import static io.p2pd.node.mqtt.MqttClientTest.await;
import static io.p2pd.node.mqtt.MqttClientTest.conf;
import static io.p2pd.node.mqtt.MqttClientTest.failureOf;
import static io.p2pd.node.mqtt.MqttClientTest.next;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.node.testing.Mosquitto;
import io.p2pd.testing.Certificates;
import io.p2pd.testing.LeakCheck;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Each way a connect can fail gives its own exception; TLS works with the trust configured. */
@ExtendWith(LeakCheck.class)
class MqttConnectFailureTest {

    @TempDir
    Path dir;

    @Test
    void aPortWithNothingListeningIsUnreachable() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        Throwable e = failureOf(MqttClient.connect(MqttBroker.of("127.0.0.1", port), conf().build()));
        assertThat(e).isInstanceOf(MqttException.Unreachable.class).hasMessageContaining("127.0.0.1:" + port);
    }

    @Test
    void aPeerThatAnswersWithSomethingElseIsNotAnMqttBroker() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getByName("127.0.0.1"))) {
            Thread peer = serveEachConnection(server, 2, (in, out) -> {
                in.read(new byte[64]);
                out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(US_ASCII));
                out.flush();
                in.read(); // until the client closes
            });
            Throwable e = failureOf(MqttClient.connect(MqttBroker.of("127.0.0.1", server.getLocalPort()),
                    conf().build()));
            assertThat(e).isInstanceOf(MqttException.Protocol.class).hasMessageContaining("not an MQTT broker");
            peer.interrupt();
        }
    }

    @Test
    void aPeerThatNeverAnswersTimesOut() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getByName("127.0.0.1"))) {
            Thread peer = serveEachConnection(server, 1, (in, out) -> {
                while (in.read() >= 0) {
                    // reads the CONNECT and answers nothing
                }
            });
            Throwable e = failureOf(MqttClient.connect(MqttBroker.of("127.0.0.1", server.getLocalPort()),
                    conf().connectTimeout(Duration.ofMillis(500)).build()));
            assertThat(e).isInstanceOf(MqttException.TimedOut.class).hasMessageContaining("PT0.5S");
            peer.interrupt();
        }
    }

    @Test
    void tlsWithTheSelfSignedCertificateTrustedCarriesMessages() throws Exception {
        Certificates cert = Certificates.selfSigned(dir, "broker", "IP:127.0.0.1");
        try (Mosquitto broker = Mosquitto.builder(dir).tls(cert.certificate(), cert.key()).start()) {
            MqttBroker where = MqttBroker.of(broker.host(), broker.port()).withTls(cert.x509());
            MqttClient c = await(MqttClient.connect(where, conf().build()));
            try {
                BlockingQueue<MqttClientTest.Received> got = new LinkedBlockingQueue<>();
                await(c.subscribe("secure", MqttClientTest.into(got)));
                byte[] payload = MqttClientTest.randomPayload(2000, 3);
                await(c.publish("secure", payload));
                assertThat(next(got).payload()).isEqualTo(payload);
                assertThat(c.protocolVersion()).isEqualTo(MqttProtocol.V5);
            } finally {
                await(c.close());
            }
        }
    }

    @Test
    void tlsWithAnotherCertificateTrustedFailsWithTheTlsException() throws Exception {
        Certificates cert = Certificates.selfSigned(dir, "broker", "IP:127.0.0.1");
        Certificates other = Certificates.selfSigned(dir, "other", "IP:127.0.0.1");
        try (Mosquitto broker = Mosquitto.builder(dir).tls(cert.certificate(), cert.key()).start()) {
            Throwable wrongTrust = failureOf(MqttClient.connect(
                    MqttBroker.of(broker.host(), broker.port()).withTls(other.x509()), conf().build()));
            assertThat(wrongTrust).isInstanceOf(MqttException.Tls.class).hasMessageContaining("127.0.0.1:"
                    + broker.port()).hasMessageContaining("not one of the trusted certificates");
            Throwable systemTrust = failureOf(MqttClient.connect(
                    MqttBroker.of(broker.host(), broker.port()).withTls(), conf().build()));
            assertThat(systemTrust).isInstanceOf(MqttException.Tls.class)
                    .hasMessageContaining("not trusted by the system's trust store");
            // Plain MQTT to a TLS listener: the broker reads no CONNECT and hangs up.
            Throwable plain = failureOf(MqttClient.connect(MqttBroker.of(broker.host(), broker.port()),
                    conf().connectTimeout(Duration.ofSeconds(2)).build()));
            assertThat(plain).isInstanceOf(MqttException.class).isNotInstanceOf(MqttException.Tls.class);
        }
    }

    /** What a scripted peer does with one accepted connection. */
    interface Script {
        void run(InputStream in, OutputStream out) throws IOException;
    }

    /** Serves up to {@code connections} connections, one after another, on a daemon thread. */
    static Thread serveEachConnection(ServerSocket server, int connections, Script script) {
        Thread t = new Thread(() -> {
            for (int i = 0; i < connections; i++) {
                try (Socket s = server.accept()) {
                    script.run(s.getInputStream(), s.getOutputStream());
                } catch (IOException e) {
                    return; // the server socket closed at the end of the test, or the client hung up
                }
            }
        }, "scripted-peer");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
