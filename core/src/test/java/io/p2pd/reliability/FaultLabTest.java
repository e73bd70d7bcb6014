package io.p2pd.reliability;

import io.p2pd.testing.Labs;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.pipe.ConnectTimeoutException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Network faults in two namespaces joined by a veth pair (scripts/fault-lab.sh, needs root): the link taken down
 * and up during a UDP exchange, and a TCP connect to an address that drops every SYN. Pipes run in child JVMs
 * ({@link FaultLabMain}) inside the namespaces; this test drives them by their output and asserts on it.
 */
@Tag("lab")
class FaultLabTest {

    private static final Path SCRIPT = Labs.script("fault-lab.sh");
    private static final String RUN = Long.toHexString(ProcessHandle.current().pid())
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
    private static final String A = "p2ft-a-" + RUN;
    private static final String B = "p2ft-b-" + RUN;

    @BeforeAll
    static void setUp() throws Exception {
        script("up", A, B);
    }

    @AfterAll
    static void tearDown() throws Exception {
        script("down", A, B);
    }

    /** A child JVM running {@link FaultLabMain} in namespace {@code ns}. */
    private record Child(Process process, BufferedReader out, Writer in) implements AutoCloseable {
        static Child start(String ns, String... args) throws IOException {
            String java = ProcessHandle.current().info().command().orElseThrow();
            List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns, java,
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-cp", System.getProperty("java.class.path"), FaultLabMain.class.getName()));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            return new Child(p, new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)),
                    new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8));
        }

        String line() throws IOException {
            String line = out.readLine();
            assertThat(line).as("child output").isNotNull();
            return line;
        }

        /** Reads lines until {@code stop} holds for {@code times} of them (at most {@code max} lines). */
        List<String> until(Predicate<String> stop, int times, int max) throws IOException {
            List<String> seen = new ArrayList<>();
            int hits = 0;
            while (hits < times) {
                assertThat(seen.size()).as("lines before the expected event").isLessThan(max);
                String line = line();
                seen.add(line);
                if (stop.test(line)) {
                    hits++;
                }
            }
            return seen;
        }

        int exit() throws InterruptedException {
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("child ends").isTrue();
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    @Test
    void aUdpExchangeRecoversAfterTheLinkGoesDownAndUpAndCountsWhatWasLost() throws Exception {
        try (Child echo = Child.start(B, "udp-echo", "192.0.2.2")) {
            String ready = echo.line();
            assertThat(ready).startsWith("ready ");
            String port = ready.substring(6);
            try (Child client = Child.start(A, "udp-client", "192.0.2.2", port)) {
                client.until(l -> l.startsWith("ok "), 20, 20_000);

                script("link", A, "down");
                List<String> outage;
                try {
                    // Sends fail (no route) or go unanswered: both are counted, nothing crashes.
                    outage = client.until(l -> l.startsWith("lost ") || l.startsWith("send-error "), 5, 20_000);
                } finally {
                    script("link", A, "up");
                }
                List<String> after = client.until(l -> l.startsWith("ok "), 20, 20_000);

                client.in().write("stop\n");
                client.in().flush();
                String stats = client.until(l -> l.startsWith("stats "), 1, 20_000).getLast();
                assertThat(client.exit()).isZero();
                echo.in().close();
                String echoStats = echo.until(l -> l.startsWith("stats "), 1, 10).getLast();
                assertThat(echo.exit()).isZero();
                System.out.println("LINK FLAP: outage " + outage.subList(Math.max(0, outage.size() - 5),
                        outage.size()) + "; client " + stats + "; echo " + echoStats);

                assertThat(outage).anyMatch(l -> l.startsWith("lost ") || l.startsWith("send-error "));
                assertThat(outage).filteredOn(l -> l.startsWith("send-error "))
                        .allSatisfy(l -> assertThat(l).contains(" java.net."));
                assertThat(after).anyMatch(l -> l.startsWith("ok "));
                assertThat(stats).contains("open=true");
                int lost = count(stats, "lost=") + count(stats, "sendErrors=");
                assertThat(lost).as("losses counted").isGreaterThanOrEqualTo(5);
                assertThat(count(stats, "ok=")).isGreaterThanOrEqualTo(40);
            }
        }
    }

    @Test
    void aConnectToABlackHoledAddressFailsWithConnectTimeoutException() throws Exception {
        script("blackhole", B);
        // Time-out accuracy is a benchmark, not a test: the elapsed times are printed for RELIABILITY.md only.
        try (Child c = Child.start(A, "connect", "192.0.2.2", "9", "1000", "5")) {
            List<String> results = c.until(l -> l.startsWith("result "), 5, 50);
            assertThat(c.exit()).isZero();
            System.out.println("BLACKHOLE connect, conTimeout 1000 ms: " + results);
            assertThat(results).hasSize(5).allSatisfy(l ->
                    assertThat(l.split(" ")[1]).isEqualTo(ConnectTimeoutException.class.getName()));
        }
    }

    @Test
    void aDatagramWithNoRouteFailsWithNoRouteToHostExceptionNamingTheDestination() throws Exception {
        // Namespace A routes only 192.0.2.0/24: the kernel refuses this send, nothing leaves the namespace.
        try (Child c = Child.start(A, "udp-send", "198.51.100.7", "9")) {
            String result = c.line();
            assertThat(c.exit()).isZero();

            assertThat(result).isEqualTo("send-error java.net.NoRouteToHostException cannot send to 198.51.100.7:9: "
                    + "network unreachable");
        }
    }

    private static int count(String stats, String key) {
        int at = stats.indexOf(key) + key.length();
        int end = at;
        while (end < stats.length() && Character.isDigit(stats.charAt(end))) {
            end++;
        }
        return Integer.parseInt(stats.substring(at, end));
    }

    private static void script(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(SCRIPT.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", command, out).isZero();
    }

}
