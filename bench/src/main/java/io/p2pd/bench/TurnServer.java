package io.p2pd.bench;

import io.p2pd.pipe.Proto;
import io.p2pd.stun.StunClient;
import io.p2pd.stun.StunClientConfig;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * coturn's {@code turnserver} on 127.0.0.1 as operators run it: long-term credentials for one user, a realm,
 * FINGERPRINT; plus {@code --allow-loopback-peers}, since the echo peer is on loopback. A child process, ended by
 * its handle.
 */
final class TurnServer implements AutoCloseable {

    static final String USER = "bench";
    static final String PASSWORD = "bench-pass";
    static final String REALM = "p2pd.bench";

    private final Process process;
    private final int port;
    private final Path log;

    private TurnServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static boolean available() {
        return Procs.installed("turnserver") && Procs.installed("turnutils_uclient");
    }

    static TurnServer start() throws Exception {
        int port = udpAndTcpFreePort();
        Path dir = Files.createTempDirectory("p2pd-bench-turn");
        Path log = dir.resolve("turnserver.log");
        Process p = Procs.start(List.of("turnserver", "-n", "--no-cli", "--no-tls", "--no-dtls",
                "-L", "127.0.0.1", "--listening-port=" + port, "--log-file=stdout", "--simple-log",
                "--pidfile=" + dir.resolve("turnserver.pid"), "--lt-cred-mech", "--user=" + USER + ":" + PASSWORD,
                "--realm=" + REALM, "--fingerprint", "--allow-loopback-peers"), log);
        TurnServer server = new TurnServer(p, port, log);
        try {
            server.awaitAnswer();
        } catch (Exception e) {
            server.close();
            throw e;
        }
        return server;
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    int port() {
        return port;
    }

    /** Ready when it answers a STUN Binding request: at most 50 probes of 300 ms. */
    private void awaitAnswer() throws Exception {
        StunClientConfig probe = StunClientConfig.builder().initialRto(Duration.ofMillis(100))
                .timeLimit(Duration.ofMillis(300)).build();
        for (int i = 0; i < 50 && process.isAlive(); i++) {
            try {
                StunClient.binding(Proto.UDP, address(), probe).get(5, TimeUnit.SECONDS);
                return;
            } catch (java.util.concurrent.ExecutionException notYet) {
                // next probe
            }
        }
        throw new IOException("turnserver does not answer on " + address() + ": " + Files.readString(log));
    }

    /**
     * coturn listens on UDP and TCP at the same number and keeps retrying a taken TCP port instead of serving: the
     * number must be free for both. An ephemeral UDP port whose number TCP can bind too.
     */
    @SuppressWarnings("try") // the sockets only hold the number while it is checked
    private static int udpAndTcpFreePort() throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                int candidate = udp.getLocalPort();
                try (ServerSocket tcp = new ServerSocket(candidate, 1, java.net.InetAddress.getLoopbackAddress())) {
                    return candidate;
                } catch (IOException takenByTcp) {
                    // another one
                }
            }
        }
        throw new IOException("no port free for both UDP and TCP on 127.0.0.1");
    }

    @Override
    public void close() {
        Procs.stop(process);
    }
}
