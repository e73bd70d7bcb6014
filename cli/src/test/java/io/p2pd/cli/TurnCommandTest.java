package io.p2pd.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.pipe.Proto;
import io.p2pd.stun.StunClient;
import io.p2pd.stun.StunClientConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code p2pd turn} against coturn on loopback ({@code --allow-loopback-peers}) with a plain UDP peer. Tagged lab as
 * core's coturn tests are; skipped when coturn is not installed.
 */
@Tag("lab")
class TurnCommandTest {
    static final InetAddress LO = InetAddress.getLoopbackAddress();
    static final Map<String, String> SECRET = Map.of(TurnCommand.PASSWORD_VARIABLE, "s3cret pass");

    @TempDir
    static Path dir;
    static Process coturn;
    static String server;
    static String tlsServer;
    static Path certificate;

    @BeforeAll
    static void startCoturn() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/turnserver")), "coturn is not installed");
        int port = freeUdpAndTcpPort();
        int tlsPort = freeUdpAndTcpPort();
        // A self-signed certificate for 127.0.0.1, made now (no key is checked in); the command trusts it by --trust.
        certificate = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext",
                "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(), "-out", certificate.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.log").toFile()).start();
        assertThat(openssl.waitFor(60, TimeUnit.SECONDS) && openssl.exitValue() == 0).as("openssl req").isTrue();
        coturn = turnserver(port, "turnserver", "--tls-listening-port=" + tlsPort, "--cert=" + certificate,
                "--pkey=" + key);
        server = "127.0.0.1:" + port;
        tlsServer = "127.0.0.1:" + tlsPort;
    }

    /** A turnserver on 127.0.0.1:{@code port} with alice's credentials, once it answers; {@code name}: its files. */
    static Process turnserver(int port, String name, String... extra) throws Exception {
        int base = 20_000 + ThreadLocalRandom.current().nextInt(390) * 100;
        List<String> command = new java.util.ArrayList<>(List.of("turnserver", "-n", "--no-cli", "--no-dtls", "-L",
                "127.0.0.1", "--listening-port=" + port, "--min-port=" + base, "--max-port=" + (base + 99),
                "--log-file=stdout", "--simple-log", "--pidfile=" + dir.resolve(name + ".pid"), "--fingerprint",
                "--realm=p2pd.test", "--lt-cred-mech", "--user=alice:s3cret pass", "--allow-loopback-peers"));
        command.addAll(List.of(extra));
        Process turn = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile()).start();
        // Ready once it answers a STUN binding request: bounded probes instead of a sleep.
        StunClientConfig probe = StunClientConfig.builder().initialRto(Duration.ofMillis(100))
                .timeLimit(Duration.ofMillis(300)).build();
        for (int i = 0; i < 60; i++) {
            try {
                StunClient.binding(Proto.UDP, new InetSocketAddress(LO, 0), new InetSocketAddress(LO, port), probe)
                        .get(5, TimeUnit.SECONDS);
                return turn;
            } catch (Exception notYet) {
                assertThat(turn.isAlive()).as("turnserver running").isTrue();
            }
        }
        throw new AssertionError("turnserver did not answer: " + Files.readString(dir.resolve(name + ".log")));
    }

    @AfterAll
    static void stopCoturn() throws Exception {
        if (coturn != null) {
            coturn.destroy(); // the Process handle of the server this test started
            if (!coturn.waitFor(10, TimeUnit.SECONDS)) {
                coturn.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * coturn listens on both UDP and TCP at its ports and retries a taken TCP port instead of serving, so both must be
     * free; taken from 10000-19999, below the ephemeral range other tests' sockets get their ports from.
     */
    @SuppressWarnings("try") // the sockets only hold the port while we check it
    static int freeUdpAndTcpPort() throws Exception {
        for (int tries = 0; tries < 200; tries++) {
            int port = 10_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(10_000);
            try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(LO, port));
                    java.net.ServerSocket s = new java.net.ServerSocket(port, 1, LO)) {
                return port;
            } catch (java.io.IOException taken) {
                // another one
            }
        }
        throw new AssertionError("no port free for both UDP and TCP in 10000-19999");
    }

    /** What a TCP peer does with its connection. */
    interface PeerScript {
        String run(java.net.Socket peer) throws Exception;
    }

    /** The listener's first connection, given to {@code script} on a thread of its own: completes with its result. */
    static java.util.concurrent.CompletableFuture<String> onePeer(java.net.ServerSocket listener, PeerScript script) {
        java.util.concurrent.CompletableFuture<String> result = new java.util.concurrent.CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (java.net.Socket peer = listener.accept()) {
                peer.setSoTimeout(30_000);
                result.complete(script.run(peer));
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    static DatagramSocket peer() throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(LO, 0));
        s.setSoTimeout(30_000);
        return s;
    }

    static DatagramPacket receive(DatagramSocket s) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        s.receive(p);
        return p;
    }

    @Test
    void stdinGoesToThePeerThroughTheRelayAndThePeerToStdoutOverUdpTcpAndTls() throws Exception {
        for (String control : List.of("udp", "tcp", "tls")) {
            List<String> args = new java.util.ArrayList<>(List.of("turn", "--server",
                    control.equals("tls") ? tlsServer : server, "--user", "alice", "--transport", control));
            if (control.equals("tls")) {
                args.addAll(List.of("--trust", certificate.toString()));
            }
            try (DatagramSocket peer = peer();
                 P2pd turn = P2pd.start(SECRET, java.util.stream.Stream.concat(args.stream(), java.util.stream.Stream.of(
                         "127.0.0.1", Integer.toString(peer.getLocalPort()))).toArray(String[]::new))) {
                BufferedReader err = new BufferedReader(new InputStreamReader(turn.process.getErrorStream(), UTF_8));
                String line = err.readLine();
                assertThat(line).as("stderr with --transport " + control).startsWith("relayed address: 127.0.0.1:");
                int relayedPort = P2pd.portOf(line, "relayed address:");
                // The peer sends first: the command permitted it before reading stdin.
                byte[] first = ("first from the peer over " + control + "\n").getBytes(UTF_8);
                peer.send(new DatagramPacket(first, first.length, new InetSocketAddress(LO, relayedPort)));
                assertThat(turn.readLine()).isEqualTo("first from the peer over " + control);
                OutputStream stdin = turn.process.getOutputStream();
                stdin.write(("to the peer over " + control).getBytes(UTF_8));
                stdin.flush();
                DatagramPacket got = receive(peer);
                assertThat(new String(got.getData(), 0, got.getLength(), UTF_8))
                        .isEqualTo("to the peer over " + control);
                assertThat(got.getSocketAddress()).isEqualTo(new InetSocketAddress(LO, relayedPort));
                byte[] back = "back\n".getBytes(UTF_8);
                peer.send(new DatagramPacket(back, back.length, got.getSocketAddress()));
                assertThat(turn.readLine()).isEqualTo("back");
                // Stdin ends: the command ends once --linger (1 s) passed with nothing received.
                stdin.close();
                assertThat(turn.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(turn.process.exitValue()).isZero();
            }
        }
    }

    @Test
    void jsonPrintsTheAllocationFirstThenWhatThePeerSends() throws Exception {
        try (DatagramSocket peer = peer()) {
            // The peer answers the datagram it gets, from its thread, while the command lingers after stdin.
            Thread echo = Thread.ofPlatform().daemon().start(() -> {
                try {
                    DatagramPacket got = receive(peer);
                    byte[] reply = ("got " + new String(got.getData(), 0, got.getLength(), UTF_8)).getBytes(UTF_8);
                    peer.send(new DatagramPacket(reply, reply.length, got.getSocketAddress()));
                } catch (Exception e) {
                    // the assertions below fail
                }
            });
            P2pd.Result r = P2pd.run(SECRET, "ping", "turn", "--server", server, "--user", "alice",
                    "--control", "tcp", "--linger", "5", "--json", "127.0.0.1", Integer.toString(peer.getLocalPort()));
            echo.join(30_000);
            assertThat(r.exit()).as(r.err()).isZero();
            String[] lines = r.out().split("\n", 2);
            assertThat(lines[0]).matches("\\{\"relayed\":\"127\\.0\\.0\\.1:\\d+\",\"mapped\":\"127\\.0\\.0\\.1:\\d+\","
                    + "\"lifetime\":\\d+,\"serverSoftware\":\"Coturn[^\"]*\",\"server\":\"" + server.replace(".", "\\.")
                    + "\",\"control\":\"tcp\",\"peer\":\"127\\.0\\.0\\.1:" + peer.getLocalPort() + "\"}");
            assertThat(lines[1]).isEqualTo("got ping");
            String relayed = lines[0].split("\"")[3];
            assertThat(r.err()).contains("relayed address: " + relayed);
        }
    }

    @Test
    void aWrongPasswordFailsWithTheServersRefusal() throws Exception {
        P2pd.Result r = P2pd.run(Map.of(TurnCommand.PASSWORD_VARIABLE, "guess"), "", "turn", "--server", server,
                "--user", "alice", "--control", "tcp", "127.0.0.1", "9");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("p2pd turn: ").contains("401").doesNotContain("Exception")
                .doesNotContain("\n");
        // A TLS server whose certificate the command was not told to trust: refused, one line, exit 1.
        P2pd.Result untrusted = P2pd.run(SECRET, "", "turn", "--server", tlsServer, "--user", "alice", "--control",
                "tls", "127.0.0.1", "9");
        assertThat(untrusted.exit()).isEqualTo(1);
        assertThat(untrusted.err().strip()).startsWith("p2pd turn: ").doesNotContain("\n");
    }

    @Test
    void usageErrorsNameTheProblemInOneLine() throws Exception {
        P2pd.Result empty = P2pd.run(Map.of(TurnCommand.PASSWORD_VARIABLE, ""), "", "turn", "--server", server,
                "--user", "alice", "127.0.0.1", "9");
        // The test's own environment has no password: the command inherits none.
        P2pd.Result unset = P2pd.run(Map.of(), "", "turn", "--server", server, "--user", "alice", "127.0.0.1", "9");
        assertThat(unset.exit()).isEqualTo(2);
        assertThat(unset.err().strip()).contains(TurnCommand.PASSWORD_VARIABLE).doesNotContain("\n");
        assertThat(empty.exit()).isEqualTo(2);
        assertThat(empty.err().strip()).startsWith("p2pd turn: --user: ").containsIgnoringCase("password")
                .doesNotContain("\n");
        P2pd.Result control = P2pd.run(SECRET, "", "turn", "--server", server, "--user", "alice", "--control", "sctp",
                "127.0.0.1", "9");
        assertThat(control.exit()).isEqualTo(2);
        assertThat(control.err()).contains("bad --transport 'sctp', give udp, tcp or tls");
        P2pd.Result help = P2pd.run("", "turn", "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).startsWith("Usage: p2pd turn").contains(TurnCommand.PASSWORD_VARIABLE)
                .contains("--transport").contains("--control").contains("--tcp").contains("RFC 6062")
                .contains("--half-close").contains("TCP port with --tcp").doesNotContain("Allocate a UDP relay")
                .doesNotContain("UDP either way");
        // The synopsis names --transport, not its older name.
        String synopsis = help.out().substring(0, help.out().indexOf("Allocate a relay"));
        assertThat(synopsis).contains("--transport=udp|tcp|tls").doesNotContain("--control");
        P2pd.Result udpTcp = P2pd.run(SECRET, "", "turn", "--server", server, "--user", "alice", "--tcp",
                "--transport", "udp", "127.0.0.1", "9");
        assertThat(udpTcp.exit()).isEqualTo(2);
        assertThat(udpTcp.err()).contains("--tcp needs --transport tcp or tls");
        P2pd.Result halfCloseAlone = P2pd.run(SECRET, "", "turn", "--server", server, "--user", "alice",
                "--half-close", "127.0.0.1", "9");
        assertThat(halfCloseAlone.exit()).isEqualTo(2);
        assertThat(halfCloseAlone.err()).contains("--half-close needs --tcp");
    }

    /**
     * {@code --tcp}: a TCP relay (RFC 6062) to a plain TCP peer, over a TCP and a TLS control connection: stdin goes
     * to the peer, the peer's bytes to stdout, and the command ends when the peer closes.
     */
    @Test
    void withTcpStdinGoesToATcpPeerThroughTheRelayUntilThePeerCloses() throws Exception {
        for (String control : List.of("tcp", "tls")) {
            try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 1, LO)) {
                listener.setSoTimeout(30_000);
                List<String> args = new java.util.ArrayList<>(List.of("turn", "--server",
                        control.equals("tls") ? tlsServer : server, "--user", "alice", "--tcp"));
                if (control.equals("tls")) {
                    args.addAll(List.of("--control", "tls", "--trust", certificate.toString()));
                }
                args.addAll(List.of("127.0.0.1", Integer.toString(listener.getLocalPort())));
                try (P2pd turn = P2pd.start(SECRET, args.toArray(String[]::new))) {
                    BufferedReader err = new BufferedReader(new InputStreamReader(turn.process.getErrorStream(),
                            UTF_8));
                    String line = err.readLine();
                    assertThat(line).as("stderr over " + control).startsWith("relayed address: 127.0.0.1:");
                    int relayedPort = P2pd.portOf(line, "relayed address:");
                    try (java.net.Socket peer = listener.accept()) {
                        peer.setSoTimeout(30_000);
                        // The server dialled the peer from the relayed address.
                        assertThat(peer.getRemoteSocketAddress()).isEqualTo(new InetSocketAddress(LO, relayedPort));
                        peer.getOutputStream().write(("hello over " + control + "\n").getBytes(UTF_8));
                        assertThat(turn.readLine()).isEqualTo("hello over " + control);
                        OutputStream stdin = turn.process.getOutputStream();
                        stdin.write("to the peer\n".getBytes(UTF_8));
                        stdin.flush();
                        BufferedReader fromClient = new BufferedReader(new InputStreamReader(peer.getInputStream(),
                                UTF_8));
                        assertThat(fromClient.readLine()).isEqualTo("to the peer");
                        peer.shutdownOutput(); // the peer is done: the relay ends the connection, the command ends
                        assertThat(turn.process.waitFor(30, TimeUnit.SECONDS)).as("ended over " + control).isTrue();
                        assertThat(turn.process.exitValue()).isZero();
                    }
                }
            }
        }
    }

    @Test
    void withTcpAPeerThatRefusesIsTheServers447InOneLine() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, LO)) {
            closedPort = s.getLocalPort();
        }
        P2pd.Result r = P2pd.run(SECRET, "", "turn", "--server", server, "--user", "alice", "--tcp", "127.0.0.1",
                Integer.toString(closedPort));
        assertThat(r.exit()).isEqualTo(1);
        // The allocation was made (its address printed), then the Connect was refused: one line says so.
        String[] lines = r.err().strip().split("\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).startsWith("relayed address: 127.0.0.1:");
        assertThat(lines[1]).startsWith("p2pd turn: ").contains("Connect to 127.0.0.1:" + closedPort).contains("447")
                .doesNotContain("Exception");
    }

    /**
     * With {@code --tcp --half-close} the end of stdin half-closes: coturn ends the peer's connection, and the command
     * ends.
     */
    @Test
    void withTcpAndHalfCloseTheEndOfStdinHalfClosesAndTheCommandEnds() throws Exception {
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 1, LO)) {
            listener.setSoTimeout(30_000);
            java.util.concurrent.CompletableFuture<String> peerGot = onePeer(listener, peer -> {
                java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
                try {
                    peer.getInputStream().transferTo(got); // until the end of the stream (or coturn's reset)
                } catch (java.net.SocketException reset) {
                    // coturn resets the peer's side when the client half-closes
                }
                return got.toString(UTF_8);
            });
            P2pd.Result r = P2pd.run(SECRET, "request\n", "turn", "--server", server, "--user", "alice", "--tcp",
                    "--half-close", "--json", "127.0.0.1", Integer.toString(listener.getLocalPort()));
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(peerGot.get(30, TimeUnit.SECONDS)).isEqualTo("request\n");
            assertThat(r.out()).matches("\\{\"relayed\":\"127\\.0\\.0\\.1:\\d+\",\"mapped\":\"127\\.0\\.0\\.1:\\d+\","
                    + "\"lifetime\":\\d+,\"serverSoftware\":\"Coturn[^\"]*\",\"server\":\"" + server.replace(".", "\\.")
                    + "\",\"relay\":\"tcp\",\"peer\":\"127\\.0\\.0\\.1:" + listener.getLocalPort() + "\"}\n");
        }
    }

    /**
     * With {@code --tcp} the end of stdin does not half-close (coturn would reset the peer's connection): the peer
     * reads on after the request until its input ends or stays quiet for 2 s (a half-close would end it at once),
     * only then answers, the answer reaches stdout, and the command ends when the peer closes.
     */
    @Test
    void withTcpThePeersAnswerAfterStdinEndedReachesStdout() throws Exception {
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 1, LO)) {
            listener.setSoTimeout(30_000);
            java.util.concurrent.CompletableFuture<String> peerGot = onePeer(listener, peer -> {
                BufferedReader in = new BufferedReader(new InputStreamReader(peer.getInputStream(), UTF_8));
                String request = in.readLine();
                peer.setSoTimeout(2_000);
                try {
                    in.read(); // the end of the input (or coturn's reset after a half-close), or quiet
                } catch (java.net.SocketTimeoutException quiet) {
                    // no more input and no end: the request was all
                } catch (java.net.SocketException reset) {
                    // coturn ended the connection: the answer below is lost
                }
                peer.getOutputStream().write(("answer to " + request + "\n").getBytes(UTF_8));
                return request;
            });
            P2pd.Result r = P2pd.run(SECRET, "request\n", "turn", "--server", server, "--user", "alice", "--tcp",
                    "127.0.0.1", Integer.toString(listener.getLocalPort()));
            assertThat(peerGot.get(30, TimeUnit.SECONDS)).isEqualTo("request");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).isEqualTo("answer to request\n");
        }
    }

    /**
     * With {@code --tcp}, the server killed mid-stream ends the command with exit 1 and the lost allocation in one
     * line, whichever of its connections ends first.
     */
    @Test
    void withTcpTheServerDyingMidStreamIsAFailure() throws Exception {
        int port = freeUdpAndTcpPort();
        Process doomed = turnserver(port, "doomed");
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 1, LO);
             P2pd turn = P2pd.start(SECRET, "turn", "--server", "127.0.0.1:" + port, "--user", "alice", "--tcp",
                     "127.0.0.1", Integer.toString(listener.getLocalPort()))) {
            listener.setSoTimeout(30_000);
            BufferedReader err = new BufferedReader(new InputStreamReader(turn.process.getErrorStream(), UTF_8));
            assertThat(err.readLine()).startsWith("relayed address: 127.0.0.1:");
            try (java.net.Socket peer = listener.accept()) {
                peer.setSoTimeout(30_000);
                peer.getOutputStream().write("mid-stream\n".getBytes(UTF_8));
                assertThat(turn.readLine()).isEqualTo("mid-stream");
                doomed.destroyForcibly(); // SIGKILL: the kernel closes both of its connections to the command
                assertThat(doomed.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(turn.process.waitFor(30, TimeUnit.SECONDS)).as("the command ended").isTrue();
                assertThat(turn.process.exitValue()).isEqualTo(1);
                String rest = err.lines().collect(java.util.stream.Collectors.joining("\n"));
                assertThat(rest).startsWith("p2pd turn: ").containsIgnoringCase("control connection")
                        .doesNotContain("\n");
            }
        } finally {
            doomed.destroyForcibly();
        }
    }
}
