package io.p2pd.turn;

import io.p2pd.pipe.Proto;
import io.p2pd.stun.StunClient;
import io.p2pd.stun.StunClientConfig;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A coturn {@code turnserver} the test starts on 127.0.0.1, the way operators run it (long-term credentials, a
 * realm, FINGERPRINT), plus {@code --allow-loopback-peers} since every peer here is on loopback. Stopped by its
 * Process handle. Public for the node module's relay tests.
 */
public final class Coturn implements AutoCloseable {
    static final InetAddress LO = InetAddress.getLoopbackAddress();
    public static final String USER = "alice";
    public static final String PASSWORD = "s3cret pass";
    static final String REALM = "p2pd.test";

    final Process process;
    final int port;
    final Path log;
    /** The TLS listening port, 0 when TLS is off. */
    final int tlsPort;
    /** The command line it was started with, for {@link #restart}. */
    private final List<String> command;

    private Coturn(Process process, int port, Path log, int tlsPort, List<String> command) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.tlsPort = tlsPort;
        this.command = command;
    }

    public static boolean installed() {
        return onPath("turnserver") && onPath("turnutils_peer");
    }

    static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    /** A TURN server with the user alice, and {@code extra} options (shorter lifetimes, denied peers, quotas). */
    public static Coturn start(Path dir, String... extra) throws Exception {
        return start(dir, true, extra);
    }

    /** {@code turn} false: a STUN-only server ({@code --stun-only}), for the "not a TURN server" case. */
    static Coturn start(Path dir, boolean turn, String... extra) throws Exception {
        return start(dir, turn, null, extra);
    }

    /** A TURN server that also takes TLS control connections on {@link #tlsAddress()}, with this certificate. */
    static Coturn startTls(Path dir, io.p2pd.testing.Certificates tls, String... extra) throws Exception {
        return start(dir, true, tls, extra);
    }

    private static Coturn start(Path dir, boolean turn, io.p2pd.testing.Certificates tls, String... extra)
            throws Exception {
        int port = freePort();
        int tlsPort = tls == null ? 0 : freePort();
        // A relay port range of our own, somewhere in 20000-59000, so parallel servers rarely share ports.
        int base = 20_000 + ThreadLocalRandom.current().nextInt(390) * 100;
        Path log = Files.createTempFile(dir, "turnserver", ".log");
        List<String> cmd = new ArrayList<>(List.of("turnserver", "-n", "--no-cli", "--no-dtls",
                "-L", "127.0.0.1", "--listening-port=" + port, "--min-port=" + base, "--max-port=" + (base + 99),
                "--log-file=stdout", "--simple-log", "--pidfile=" + dir.resolve("turnserver-" + port + ".pid"),
                "--fingerprint", "--realm=" + REALM));
        if (tls == null) {
            cmd.add("--no-tls");
        } else {
            cmd.addAll(List.of("--tls-listening-port=" + tlsPort, "--cert=" + tls.certificate(),
                    "--pkey=" + tls.key()));
        }
        if (turn) {
            cmd.addAll(List.of("--lt-cred-mech", "--user=" + USER + ":" + PASSWORD, "--allow-loopback-peers"));
        } else {
            cmd.addAll(List.of("--stun-only", "--no-auth"));
        }
        cmd.addAll(List.of(extra));
        return launch(cmd, port, log, tlsPort);
    }

    private static Coturn launch(List<String> cmd, int port, Path log, int tlsPort) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        Coturn c = new Coturn(p, port, log, tlsPort, List.copyOf(cmd));
        try {
            c.awaitReady();
        } catch (Exception | AssertionError e) {
            c.close();
            throw e;
        }
        return c;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(LO, port);
    }

    InetSocketAddress tlsAddress() {
        return new InetSocketAddress(LO, tlsPort);
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    /** Ready when it answers a STUN binding request: bounded probes instead of a sleep. */
    private void awaitReady() throws Exception {
        StunClientConfig probe = StunClientConfig.builder().initialRto(Duration.ofMillis(100))
                .timeLimit(Duration.ofMillis(300)).build();
        for (int i = 0; i < 60; i++) {
            if (!process.isAlive()) {
                throw new AssertionError("turnserver exited: " + log());
            }
            try {
                StunClient.binding(Proto.UDP, new InetSocketAddress(LO, 0), address(), probe).get(5, TimeUnit.SECONDS);
                return;
            } catch (Exception notYet) {
                // next probe
            }
        }
        throw new AssertionError("turnserver did not answer on port " + port + ": " + log());
    }

    /**
     * A port free for both UDP and TCP (coturn listens on both, and retries a taken TCP port instead of serving), in
     * 10000-19999: below the kernel's ephemeral range, where other tests' clients and servers get their ports, and
     * below the relay ranges above. Once a CI run lost a test to a TCP client holding the UDP port's number.
     */
    @SuppressWarnings("try") // the sockets only hold the port while we check it
    static int freePort() throws IOException {
        for (int tries = 0; tries < 200; tries++) {
            int port = 10_000 + ThreadLocalRandom.current().nextInt(10_000);
            try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(LO, port));
                    ServerSocket s = new ServerSocket(port, 1, LO)) {
                return port;
            } catch (IOException taken) {
                // another one
            }
        }
        throw new IOException("no port free for both UDP and TCP in 10000-19999 on " + LO);
    }

    /** SIGKILL, by the Process handle: no goodbye to clients, the kernel closes its sockets. Waits for the end. */
    void kill() throws InterruptedException {
        process.destroyForcibly(); // SIGKILL on Linux
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("turnserver survived SIGKILL");
        }
    }

    /** The same server again, on the same ports (after {@link #kill} or {@link #close}), with no allocations. */
    Coturn restart() throws Exception {
        return launch(command, port, log, tlsPort);
    }


    /**
     * coturn's UDP echo peer {@code turnutils_peer} on 127.0.0.1, ready once it echoed a probe sent to it directly
     * (bounded probes instead of a sleep, so no datagram sent through a relay is lost to a peer still starting).
     */
    static EchoPeer startEchoPeer(Path dir) throws Exception {
        int port = freePort();
        Process p = new ProcessBuilder("turnutils_peer", "-L", LO.getHostAddress(), "-p", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(dir.resolve("turnutils_peer-" + port + ".log").toFile())
                .start();
        EchoPeer peer = new EchoPeer(p, new InetSocketAddress(LO, port));
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(LO, 0))) {
            probe.setSoTimeout(200);
            byte[] hello = "ready?".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            for (int i = 0; i < 50 && p.isAlive(); i++) {
                probe.send(new java.net.DatagramPacket(hello, hello.length, peer.address()));
                try {
                    probe.receive(new java.net.DatagramPacket(new byte[64], 64));
                    return peer;
                } catch (java.net.SocketTimeoutException notYet) {
                    // next probe
                }
            }
        }
        peer.close();
        throw new AssertionError("turnutils_peer did not echo on port " + port);
    }

    /** A running {@code turnutils_peer}, stopped by its Process handle. */
    record EchoPeer(Process process, InetSocketAddress address) implements AutoCloseable {
        @Override
        public void close() {
            process.destroy();
            process.onExit().completeOnTimeout(process, 10, TimeUnit.SECONDS).join();
            if (process.isAlive()) {
                process.destroyForcibly().onExit().completeOnTimeout(process, 10, TimeUnit.SECONDS).join();
            }
        }
    }

    @Override
    public void close() {
        process.destroy(); // by its pid: the Process handle of the child we started
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
