package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The pipe package's findings of the review in issue 17, each kept as a test that failed before its fix. */
class Issue17RegressionTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private static final Duration BOUND = Duration.ofSeconds(10);

    /** Waits until the loop has run what was handed to it before (a read burst in progress, say). */
    private static void settle(Pipe pipe) throws Exception {
        pipe.loop.submit(() -> { }).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aMessageInDeliveryWhenAHandlerReplacesTheCatchAllQueueReachesThatHandler() throws Exception {
        PipeConf lines = PipeConf.builder().framing(Framing.lines()).build();
        try (Pipe server = Pipes.opener(Proto.TCP).bind(LOOPBACK).conf(lines).open().join();
             Socket peer = new Socket(LOOPBACK.getAddress(), server.localAddress().getPort())) {
            Pipe connection = server.accept().join();
            OutputStream out = peer.getOutputStream();
            // The catch-all queue holds "two" when the first handler comes, so it stays (for recv).
            CompletableFuture<Message> waiting = connection.recv(BOUND);
            out.write("one\ntwo\n".getBytes(UTF_8));
            assertThat(waiting.join().text()).isEqualTo("one");
            settle(connection);
            CompletableFuture<Void> gate = new CompletableFuture<>();
            CompletableFuture<Message> firstSeen = new CompletableFuture<>();
            connection.addMsgHandler((m, p) -> firstSeen.complete(m) ? gate : null);
            assertThat(connection.recv(BOUND).join().text()).isEqualTo("two");

            // "three" is held up by the first handler, its delivery's snapshot still holding the (now empty) queue.
            out.write("three\n".getBytes(UTF_8));
            assertThat(firstSeen.get(10, TimeUnit.SECONDS).text()).isEqualTo("three");
            CompletableFuture<String> secondFirst = new CompletableFuture<>();
            connection.addMsgHandler((m, p) -> {
                secondFirst.complete(m.text());
                return null;
            });
            gate.complete(null);
            out.write("four\n".getBytes(UTF_8));

            // The queue went with the second handler; "three" was meant for it and goes to that handler instead.
            assertThat(secondFirst.get(10, TimeUnit.SECONDS)).isEqualTo("three");
            assertThatThrownBy(() -> connection.recv(BOUND)).isInstanceOf(IllegalStateException.class);
            assertThat(connection.stats().dropped()).isZero();
        }
    }
}
