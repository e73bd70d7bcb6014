package io.p2pd.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Child processes (iperf3, socat, child JVMs): every one is tracked and ended by its own handle, never by name. */
final class Procs {

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    private Procs() {
    }

    static Process start(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        LIVE.add(p);
        return p;
    }

    /** Starts {@code command} with its output (stdout and stderr) going to {@code log}: a server nobody reads. */
    static Process start(List<String> command, java.nio.file.Path log) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        LIVE.add(p);
        return p;
    }

    /** Runs {@code command} to its end, at most {@code timeoutMillis}; its output (stdout and stderr). */
    static String run(List<String> command, long timeoutMillis) throws IOException, InterruptedException {
        Process p = start(command);
        try {
            byte[][] out = new byte[1][];
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    out[0] = p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    out[0] = new byte[0];
                }
            });
            if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                throw new IOException("timed out after " + timeoutMillis + " ms: " + String.join(" ", command));
            }
            reader.join(1000);
            return out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
        } finally {
            stop(p);
        }
    }

    static void stop(Process p) {
        if (p.isAlive()) {
            p.destroy();
            try {
                if (!p.waitFor(2, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        LIVE.remove(p);
    }

    static void killAll() {
        List.copyOf(LIVE).forEach(Procs::stop);
    }

    static boolean installed(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (new java.io.File(dir, tool).canExecute()) {
                return true;
            }
        }
        return false;
    }

    /** A port free on 127.0.0.1 right now, for tools that must be told one. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Waits (at most {@code timeoutMillis}) until something accepts on 127.0.0.1:{@code port}. */
    static void awaitListening(int port, long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("nothing listens on 127.0.0.1:" + port + " after " + timeoutMillis + " ms");
                }
                Timing.sleep(20);
            }
        }
    }
}
