package io.p2pd.node.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Mosquitto broker run as a separate process for a test ({@code /usr/sbin/mosquitto -c}), on 127.0.0.1 and a
 * free port, from a configuration written to a test's temporary folder. It can be stopped, killed, started again on
 * the same port, and frozen (SIGSTOP) to play a broker that stops answering. Close it (try-with-resources) to end
 * the process.
 *
 * <pre>{@code
 * try (Mosquitto broker = Mosquitto.builder(tempDir).start()) {
 *     MqttClient.connect(MqttBroker.of(broker.host(), broker.port()), conf) ...
 * }
 * }</pre>
 *
 * <p>In a network namespace of a lab ({@link Builder#inNamespace}) it runs as {@code ip netns exec NS mosquitto -c
 * CONF}, listening on an IP and port of that namespace.
 *
 * <p>Readiness is Mosquitto's own log line saying it runs (after its listeners are open), read from its standard
 * error (where it logs unbuffered): no polling of the port.
 */
public final class Mosquitto implements AutoCloseable {

    private static final String BINARY = "/usr/sbin/mosquitto";
    private static final long START_LIMIT_SECONDS = 20;
    private static final int LOG_LINES_KEPT = 50;

    private final String host;
    private final int port;
    private final Path config;
    private final String namespace; // null: this process's own network namespace
    private Process process;
    private boolean paused;
    private final Deque<String> log = new ArrayDeque<>();

    private Mosquitto(String host, int port, Path config, String namespace) {
        this.host = host;
        this.port = port;
        this.config = config;
        this.namespace = namespace;
    }

    /** A broker whose files go in {@code dir} (a test's {@code @TempDir}). */
    public static Builder builder(Path dir) {
        return new Builder(dir);
    }

    /** A plain MQTT broker on 127.0.0.1, started. */
    public static Mosquitto start(Path dir) throws IOException {
        return builder(dir).start();
    }

    /** Whether Mosquitto is installed (scripts/lab-deps.sh installs it). */
    public static boolean installed() {
        return Files.isExecutable(Path.of(BINARY));
    }

    /** The IP the broker listens on: 127.0.0.1, or the one given to {@link Builder#inNamespace}. */
    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** The process id of the running broker. */
    public long pid() {
        return process.pid();
    }

    /** Whether the process runs. */
    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Ends the broker the polite way (SIGTERM: it closes its connections) and waits for the process to end. */
    public void stop() throws IOException {
        end(false);
    }

    /** Ends the broker at once (SIGKILL: connections are reset by the kernel) and waits for the process to end. */
    public void kill() throws IOException {
        end(true);
    }

    /** Starts the broker again, on the same port and with the same configuration. */
    public void restart() throws IOException {
        if (isRunning()) {
            stop();
        }
        launch();
    }

    /** Freezes the process (SIGSTOP): connections stay open, nothing is answered. Undo with {@link #resume()}. */
    public void pause() throws IOException {
        signal("STOP");
        paused = true;
    }

    /** Lets a paused broker run again (SIGCONT). */
    public void resume() throws IOException {
        signal("CONT");
        paused = false;
    }

    /** The last lines Mosquitto logged, for a failure message. */
    public String recentLog() {
        synchronized (log) {
            return String.join("\n", log);
        }
    }

    @Override
    public void close() throws IOException {
        if (process == null) {
            return;
        }
        if (paused) {
            resume();
        }
        if (process.isAlive()) {
            kill();
        }
    }

    @Override
    public String toString() {
        return "Mosquitto[" + host() + ":" + port + (isRunning() ? ", pid " + process.pid() : ", stopped") + "]";
    }

    private void end(boolean forcibly) throws IOException {
        if (process == null || !process.isAlive()) {
            return;
        }
        if (paused) {
            resume(); // a stopped process does not act on SIGTERM until it runs again
        }
        if (forcibly) {
            process.destroyForcibly();
        } else {
            process.destroy();
        }
        try {
            if (!process.waitFor(START_LIMIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("mosquitto did not end within " + START_LIMIT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while mosquitto ended", e);
        }
    }

    private void signal(String name) throws IOException {
        if (!isRunning()) {
            throw new IllegalStateException("mosquitto is not running");
        }
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                .redirectErrorStream(true).start();
        try {
            String out = new String(kill.getInputStream().readAllBytes(), UTF_8);
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IOException("kill -" + name + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while signalling mosquitto", e);
        }
    }

    /** Starts the process and returns once Mosquitto logs that it runs; fails with its log if it ends first. */
    private void launch() throws IOException {
        List<String> command = new ArrayList<>();
        if (namespace != null) {
            // "ip netns exec" execs mosquitto in place: the process, its pid and its signals are mosquitto's own.
            command.addAll(List.of("ip", "netns", "exec", namespace));
        }
        command.addAll(List.of(BINARY, "-c", config.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        process = p;
        CompletableFuture<Void> running = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    synchronized (log) {
                        if (log.size() == LOG_LINES_KEPT) {
                            log.removeFirst();
                        }
                        log.addLast(line);
                    }
                    // "mosquitto version 2.0.11 running": logged once every listener is open.
                    if (line.contains(" running")) {
                        running.complete(null);
                    }
                }
            } catch (IOException e) {
                // the process ended; the future below says so
            }
            running.completeExceptionally(new IOException("mosquitto ended before it ran"));
        }, "mosquitto-log-" + port);
        reader.setDaemon(true);
        reader.start();
        try {
            running.get(START_LIMIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            p.destroyForcibly();
            throw new IOException("mosquitto did not start on port " + port + " within " + START_LIMIT_SECONDS
                    + " s; its log:\n" + recentLog(), e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while mosquitto started", e);
        }
    }

    /** What the broker's configuration holds beyond its listener. */
    public static final class Builder {
        private final Path dir;
        private File certificate;
        private File key;
        private final List<String> extra = new ArrayList<>();
        private String namespace;
        private String namespaceIp;
        private int namespacePort;

        private Builder(Path dir) {
            this.dir = dir;
        }

        /** Serves TLS instead of plain MQTT, with this PEM certificate and private key. */
        public Builder tls(File certificatePem, File keyPem) {
            this.certificate = certificatePem;
            this.key = keyPem;
            return this;
        }

        /**
         * Runs the broker inside network namespace {@code namespace} (needs root), listening on {@code ip} and
         * {@code port} there: the namespace is the test's own, so the port is chosen by the test, not probed.
         */
        public Builder inNamespace(String namespace, String ip, int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is outside 1..65535");
            }
            this.namespace = java.util.Objects.requireNonNull(namespace, "namespace");
            this.namespaceIp = java.util.Objects.requireNonNull(ip, "ip");
            this.namespacePort = port;
            return this;
        }

        /** One more line of mosquitto.conf (for example {@code "max_packet_size 1000"}). */
        public Builder line(String configLine) {
            extra.add(configLine);
            return this;
        }

        /**
         * Writes the configuration and starts the broker on a free port of 127.0.0.1. The port is found by
         * binding port 0 and letting go; if another process takes it first, the start is tried again on another.
         */
        public Mosquitto start() throws IOException {
            if (!installed()) {
                throw new IOException(BINARY + " is not installed (scripts/lab-deps.sh installs it)");
            }
            if (namespace != null) {
                Path config = dir.resolve("mosquitto-" + namespace + "-" + namespacePort + ".conf");
                Files.writeString(config, configText(namespaceIp, namespacePort), UTF_8);
                Mosquitto broker = new Mosquitto(namespaceIp, namespacePort, config, namespace);
                broker.launch();
                return broker;
            }
            IOException last = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                int port;
                try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                    port = probe.getLocalPort();
                }
                Path config = dir.resolve("mosquitto-" + port + ".conf");
                Files.writeString(config, configText("127.0.0.1", port), UTF_8);
                Mosquitto broker = new Mosquitto("127.0.0.1", port, config, null);
                try {
                    broker.launch();
                    return broker;
                } catch (IOException e) {
                    last = e;
                }
            }
            throw last;
        }

        private String configText(String ip, int port) {
            StringBuilder c = new StringBuilder();
            c.append("# written by io.p2pd.node.testing.Mosquitto for one test\n");
            c.append("listener ").append(port).append(' ').append(ip).append('\n');
            // Run as root, Mosquitto becomes user "mosquitto", who cannot read a test's private temporary folder.
            c.append("user ").append(System.getProperty("user.name")).append('\n');
            c.append("allow_anonymous true\n");
            c.append("persistence false\n");
            c.append("log_dest stderr\n");
            c.append("log_type error\nlog_type warning\nlog_type notice\nlog_type information\n");
            c.append("connection_messages true\n");
            if (certificate != null) {
                c.append("certfile ").append(certificate.getAbsolutePath()).append('\n');
                c.append("keyfile ").append(key.getAbsolutePath()).append('\n');
            }
            for (String line : extra) {
                c.append(line).append('\n');
            }
            return c.toString();
        }
    }
}
