package io.p2pd.reliability;

import static io.p2pd.reliability.BadInputTest.LOOPBACK;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.concurrent.EventExecutor;
import io.p2pd.net.EventLoops;
import io.p2pd.net.HostPort;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.TcpOptions;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import io.p2pd.pipe.Tls;
import io.p2pd.testing.Certificates;
import io.p2pd.testing.Net;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load and soak: TCP connections opened, used (one echo each) and closed in waves of {@value #WAVE} for a bounded
 * time, {@code -Dp2pd.soak.seconds} (default 20 s in the normal build; the documented long run uses 120), and at
 * least {@value #CONNECTIONS} of them (bounded by count and by a hard time limit of 3 x the time + 60 s). Afterwards: no leaked buffer (PARANOID leak detection, the LeakCheck extension), no leaked
 * file descriptor (/proc/self/fd counted before and after), heap after GC within a generous bound of where it
 * started. The figures are printed for RELIABILITY.md.
 */
class SoakTest {

    static final int WAVE = 200;
    static final int CONNECTIONS = 10_000;
    static final int MAX_CONNECTIONS = 2_000_000;
    /** Used heap after GC may grow by this much: caches and JIT settle; a leak of 10,000 pipes would be far more. */
    static final long HEAP_SLACK = 32L << 20;

    /**
     * Open file descriptors of this JVM. First waits until every shared event loop has finished what it was doing:
     * a failed open completes its future before its event loop has finished closing the channel.
     */
    static int openFds() throws IOException {
        for (EventExecutor loop : EventLoops.shared()) {
            assertThat(loop.submit(() -> { }).awaitUninterruptibly(10, TimeUnit.SECONDS)).isTrue();
        }
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count();
        }
    }

    static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    /** One wave: {@code n} clients connect at once, each echoes one message, all close; their server sides end. */
    static int wave(Pipe server, List<CompletableFuture<Void>> serverEnds, int n, int first) {
        List<CompletableFuture<Pipe>> opening = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            opening.add(Pipes.open(Proto.TCP, server.localAddress()));
        }
        List<Pipe> clients = new ArrayList<>(n);
        try {
            for (CompletableFuture<Pipe> f : opening) {
                clients.add(f.join());
            }
            List<CompletableFuture<String>> echoes = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Pipe c = clients.get(i);
                byte[] msg = ("ping " + (first + i)).getBytes(UTF_8);
                echoes.add(c.send(msg).thenCompose(v -> c.recv(Duration.ofSeconds(20))).thenApply(m -> m.text()));
            }
            for (int i = 0; i < n; i++) {
                assertThat(echoes.get(i).join()).isEqualTo("ping " + (first + i));
            }
        } finally {
            clients.forEach(Pipe::closeAsync);
            for (Pipe c : clients) {
                c.closeFuture().join();
            }
        }
        // Every server-side connection of this wave ends too (end handlers ran).
        synchronized (serverEnds) {
            CompletableFuture.allOf(serverEnds.toArray(CompletableFuture[]::new)).orTimeout(20, TimeUnit.SECONDS)
                    .join();
            int ended = serverEnds.size();
            serverEnds.clear();
            return ended;
        }
    }

    /** A TLS server in its own process (so its descriptors are not counted here): handshakes, then closes. */
    private static final String TLS_SERVER = """
            import socket, ssl, sys
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(sys.argv[1], sys.argv[2])
            srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(256)
            print(srv.getsockname()[1], flush=True)
            for _ in range(100000):
                c, _ = srv.accept()
                try:
                    ctx.wrap_socket(c, server_side=True).close()
                except Exception:
                    c.close()
            """;

    @Test
    void failedOpensLeakNoFileDescriptor(@TempDir Path dir) throws Exception {
        Certificates cert = Certificates.selfSigned(dir, "localhost", "DNS:localhost,IP:127.0.0.1");
        TcpOptions verifying = TcpOptions.builder().tls(Tls.verifying()).build(); // refuses the self-signed server
        Process tlsServer = new ProcessBuilder("python3", "-u", "-c", TLS_SERVER, cert.certificate().toString(),
                cert.key().toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (Socket closedPort = Net.boundNotListening();
             BufferedReader out = new BufferedReader(new InputStreamReader(tlsServer.getInputStream(), UTF_8))) {
            InetSocketAddress refused = new InetSocketAddress("127.0.0.1", closedPort.getLocalPort());
            HostPort tls = new HostPort("localhost", Integer.parseInt(out.readLine()));
            Runnable round = () -> {
                List<CompletableFuture<Pipe>> refusals = new ArrayList<>();
                List<CompletableFuture<Pipe>> untrusted = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    refusals.add(Pipes.open(Proto.TCP, refused));
                    untrusted.add(Pipes.tcp().dest(tls).tcp(verifying).open());
                }
                refusals.forEach(f -> assertThat(f).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                        .havingCause().isInstanceOf(java.net.ConnectException.class));
                untrusted.forEach(f -> assertThat(f).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                        .havingCause().isInstanceOf(javax.net.ssl.SSLException.class));
            };
            round.run(); // warm up
            int fdsBefore = openFds();
            for (int r = 0; r < 10; r++) {
                round.run();
            }
            int fdsAfter = openFds();
            System.out.printf("FAILED OPENS: 1000 (refused, TLS verification); fds before %d after %d%n",
                    fdsBefore, fdsAfter);
            assertThat(fdsAfter).as("open file descriptors").isLessThanOrEqualTo(fdsBefore);
            assertThat(tlsServer.isAlive()).isTrue();
        } finally {
            tlsServer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void connectionsInWavesLeakNoBufferFdOrHeap() throws Exception {
        long seconds = Long.getLong("p2pd.soak.seconds", 20);
        List<CompletableFuture<Void>> serverEnds = new ArrayList<>();
        AtomicInteger accepted = new AtomicInteger();
        try (Pipe server = Pipes.tcp().bind(LOOPBACK)
                .msgHandler(MsgHandler.plain((m, p) -> p.send(m.data())))
                .upHandler(p -> {
                    accepted.incrementAndGet();
                    synchronized (serverEnds) {
                        serverEnds.add(p.closeFuture());
                    }
                }).open().join()) {
            wave(server, serverEnds, WAVE, -WAVE); // warm up: classes, pools, event loops
            int fdsBefore = openFds();
            long heapBefore = usedHeapAfterGc();

            // Waves until the time is up and at least CONNECTIONS were made; bounded by count and by a hard time.
            long started = System.nanoTime();
            long soakEnd = started + TimeUnit.SECONDS.toNanos(seconds);
            long hardEnd = started + TimeUnit.SECONDS.toNanos(3 * seconds + 60);
            int done = 0;
            int waves = 0;
            int serverSidesEnded = 0;
            while (done < MAX_CONNECTIONS && System.nanoTime() < hardEnd
                    && (done < CONNECTIONS || System.nanoTime() < soakEnd)) {
                serverSidesEnded += wave(server, serverEnds, WAVE, done);
                done += WAVE;
                waves++;
            }
            double elapsed = (System.nanoTime() - started) / 1e9;
            assertThat(server.connections()).isEmpty();

            int fdsAfter = openFds();
            long heapAfter = usedHeapAfterGc();
            System.out.printf("SOAK: %d connections in %d waves of %d in %.1f s (limit %d s), server sides ended %d;"
                    + " fds before %d after %d; used heap after GC before %.1f MiB after %.1f MiB%n",
                    done, waves, WAVE, elapsed, seconds, serverSidesEnded, fdsBefore, fdsAfter,
                    heapBefore / 1048576.0, heapAfter / 1048576.0);

            assertThat(done).as("connections made").isGreaterThanOrEqualTo(CONNECTIONS);
            assertThat(serverSidesEnded).isEqualTo(done);
            assertThat(accepted.get()).isEqualTo(done + WAVE);
            assertThat(fdsAfter).as("open file descriptors").isLessThanOrEqualTo(fdsBefore);
            assertThat(heapAfter).as("used heap after GC").isLessThan(heapBefore + HEAP_SLACK);
        }
    }
}
