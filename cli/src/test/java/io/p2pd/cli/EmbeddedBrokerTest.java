package io.p2pd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.Version;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Moquette, embedded, on our Netty: two MQTT clients of other implementations exchange a message through it, it
 * reports the port it bound, refuses a port in use in our words, and frees its port on close.
 */
class EmbeddedBrokerTest {

    private static final byte[] PAYLOAD = {0, (byte) 0xff, 0x7f, (byte) 0x80, (byte) 0xc3, (byte) 0xa9, '\n', 'p'};

    @Test
    void carriesAGmqttExchangeOnOurNettyAndFreesItsPortOnClose() throws Exception {
        EmbeddedBroker broker = EmbeddedBroker.start(new InetSocketAddress("127.0.0.1", 0));
        int port = broker.address().getPort();
        try {
            assertThat(port).isPositive();
            assertThat(broker.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");

            MqttClients.Received got = MqttClients.gmqttExchange("127.0.0.1", port, "p2pd/test/a", PAYLOAD);

            assertThat(got.topic()).isEqualTo("p2pd/test/a");
            assertThat(got.payload()).isEqualTo(PAYLOAD);
            assertThat(got.qos()).isEqualTo(1);
            // In memory: Moquette's default store folder (data/, under the working directory) is not made.
            assertThat(Path.of("data")).doesNotExist();
        } finally {
            broker.close();
        }
        assertThat(broker.closeFuture()).isCompleted();
        broker.close();
        // Closed (twice: close is idempotent), the port is free again.
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void listensOnIpv6LoopbackAndCarriesMessagesAboveMoquettesDefaultLimit() throws Exception {
        // Moquette's own default refuses packets over 8092 bytes; a signalling message may come near that.
        byte[] large = new byte[20_000];
        new Random(14).nextBytes(large);
        try (EmbeddedBroker broker = EmbeddedBroker.start(new InetSocketAddress("::1", 0))) {
            MqttClients.Received got = MqttClients.gmqttExchange("::1", broker.address().getPort(), "v6", large);

            assertThat(got.payload()).isEqualTo(large);
        }
    }

    @Test
    void aPortInUseIsRefusedInOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            InetSocketAddress at = new InetSocketAddress("127.0.0.1", taken.getLocalPort());

            assertThatThrownBy(() -> EmbeddedBroker.start(at)).isInstanceOf(IOException.class)
                    .hasMessage("cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": address already in use");
        }
    }

    @Test
    void onlyNetty42IsLoadedAndShippedAndNothingMoquetteDoesNotNeed() {
        // Every Netty artifact this JVM sees, Moquette's included, is the project's 4.2.18.Final.
        assertThat(Version.identify()).isNotEmpty();
        Version.identify().forEach((artifact, version) ->
                assertThat(version.artifactVersion()).as(artifact).isEqualTo("4.2.18.Final"));
        // The jars the launcher puts on the module path (the build passes them): the same, and none of Moquette's
        // excluded dependencies.
        String runtime = System.getProperty("p2pd.modulePath");
        assertThat(runtime).as("p2pd.modulePath, set by the build").isNotNull();
        List<String> jars = Arrays.stream(runtime.split(File.pathSeparator)).map(p -> new File(p).getName()).toList();
        assertThat(jars).anyMatch(j -> j.startsWith("moquette-broker-0.17"));
        assertThat(jars).filteredOn(j -> j.startsWith("netty-")).isNotEmpty()
                .allMatch(j -> j.contains("-4.2.18.Final"));
        assertThat(jars).noneMatch(j -> j.matches("(h2|HikariCP|metrics|librato|bugsnag|commons-codec|"
                + "slf4j-reload4j|reload4j|log4j).*"));
    }
}
