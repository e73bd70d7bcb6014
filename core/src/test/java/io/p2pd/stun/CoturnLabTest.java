package io.p2pd.stun;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.pipe.Proto;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop with coturn on loopback: our client against {@code turnserver} (RFC 5780 on 127.0.0.1 and
 * 127.0.0.2), and coturn's {@code turnutils_stunclient} / {@code turnutils_natdiscovery} against our server.
 * Needs the Debian package coturn; skipped (not failed) when its programs are not installed.
 */
@Tag("lab")
class CoturnLabTest {
    static final InetAddress LO1 = StunServerClientTest.LO1;
    static final InetAddress LO2 = StunServerClientTest.LO2;
    static final StunClientConfig CFG = StunClientConfig.builder().initialRto(Duration.ofMillis(100))
            .timeLimit(Duration.ofSeconds(5)).build();
    static final Duration TOOL_LIMIT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static Process coturn;
    static int p1;
    static int p2;
    static StunServer ours;

    @BeforeAll
    static void startBoth() throws Exception {
        Assumptions.assumeTrue(onPath("turnserver") && onPath("turnutils_stunclient"),
                "coturn is not installed (apt-get install coturn)");
        p1 = freePort(-1);
        p2 = freePort(p1);
        coturn = new ProcessBuilder("turnserver", "-n", "--no-auth", "--stun-only", "--no-cli", "--no-tls", "--no-dtls",
                "-L", "127.0.0.1", "-L", "127.0.0.2", "--listening-port=" + p1, "--alt-listening-port=" + p2,
                "--pidfile=" + dir.resolve("turnserver.pid"), "--log-file=stdout", "--simple-log")
                .redirectErrorStream(true).redirectOutput(dir.resolve("turnserver.log").toFile()).start();
        awaitCoturn();
        ours = StunServer.start(StunServerConfig.builder(LO1).alternate(LO2, 0).software("p2pd lab").build()).join();
    }

    @AfterAll
    static void stopBoth() throws Exception {
        if (ours != null) {
            ours.closeAsync().get(10, TimeUnit.SECONDS);
        }
        if (coturn != null) {
            coturn.destroy(); // by its pid: the Process handle of the child we started
            if (!coturn.waitFor(10, TimeUnit.SECONDS)) {
                coturn.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    /** A port free for UDP and TCP on both loopback IPs (bound and released; a race remains, hence retries). */
    static int freePort(int not) throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port;
            try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(LO1, 0))) {
                port = d.getLocalPort();
            }
            if (port == not) {
                continue;
            }
            List<AutoCloseable> probes = new ArrayList<>();
            try {
                probes.add(new DatagramSocket(new InetSocketAddress(LO1, port)));
                probes.add(new DatagramSocket(new InetSocketAddress(LO2, port)));
                probes.add(new ServerSocket(port, 1, LO1));
                probes.add(new ServerSocket(port, 1, LO2));
                return port;
            } catch (IOException taken) {
                // try another
            } finally {
                for (AutoCloseable c : probes) {
                    try {
                        c.close();
                    } catch (Exception ignored) {
                        // released anyway
                    }
                }
            }
        }
        throw new IOException("no free port pair found on 127.0.0.1/127.0.0.2");
    }

    /** Ready when its last listener (other IP, other port) answers; probes, each bounded, instead of sleeping. */
    static void awaitCoturn() throws Exception {
        StunClientConfig probe = CFG.toBuilder().timeLimit(Duration.ofMillis(300)).build();
        for (int i = 0; i < 60; i++) {
            if (!coturn.isAlive()) {
                throw new AssertionError("turnserver exited: " + Files.readString(dir.resolve("turnserver.log")));
            }
            try {
                StunClient.binding(Proto.UDP, new InetSocketAddress(LO1, 0), new InetSocketAddress(LO2, p2), probe)
                        .get(5, TimeUnit.SECONDS);
                StunClient.binding(Proto.TCP, new InetSocketAddress(LO1, 0), new InetSocketAddress(LO2, p2), probe)
                        .get(5, TimeUnit.SECONDS);
                return;
            } catch (Exception notYet) {
                // next probe
            }
        }
        throw new AssertionError("turnserver did not answer on 127.0.0.2:" + p2);
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------ our client, coturn's server

    @Test
    void ourClientAgainstCoturnUdp() throws Exception {
        InetSocketAddress primary = new InetSocketAddress(LO1, p1);
        try (StunSession s = await(StunSession.open(new InetSocketAddress(LO1, 0), CFG))) {
            StunResult r = await(s.binding(primary));
            assertThat(r.mappedAddress()).isEqualTo(s.localAddress());
            assertThat(r.response().mappedAddress()).contains(s.localAddress()); // backward compatible reply
            assertThat(r.otherAddress()).contains(new InetSocketAddress(LO2, p2));
            assertThat(r.responseOrigin()).contains(primary);
            assertThat(r.replySource()).isEqualTo(primary);

            StunResult ip = await(s.binding(primary, true, false));
            StunResult port = await(s.binding(primary, false, true));
            StunResult both = await(s.binding(primary, true, true));
            assertThat(ip.replySource()).isEqualTo(new InetSocketAddress(LO2, p1));
            assertThat(port.replySource()).isEqualTo(new InetSocketAddress(LO1, p2));
            assertThat(both.replySource()).isEqualTo(new InetSocketAddress(LO2, p2));
            assertThat(List.of(ip, port, both)).extracting(StunResult::mappedAddress).containsOnly(s.localAddress());
            assertThat(both.responseOrigin()).contains(new InetSocketAddress(LO2, p2));
            assertThat(s.ignoredResponses()).isZero();
        }
    }

    @Test
    void ourClientAgainstCoturnTcp() throws Exception {
        StunResult r = await(StunClient.binding(Proto.TCP, new InetSocketAddress(LO1, 0),
                new InetSocketAddress(LO1, p1), CFG));
        assertThat(r.mappedAddress()).isEqualTo(r.localAddress());
        assertThat(r.mappedAddress().getAddress()).isEqualTo(LO1);
    }

    @Test
    void ourRfc3489ClientAgainstCoturn() throws Exception {
        try (StunSession s = await(StunSession.open(new InetSocketAddress(LO1, 0),
                CFG.toBuilder().rfc3489(true).build()))) {
            StunResult r = await(s.binding(new InetSocketAddress(LO1, p1)));
            assertThat(r.response().hasMagicCookie()).isFalse();
            assertThat(r.mappedAddress()).isEqualTo(s.localAddress());
            assertThat(r.alternateAddress()).contains(new InetSocketAddress(LO2, p2));
            StunResult both = await(s.binding(new InetSocketAddress(LO1, p1), true, true));
            assertThat(both.replySource()).isEqualTo(new InetSocketAddress(LO2, p2));
        }
    }

    @Test
    void quorumOverCoturnAndOurs() throws Exception {
        StunConsensus c = await(StunClient.bindingQuorum(Proto.UDP,
                List.of(new InetSocketAddress(LO1, p1), ours.primaryAddress()), CFG));
        assertThat(c.mappedIp()).isEqualTo(LO1);
        assertThat(c.servers()).containsExactlyInAnyOrder(new InetSocketAddress(LO1, p1), ours.primaryAddress());
        assertThat(c.agreeing().get(0).mappedAddress()).isEqualTo(c.agreeing().get(1).mappedAddress());
    }

    // ------------------------------------------------------------------ coturn's clients, our server

    record Tool(int exit, String output) {
    }

    static Tool run(String... command) throws Exception {
        Path out = Files.createTempFile(dir, "tool", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            if (!p.waitFor(TOOL_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError(String.join(" ", command) + " did not finish in " + TOOL_LIMIT);
            }
            return new Tool(p.exitValue(), Files.readString(out));
        } finally {
            p.destroyForcibly();
        }
    }

    static List<String> all(String regex, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** What turnutils_stunclient reports, with the server's ports replaced by P1/P2: comparable across servers. */
    static List<String> stunclientReport(int port, int primary, int alternate) throws Exception {
        Tool t = run("turnutils_stunclient", "-p", Integer.toString(port), "127.0.0.1");
        assertThat(t.exit()).as(t.output()).isZero();
        List<String> report = new ArrayList<>();
        for (String line : t.output().lines().toList()) {
            Matcher m = Pattern.compile("(Response origin|Other addr): : (\\S+):(\\d+)").matcher(line);
            if (m.find()) {
                int p = Integer.parseInt(m.group(3));
                report.add(m.group(1) + " " + m.group(2) + ":" + (p == primary ? "P1" : p == alternate ? "P2" : p));
            }
        }
        return report;
    }

    @Test
    void coturnStunclientAgainstOurServer() throws Exception {
        long before = ours.requestCount();
        int q1 = ours.primaryAddress().getPort();
        int q2 = ours.otherAddress().orElseThrow().getPort();
        Tool t = run("turnutils_stunclient", "-p", Integer.toString(q1), "127.0.0.1");
        assertThat(t.exit()).as(t.output()).isZero();
        List<String> reflexive = all("UDP reflexive addr: (\\S+)", t.output());
        assertThat(reflexive).as(t.output()).isNotEmpty().allSatisfy(a -> assertThat(a).startsWith("127.0.0.1:"));
        assertThat(all("Other addr: : (\\S+)", t.output())).as(t.output()).contains("127.0.0.2:" + q2);
        assertThat(all("Response origin: : (\\S+)", t.output())).as(t.output())
                .contains("127.0.0.1:" + q1, "127.0.0.2:" + q2); // the CHANGE-REQUEST ip+port reply
        assertThat(ours.requestCount()).isGreaterThan(before);
        assertThat(ours.malformedCount()).isZero();

        // the same tool against coturn reports the very same origins and other addresses (ports as P1/P2)
        List<String> ourReport = stunclientReport(q1, q1, q2);
        List<String> coturnReport = stunclientReport(p1, p1, p2);
        assertThat(ourReport).hasSize(7).isEqualTo(coturnReport);
    }

    @Test
    void coturnNatDiscoveryAgainstOurServer() throws Exception {
        Assumptions.assumeTrue(onPath("turnutils_natdiscovery"), "turnutils_natdiscovery missing");
        int q1 = ours.primaryAddress().getPort();
        Tool t = run("turnutils_natdiscovery", "-m", "-f", "-p", Integer.toString(q1), "127.0.0.1");
        assertThat(t.output()).as(t.output())
                .contains("NAT with Endpoint Independent Mapping!")
                .contains("NAT with Endpoint Independent Filtering!")
                .doesNotContain("STUN receive timeout");
        // and coturn's own server gives the same verdicts
        Tool reference = run("turnutils_natdiscovery", "-m", "-f", "-p", Integer.toString(p1), "127.0.0.1");
        assertThat(reference.output()).as(reference.output())
                .contains("NAT with Endpoint Independent Mapping!")
                .contains("NAT with Endpoint Independent Filtering!");
    }
}
