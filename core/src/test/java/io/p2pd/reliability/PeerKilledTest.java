package io.p2pd.reliability;

import static io.p2pd.reliability.BadInputTest.LOOPBACK;
import static io.p2pd.reliability.BadInputTest.failure;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.pipe.Message;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.PipeClosedException;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Sub;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Faults: the peer's process is killed (SIGKILL, by its PID) while it streams into a pipe. The pipe must end: end
 * handlers run once, pending {@code recv}s fail with {@link PipeClosedException}, and nothing leaks (buffers: the
 * LeakCheck extension; the child: reaped here).
 */
class PeerKilledTest {

    /** Connects to argv[1] (or listens when argv[1] is 0, printing its port) and streams until killed. */
    private static final String STREAMER = """
            import socket, sys
            port = int(sys.argv[1])
            if port == 0:
                srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
                print(srv.getsockname()[1], flush=True)
                s, _ = srv.accept()
            else:
                s = socket.create_connection(('127.0.0.1', port))
            chunk = b'p2pd' * 16384
            s.sendall(chunk)
            print('streaming', flush=True)
            for _ in range(100000):  # bounded: 6.5 GB, far more than the test lets it send before the kill
                s.sendall(chunk)
            """;

    private record Child(Process process, BufferedReader out) {
        static Child start(int port) throws IOException {
            Process p = new ProcessBuilder(List.of("python3", "-u", "-c", STREAMER, Integer.toString(port)))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            return new Child(p, new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
        }

        String line() throws IOException {
            String line = out.readLine();
            assertThat(line).as("python output").isNotNull();
            return line;
        }

        /** SIGKILL by PID, then reap. */
        int kill() throws Exception {
            long pid = process.pid();
            Process kill = new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(kill.exitValue()).isZero();
            assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
            return process.exitValue();
        }

        void cleanUp() {
            process.destroyForcibly();
        }
    }

    /** Counts bytes; queues nothing (the pattern never matches), so a recv on it waits until the pipe ends. */
    private static final Sub NEVER = Sub.matching("^NEVER MATCHES$");

    private static void expectEnded(Pipe pipe, CompletableFuture<Message> pending, AtomicInteger ends)
            throws Exception {
        assertThat(failure(pending)).isInstanceOf(PipeClosedException.class);
        pipe.closeFuture().get(10, TimeUnit.SECONDS);
        assertThat(pipe.isOpen()).isFalse();
        pipe.close();
        assertThat(ends.get()).isEqualTo(1);
        assertThat(failure(pipe.recv(NEVER))).isInstanceOf(PipeClosedException.class);
    }

    @Test
    void aStreamingClientKilledMidTransferEndsItsServerConnection() throws Exception {
        LinkedBlockingQueue<Pipe> accepted = new LinkedBlockingQueue<>();
        AtomicLong bytes = new AtomicLong();
        CountDownLatch aMegabyte = new CountDownLatch(1);
        AtomicInteger ends = new AtomicInteger();
        MsgHandler count = MsgHandler.plain((m, p) -> {
            if (bytes.addAndGet(m.data().length) >= 1 << 20) {
                aMegabyte.countDown();
            }
        });
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).msgHandler(count).upHandler(p -> {
            p.subscribe(NEVER);
            p.addEndHandler(x -> ends.incrementAndGet());
            accepted.add(p);
        }).open().join()) {
            Child child = Child.start(server.localAddress().getPort());
            try {
                assertThat(child.line()).isEqualTo("streaming");
                Pipe conn = accepted.poll(10, TimeUnit.SECONDS);
                assertThat(conn).isNotNull();
                assertThat(aMegabyte.await(30, TimeUnit.SECONDS)).isTrue();
                CompletableFuture<Message> pending = conn.recv(NEVER, Duration.ofSeconds(60));

                assertThat(child.kill()).isEqualTo(128 + 9);

                expectEnded(conn, pending, ends);
                assertThat(bytes.get()).isGreaterThanOrEqualTo(1 << 20);
                assertThat(server.isOpen()).isTrue();
                assertThat(server.connections()).doesNotContain(conn);
            } finally {
                child.cleanUp();
            }
        }
    }

    @Test
    void aStreamingServerKilledMidTransferEndsTheClientPipe() throws Exception {
        AtomicLong bytes = new AtomicLong();
        CountDownLatch aMegabyte = new CountDownLatch(1);
        AtomicInteger ends = new AtomicInteger();
        Child child = Child.start(0);
        try {
            int port = Integer.parseInt(child.line());
            try (Pipe client = Pipes.tcp().dest(new java.net.InetSocketAddress("127.0.0.1", port))
                    .msgHandler(MsgHandler.plain((m, p) -> {
                        if (bytes.addAndGet(m.data().length) >= 1 << 20) {
                            aMegabyte.countDown();
                        }
                    })).open().join()) {
                client.subscribe(NEVER);
                client.addEndHandler(x -> ends.incrementAndGet());
                assertThat(child.line()).isEqualTo("streaming");
                assertThat(aMegabyte.await(30, TimeUnit.SECONDS)).isTrue();
                CompletableFuture<Message> pending = client.recv(NEVER, Duration.ofSeconds(60));

                assertThat(child.kill()).isEqualTo(128 + 9);

                expectEnded(client, pending, ends);
                assertThat(failure(client.send(new byte[] {1}))).isInstanceOf(PipeClosedException.class);
            }
        } finally {
            child.cleanUp();
        }
    }
}
