package io.p2pd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.internal.Json;
import io.p2pd.nat.NatType;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.mqtt.MqttClient;
import io.p2pd.node.mqtt.MqttClientConf;
import io.p2pd.node.signal.SignalMessage;
import io.p2pd.node.signal.SignalSealer;
import io.p2pd.node.signal.SignalType;
import io.p2pd.stun.StunServer;
import io.p2pd.stun.StunServerConfig;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class NodeCommandTest {
    static StunServer stun;
    static String stunAt;

    @BeforeAll
    static void start() throws Exception {
        stun = StunServer.start(StunServerConfig.rfc5780(InetAddress.getByName("127.0.0.1"), 0,
                InetAddress.getByName("127.0.0.2"), 0)).join();
        stunAt = Addresses.show(stun.primaryAddress());
    }

    @AfterAll
    static void stop() {
        stun.close();
    }

    @Test
    void nodePrintsAParseableAddressFirstAndWithUntilStdinEndsEndsWithItsInput() throws Exception {
        P2pd.Result r = P2pd.run("", "node", "--interface", "lo", "--stun", stunAt, "--port", "0",
                "--until-stdin-ends");
        assertThat(r.exit()).as(r.err()).isZero();
        PeerAddress address = PeerAddress.parse(r.out().lines().findFirst().orElseThrow());
        assertThat(address.v4()).singleElement().satisfies(v4 -> {
            assertThat(v4.externalIp()).isEqualTo(InetAddress.getByName("127.0.0.1"));
            assertThat(v4.nat()).isEqualTo(NatType.OPEN_INTERNET);
        });
        assertThat(address.signal()).isEmpty();
        assertThat(r.err()).contains("interface lo: NAT open internet").contains("standard input ended")
                .contains("node closed");
    }

    @Test
    void byDefaultInputAtItsEndDoesNotStopTheNodeOnlyASignalDoes() throws Exception {
        try (P2pd p = P2pd.start("node", "--interface", "lo", "--port", "0")) {
            p.process.getOutputStream().close(); // as with &, nohup, systemd or docker without -i
            PeerAddress.parse(p.readLine());
            java.io.BufferedReader err = errorLines(p);
            assertThat(lineContaining(err, "running until")).as("the node says how long it runs")
                    .isEqualTo("  .. running until interrupted (Ctrl-C, SIGTERM)");
            p.process.toHandle().destroy(); // SIGTERM
            assertThat(p.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            List<String> rest = err.lines().toList();
            assertThat(rest).contains("  .. node closed").noneMatch(l -> l.contains("standard input ended"));
        }
    }

    static java.io.BufferedReader errorLines(P2pd p) {
        return new java.io.BufferedReader(new java.io.InputStreamReader(p.process.getErrorStream(),
                StandardCharsets.UTF_8));
    }

    /** The first line holding {@code marker}, or null when the process ended first. */
    static String lineContaining(java.io.BufferedReader err, String marker) throws java.io.IOException {
        String seen;
        do {
            seen = err.readLine(); // bounded by the class's test timeout; null if the node exits
        } while (seen != null && !seen.contains(marker));
        return seen;
    }

    @Test
    void jsonIsOneObjectWithTheAddressAndInterfaces() throws Exception {
        P2pd.Result r = P2pd.run("", "node", "--interface", "lo", "--stun", stunAt, "--port", "0", "--json",
                "--quiet", "--until-stdin-ends");
        assertThat(r.exit()).as(r.err()).isZero();
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(r.out().lines().findFirst().orElseThrow());
        PeerAddress address = PeerAddress.parse((String) m.get("address"));
        assertThat(m.get("nodeId")).isEqualTo(address.nodeId().value());
        assertThat(m.get("machineId")).isEqualTo(address.machineId().value());
        assertThat(((Number) m.get("listenPort")).intValue()).isEqualTo(address.v4().get(0).port());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> ifs = (List<Map<String, Object>>) m.get("interfaces");
        assertThat(ifs).singleElement().satisfies(i -> {
            assertThat(i.get("name")).isEqualTo("lo");
            assertThat(((Number) i.get("natType")).intValue()).isEqualTo(1);
            assertThat(i.get("measured")).isEqualTo(true);
            assertThat(i.get("externals")).isEqualTo(List.of("127.0.0.1", "::1"));
        });
        assertThat(r.err()).isEmpty();
    }

    @Test
    void sigtermClosesTheNodeAndEndsTheProcess() throws Exception {
        try (P2pd p = P2pd.start("node", "--interface", "lo", "--port", "0")) {
            PeerAddress.parse(p.readLine());
            p.process.toHandle().destroy(); // SIGTERM, leaving the streams open (Process.destroy closes them)
            assertThat(p.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String err = new String(p.process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(err).contains("node closed");
        }
    }

    @Test
    void aTakenPortIsAnErrorNamingTheOption() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            P2pd.Result r = P2pd.run("", "node", "--interface", "lo", "--port", String.valueOf(taken.getLocalPort()),
                    "--json", "--quiet");
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.out()).startsWith("{\"error\":\"listenPort: port " + taken.getLocalPort() + " is taken");
        }
    }

    @Test
    void noUsableBrokerIsAnErrorNamingTheOption() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        P2pd.Result r = P2pd.run("", "node", "--interface", "lo", "--port", "0", "--broker", "127.0.0.1:" + port,
                "--json", "--quiet");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).startsWith("{\"error\":\"brokers: no broker could be used");
    }

    @Test
    void aMalformedBrokerIsAUsageError() throws Exception {
        P2pd.Result r = P2pd.run("", "node", "--interface", "lo", "--broker", "127.0.0.1:99999");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--broker: broker port");
    }

    @Test
    void nodeHasHelp() throws Exception {
        P2pd.Result r = P2pd.run("", "node", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("Usage: p2pd node").contains("--broker").contains("--stun")
                .contains("--until-stdin-ends");
    }

    @Test
    void withABrokerTheAddressListsItAndSignedSignalsAreLogged(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        int brokerPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            brokerPort = s.getLocalPort();
        }
        java.nio.file.Path conf = dir.resolve("mosquitto.conf");
        java.nio.file.Files.writeString(conf, "listener " + brokerPort + " 127.0.0.1\nallow_anonymous true\n");
        Process mosquitto = new ProcessBuilder("/usr/sbin/mosquitto", "-c", conf.toString(), "-v")
                .redirectErrorStream(true).start();
        try (java.io.BufferedReader log = new java.io.BufferedReader(
                new java.io.InputStreamReader(mosquitto.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            do {
                line = log.readLine(); // mosquitto logs each step; readLine ends when it exits
            } while (line != null && !line.contains("Opening ipv4 listen socket on port " + brokerPort));
            assertThat(line).as("mosquitto listening").isNotNull();
            MqttBroker broker = MqttBroker.of("127.0.0.1", brokerPort);
            NodeKey nodeKey = NodeKey.generate();
            java.nio.file.Path keyFile = dir.resolve("node.hex");
            nodeKey.save(keyFile, NodeKey.KeyFormat.HEX);
            try (P2pd p = P2pd.start("node", "--interface", "lo", "--port", "0", "--broker", broker.hostPort(),
                    "--key", keyFile.toString())) {
                PeerAddress address = PeerAddress.parse(p.readLine());
                assertThat(address.nodeId()).isEqualTo(nodeKey.nodeId());
                assertThat(address.signal()).containsExactly(0);
                NodeKey peer = NodeKey.generate();
                PeerAddress peerAddress = PeerAddress.parse("0-[0,0,192.0.2.9,10.0.0.9,40001,1,1,0]-0-"
                        + peer.nodeId().value() + "-" + address.machineId().value());
                byte[] sealed = new SignalSealer(peer).seal(SignalMessage.of(SignalType.GET_ADDRESS,
                        System.currentTimeMillis() / 1000 + 20, "cli1", peerAddress, address),
                        nodeKey.publicKey());
                MqttClient client = MqttClient.connect(broker, MqttClientConf.builder().build())
                        .get(30, TimeUnit.SECONDS);
                try {
                    client.publish(address.nodeId().value(), sealed).get(30, TimeUnit.SECONDS);
                } finally {
                    client.close().get(30, TimeUnit.SECONDS);
                }
                String seen = lineContaining(errorLines(p), "signal ");
                assertThat(seen).as("a signal logged on stderr").isNotNull()
                        .startsWith("  .. signal GET_ADDRESS from " + peer.nodeId().value() + " (id ")
                        .endsWith(", encrypted)");
            }
        } finally {
            mosquitto.destroy();
            mosquitto.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
