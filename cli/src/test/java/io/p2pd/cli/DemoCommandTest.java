package io.p2pd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.signal.SignalDrop;
import io.p2pd.node.signal.SignalStats;
import io.p2pd.node.signal.SignallingStats;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code p2pd demo} as a user runs it, and its node step (NodeDemo) in this process, working and failing. */
class DemoCommandTest {

    private static final Duration BOUND = Duration.ofSeconds(30);

    @Test
    void demoRunsTheSeedExamplesAndTwoNodesSignalBothWaysThroughTheEmbeddedBroker() throws Exception {
        P2pd.Result r = P2pd.run("", "demo");

        assertThat(r.exit()).isZero();
        // Nothing on stderr: not even the broker's warning of each node's MQTT 5 offer it refuses.
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("got back \"test msg.\"").contains("the server sees this pipe as 127.0.0.1:")
                .contains("\nTwo nodes signalling through the embedded MQTT broker, on loopback\n")
                .contains("  broker listening on 127.0.0.1:")
                .endsWith("  nodes and broker closed\nAll examples worked.\n");
        String a = nodeId(r.out(), "A");
        String b = nodeId(r.out(), "B");
        assertThat(a).isNotEqualTo(b);
        // Each address names its own node, lists broker 0 (the embedded one) and parses as the original's text.
        assertThat(PeerAddress.parse(address(r.out(), "A")).nodeId().value()).isEqualTo(a);
        assertThat(PeerAddress.parse(address(r.out(), "B")).nodeId().value()).isEqualTo(b);
        assertThat(PeerAddress.parse(address(r.out(), "A")).signal()).containsExactly(0);
        assertThat(r.out()).contains("  B got   GET_ADDRESS from " + a + ": signed by its sender's key, plaintext\n")
                .contains("  A got   RETURN_ADDRESS from " + b + ": signed by its sender's key, encrypted\n")
                .contains("  node A signals: sent 1, received 1, accepted 1, dropped 0\n")
                .contains("  node B signals: sent 1, received 1, accepted 1, dropped 0\n")
                .containsPattern("  A connected to B: (direct|reverse) won in \\d+ ms")
                .containsPattern("  B accepted it as (direct|reverse) from node " + a + " and read A's line\n");
    }

    @Test
    void theStepCountsOneMessageAcceptedEachWayAndNoDrop() {
        StringWriter text = new StringWriter();

        NodeDemo.Outcome o = NodeDemo.run(new PrintWriter(text), BOUND);

        assertThat(o.a()).isNotEqualTo(o.b());
        assertThat(PeerAddress.parse(o.addressOfA()).nodeId()).isEqualTo(o.a());
        assertThat(PeerAddress.parse(o.addressOfB()).nodeId()).isEqualTo(o.b());
        for (SignallingStats s : new SignallingStats[] {o.statsOfA(), o.statsOfB()}) {
            assertThat(s.sent()).isEqualTo(1);
            assertThat(s.received()).isEqualTo(1);
            assertThat(s.published()).isEqualTo(1);
            assertThat(s.inbox().accepted()).isEqualTo(1);
            assertThat(s.inbox().droppedTotal()).isZero();
            assertThat(s.overloaded()).isZero();
        }
        assertThat(text.toString()).contains("  node A " + o.a().value() + ", TCP on 127.0.0.1:")
                .contains("    address " + o.addressOfB() + "\n");
    }

    @Test
    void aBrokerThatRefusesFailsTheStepInOneLineNamingTheNode() throws Exception {
        MqttBroker refusing = MqttBroker.of("127.0.0.1", closedPort());

        assertThatThrownBy(() -> NodeDemo.exchange(new PrintWriter(new StringWriter()), refusing, refusing, BOUND))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("node A did not start: brokers: no broker could be used")
                .message().doesNotContain("\n");
    }

    @Test
    void aHelloThatDoesNotArriveFailsTheStepAfterTheBound() throws Exception {
        // Two brokers that do not know each other: A publishes to B's topic at one, B listens at the other.
        try (EmbeddedBroker one = EmbeddedBroker.start(new InetSocketAddress("127.0.0.1", 0));
             EmbeddedBroker other = EmbeddedBroker.start(new InetSocketAddress("127.0.0.1", 0))) {
            StringWriter text = new StringWriter();

            assertThatThrownBy(() -> NodeDemo.exchange(new PrintWriter(text), mqtt(one), mqtt(other),
                    Duration.ofSeconds(2)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("node B did not receive A's hello within 2 s");
            // The hello left A (the broker took it); it is the arrival that failed.
            assertThat(text.toString()).contains("  A -> B  GET_ADDRESS").doesNotContain("B got");
        }
    }

    @Test
    void statsShowEachDropReasonThatOccurred() {
        SignallingStats s = new SignallingStats(new SignalStats(3,
                Map.of(SignalDrop.DUPLICATE, 2L, SignalDrop.REPLAY_WINDOW_FULL, 1L)), 7, 1, 2, 2, 0);

        assertThat(NodeDemo.show(s))
                .isEqualTo("sent 2, received 7, accepted 3, dropped 4 (duplicate 2, replay window full 1, overloaded 1)");
    }

    private static MqttBroker mqtt(EmbeddedBroker broker) {
        return MqttBroker.of("127.0.0.1", broker.address().getPort());
    }

    private static String nodeId(String out, String node) {
        Matcher m = Pattern.compile("\n  node " + node + " ([0-9a-f]{25}), TCP on 127\\.0\\.0\\.1:\\d+, \\[::1]:\\d+\n")
                .matcher(out);
        assertThat(m.find()).as("node " + node + "'s line in:%n%s", out).isTrue();
        return m.group(1);
    }

    private static String address(String out, String node) {
        Matcher m = Pattern.compile("\n  node " + node + " [^\n]*\n    address (\\S+)\n").matcher(out);
        assertThat(m.find()).as("node " + node + "'s address in:%n%s", out).isTrue();
        return m.group(1);
    }

    /** A port nothing listens on: bound, then released. */
    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
