package io.p2pd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.internal.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each command run as a real process, against real peers: socat, Python, and our own commands. */
class CommandsTest {

    @Test
    void usageErrorsExitTwoAndFailuresExitOneWithOneLine() throws Exception {
        assertThat(P2pd.run("", "no-such-command").exit()).isEqualTo(2);
        P2pd.Result badProto = P2pd.run("", "echo", "--proto", "sctp");
        assertThat(badProto.exit()).isEqualTo(2);
        // One line naming the problem and where to read more, not the whole usage block.
        assertThat(badProto.err()).isEqualTo("p2pd echo: --proto must be tcp or udp, got 'sctp' "
                + "(see 'p2pd echo --help')" + System.lineSeparator());
        P2pd.Result unknown = P2pd.run("", "stun", "127.0.0.1", "--bogus");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).isEqualTo("p2pd stun: Unknown option: '--bogus' (see 'p2pd stun --help')"
                + System.lineSeparator());
        P2pd.Result noIdle = P2pd.run("", "forward", "--proto", "udp", "--udp-idle", "0", "127.0.0.1:0",
                "127.0.0.1:9");
        assertThat(noIdle.exit()).isEqualTo(2);
        assertThat(noIdle.err()).isEqualTo("p2pd forward: --udp-idle must be more than 0 and at most a day "
                + "(see 'p2pd forward --help')" + System.lineSeparator());

        // One port check for every command: the same usage error, exit 2.
        for (List<String> args : List.of(List.of("echo", "--port", "99999"), List.of("stun-server", "--port", "99999"),
                List.of("connect", "127.0.0.1", "99999"), List.of("forward", "127.0.0.1:0", "127.0.0.1:99999"),
                List.of("broker", "--port", "99999"))) {
            P2pd.Result badPort = P2pd.run("", args.toArray(String[]::new));
            assertThat(badPort.exit()).as(args.toString()).isEqualTo(2);
            assertThat(badPort.err()).isEqualTo("p2pd " + args.get(0) + ": bad port '99999', give 0 to 65535 "
                    + "(see 'p2pd " + args.get(0) + " --help')" + System.lineSeparator());
        }

        int closed;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = probe.getLocalPort();
        }
        P2pd.Result refused = P2pd.run("", "connect", "127.0.0.1", Integer.toString(closed));
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err().strip()).isEqualTo("p2pd connect: Connection refused: 127.0.0.1:" + closed);
    }

    @Test
    void theVersionComesFromTheBuild() throws Exception {
        P2pd.Result r = P2pd.run("", "--version");

        assertThat(r.exit()).isZero();
        assertThat(r.out().strip()).matches("p2pd \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    }

    @Test
    void addressesPrintWithoutASlashAndIpv6InItsShortForm() throws Exception {
        try (P2pd v4 = P2pd.start("echo", "--bind", "127.0.0.1", "--port", "0");
             P2pd v6 = P2pd.start("echo", "--proto", "udp", "--bind", "0:0:0:0:0:0:0:1", "--port", "0")) {
            assertThat(v4.readLine()).matches("echo tcp listening on 127\\.0\\.0\\.1:\\d+");
            assertThat(v6.readLine()).matches("echo udp listening on \\[::1]:\\d+");
        }
    }

    @Test
    void natTakesHostNamesAndFailsWithAJsonErrorObject() throws Exception {
        try (P2pd server = P2pd.start("stun-server", "--bind", "127.0.0.1,127.0.0.2", "--port", "0,0")) {
            int port = P2pd.portOf(server.readLine(), " on ");

            P2pd.Result named = P2pd.run("", "nat", "--server", "localhost:" + port, "--json");

            // Whatever the verdict on a busy machine, the report names the server the name resolved to.
            assertThat(named.exit()).as(named.err()).isZero();
            assertThat(((Map<?, ?>) Json.parse(named.out().strip())).get("servers").toString())
                    .contains("127.0.0.1:" + port);
        }
        P2pd.Result unknown = P2pd.run("", "nat", "--server", "no-such-host.invalid", "--json");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(field(unknown.out(), "error")).contains("no-such-host.invalid");
        assertThat(((Map<?, ?>) Json.parse(unknown.out().strip())).get("code")).hasToString("1");

        // stun --json fails the same way.
        P2pd.Result stunUnknown = P2pd.run("", "stun", "no-such-host.invalid", "--json");
        assertThat(stunUnknown.exit()).isEqualTo(1);
        assertThat(field(stunUnknown.out(), "error")).contains("no-such-host.invalid");
        assertThat(((Map<?, ?>) Json.parse(stunUnknown.out().strip())).get("code")).hasToString("1");
    }

    @Test
    void changeIpAgainstAOneAddressServerSaysTheServerNeedsASecondAddress() throws Exception {
        try (P2pd server = P2pd.start("stun-server", "--bind", "127.0.0.1", "--port", "0")) {
            String at = "127.0.0.1:" + P2pd.portOf(server.readLine(), " on ");

            P2pd.Result r = P2pd.run("", "stun", at, "--change-ip");

            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err().strip()).isEqualTo("p2pd stun: " + at + " cannot answer --change-ip/--change-port: "
                    + "the server needs a second address (two IPs and two ports, RFC 5780)");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "interfaces", "stun", "stun-server", "nat", "echo", "connect", "forward", "broker",
        "address", "node", "turn"})
    void everyCommandHasHelp(String command) throws Exception {
        P2pd.Result r = P2pd.run("", command, "--help");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("Usage: p2pd " + command);
    }

    @Test
    void echoServerAnswersSocat() throws Exception {
        try (P2pd echo = P2pd.start("echo", "--proto", "tcp", "--bind", "127.0.0.1", "--port", "0")) {
            int port = P2pd.portOf(echo.readLine(), " on ");
            Process socat = new ProcessBuilder("socat", "-t", "2", "-", "TCP:127.0.0.1:" + port).start();
            try (OutputStream in = socat.getOutputStream()) {
                in.write("hello from socat\n".getBytes(StandardCharsets.UTF_8));
            }
            String got = new BufferedReader(new InputStreamReader(socat.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertThat(got).isEqualTo("hello from socat");
            assertThat(socat.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void connectTalksToSocat() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        // socat answers one line and closes, which ends `p2pd connect`.
        Process socat = new ProcessBuilder("socat", "TCP-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr",
                "SYSTEM:read line; echo socat got $line").start();
        try {
            P2pd.Result r = null;
            for (int attempt = 0; attempt < 50; attempt++) {
                r = P2pd.run("ping\n", "connect", "127.0.0.1", Integer.toString(port));
                if (r.exit() == 0) {
                    break;
                }
                // socat may not be listening yet: refused, try again (bounded).
                assertThat(r.err()).contains("refused");
                socat.waitFor(100, TimeUnit.MILLISECONDS);
            }
            assertThat(r.exit()).isZero();
            assertThat(r.out()).isEqualTo("socat got ping\n");
        } finally {
            socat.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void connectOverUdpTalksToPython() throws Exception {
        String server = """
                import socket
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(('127.0.0.1', 0))
                print(s.getsockname()[1], flush=True)
                data, addr = s.recvfrom(2048)
                s.sendto(b'python got ' + data, addr)
                """;
        Process python = new ProcessBuilder("python3", "-u", "-c", server).start();
        try {
            String port = new BufferedReader(new InputStreamReader(python.getInputStream())).readLine().trim();
            P2pd.Result r = P2pd.run("ping", "connect", "--proto", "udp", "--linger-ms", "3000", "127.0.0.1", port);

            assertThat(r.exit()).isZero();
            assertThat(r.out()).isEqualTo("python got ping");
        } finally {
            python.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "udp"})
    void forwardCarriesPythonTrafficToAPythonServer(String proto) throws Exception {
        String server = """
                import socket, sys
                tcp = sys.argv[1] == 'tcp'
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
                s.bind(('127.0.0.1', 0))
                if tcp:
                    s.listen(1)
                print(s.getsockname()[1], flush=True)
                for _ in range(2):
                    if tcp:
                        c, _ = s.accept()
                        c.sendall(b'server got ' + c.recv(1024))
                        c.close()
                    else:
                        data, addr = s.recvfrom(1024)
                        s.sendto(b'server got ' + data, addr)
                """;
        String client = """
                import socket, sys
                tcp = sys.argv[1] == 'tcp'
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
                s.settimeout(10)
                s.connect(('127.0.0.1', int(sys.argv[2])))
                s.send(b'hello via forward')
                print(s.recv(1024).decode())
                """;
        Process python = new ProcessBuilder("python3", "-u", "-c", server, proto).start();
        try (P2pd forward = P2pd.start("forward", "--proto", proto, "127.0.0.1:0", "127.0.0.1:"
                + new BufferedReader(new InputStreamReader(python.getInputStream())).readLine().trim())) {
            int port = P2pd.portOf(forward.readLine(), proto + " ");
            for (int i = 0; i < 2; i++) {
                Process c = new ProcessBuilder("python3", "-c", client, proto, Integer.toString(port)).start();
                String got = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                assertThat(c.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(got).isEqualTo("server got hello via forward");
            }
        } finally {
            python.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void stunAgainstOurStunServerProcess() throws Exception {
        try (P2pd server = P2pd.start("stun-server", "--bind", "127.0.0.1,127.0.0.2", "--port", "0,0")) {
            String line = server.readLine();
            int port = P2pd.portOf(line, " on ");
            int otherPort = P2pd.portOf(line, "other address ");

            P2pd.Result plain = P2pd.run("", "stun", "127.0.0.1:" + port, "--json");
            assertThat(plain.exit()).isZero();
            String local = field(plain.out(), "local");
            assertThat(field(plain.out(), "mapped")).isEqualTo("127.0.0.1" + local.substring(local.lastIndexOf(':')));
            assertThat(field(plain.out(), "otherAddress")).isEqualTo("127.0.0.2:" + otherPort);

            P2pd.Result changed = P2pd.run("", "stun", "127.0.0.1:" + port, "--change-ip", "--change-port", "--json");
            assertThat(changed.exit()).isZero();
            assertThat(field(changed.out(), "replyFrom")).isEqualTo("127.0.0.2:" + otherPort);

            P2pd.Result tcp = P2pd.run("", "stun", "127.0.0.1:" + port, "--tcp");
            assertThat(tcp.exit()).isZero();
            assertThat(tcp.out()).contains("mapped address  127.0.0.1:");
        }
    }

    @Test
    void stunWithCredentialsFromUserAndEnvironment() throws Exception {
        Map<String, String> secret = Map.of("P2PD_STUN_PASSWORD", "s3cret");
        try (P2pd server = P2pd.start(secret, "stun-server", "--bind", "127.0.0.1", "--port", "0", "--user", "alice")) {
            String at = "127.0.0.1:" + P2pd.portOf(server.readLine(), " on ");

            P2pd.Result signed = P2pd.run(secret, "", "stun", at, "--user", "alice", "--json");
            assertThat(signed.exit()).isZero();
            assertThat(field(signed.out(), "mapped")).startsWith("127.0.0.1:");

            P2pd.Result unsigned = P2pd.run("", "stun", at);
            assertThat(unsigned.exit()).isEqualTo(1);
            assertThat(unsigned.err()).contains("400");
            P2pd.Result wrong = P2pd.run(Map.of("P2PD_STUN_PASSWORD", "guess"), "", "stun", at, "--user", "alice");
            assertThat(wrong.exit()).isEqualTo(1);
            assertThat(wrong.err()).contains("401");
        }
    }

    @Test
    void interfacesExternalNamesTheServersThatAgreed() throws Exception {
        try (P2pd server = P2pd.start("stun-server", "--bind", "127.0.0.1,127.0.0.2", "--port", "0,0")) {
            String line = server.readLine();
            String one = "127.0.0.1:" + P2pd.portOf(line, " on ");
            String two = "127.0.0.2:" + P2pd.portOf(line, "other address ");

            P2pd.Result json = P2pd.run("", "interfaces", "--external", "--stun", one + "," + two, "--json");
            assertThat(json.exit()).isZero();
            assertThat(list(json.out(), "external")).anySatisfy(e -> {
                assertThat(e).containsEntry("interface", "lo").containsEntry("route", "127.0.0.1/32")
                        .containsEntry("ip", "127.0.0.1");
                assertThat(new ArrayList<Object>((List<?>) e.get("agreed"))).containsExactlyInAnyOrder(one, two);
            });

            P2pd.Result text = P2pd.run("", "interfaces", "--external", "--stun", one + "," + two);
            assertThat(text.out()).containsPattern("127\\.0\\.0\\.1/32 -> 127\\.0\\.0\\.1 "
                    + "\\(agreed: 127\\.0\\.0\\.[12]:\\d+, 127\\.0\\.0\\.[12]:\\d+\\)");
        }
    }

    @Test
    void natFindsNoNatOnLoopbackWithProgress() throws Exception {
        try (P2pd server = P2pd.start("stun-server", "--bind", "127.0.0.1,127.0.0.2", "--port", "0,0")) {
            int port = P2pd.portOf(server.readLine(), " on ");

            P2pd.Result json = P2pd.run("", "nat", "--server", "127.0.0.1:" + port, "--json");
            assertThat(json.exit()).isZero();
            assertThat(json.out()).startsWith("{\"natType\":1,\"natName\":\"open internet\"");
            assertThat(json.err()).contains("test I to 127.0.0.1:" + port);

            P2pd.Result text = P2pd.run("", "nat", "--server", "127.0.0.1:" + port);
            assertThat(text.out()).contains("NAT type        1 (open internet)");

            // Routes carry their NAT type: loopback's route reaches the server directly.
            P2pd.Result routes = P2pd.run("", "interfaces", "--nat", "--stun", "127.0.0.1:" + port, "--json");
            assertThat(routes.exit()).isZero();
            assertThat(list(routes.out(), "nat")).anySatisfy(e -> {
                assertThat(e).containsEntry("interface", "lo").containsEntry("route", "127.0.0.1/32");
                assertThat(((Map<?, ?>) e.get("report")).get("natType")).isEqualTo(BigDecimal.ONE);
            });
        }
    }

    @Test
    void interfacesListsLoopbackAsJson() throws Exception {
        P2pd.Result r = P2pd.run("", "interfaces", "--json");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("{\"default\":").contains("\"name\":\"lo\"").contains("127.0.0.1");
        // The text shows what the JSON shows: every address of every interface.
        P2pd.Result text = P2pd.run("", "interfaces");
        for (Map<String, Object> m : list(r.out(), "interfaces")) {
            assertThat(text.out()).contains(m.get("name") + " (index " + m.get("index") + ", mtu " + m.get("mtu"));
            for (Object address : (List<?>) m.get("addresses")) {
                assertThat(text.out()).contains((String) address);
            }
        }
        P2pd.Result needsServers = P2pd.run("", "interfaces", "--external");
        assertThat(needsServers.exit()).isEqualTo(2);
    }

    @Test
    void anInterruptedServerClosesAndFreesItsPort() throws Exception {
        int port;
        try (P2pd echo = P2pd.start("echo", "--proto", "udp", "--port", "0")) {
            port = P2pd.portOf(echo.readLine(), " on ");
            echo.process.destroy();
            assertThat(echo.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        try (DatagramSocket again = new DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }

    /** A string field of the one-line JSON object a command prints. */
    private static String field(String json, String name) {
        Object value = ((Map<?, ?>) Json.parse(json.strip())).get(name);
        assertThat(value).as("field %s in %s", name, json).isInstanceOf(String.class);
        return (String) value;
    }

    /** A list of objects in the one-line JSON object a command prints. */
    @SuppressWarnings("unchecked") // Json.parse makes objects as Map<String, Object>
    private static List<Map<String, Object>> list(String json, String name) {
        Object value = ((Map<?, ?>) Json.parse(json.strip())).get(name);
        assertThat(value).as("list %s in %s", name, json).isInstanceOf(List.class);
        return ((List<?>) value).stream().map(e -> (Map<String, Object>) e).toList();
    }
}
