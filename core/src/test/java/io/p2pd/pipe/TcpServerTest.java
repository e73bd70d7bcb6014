package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A TCP server pipe: many clients at once, one pipe per connection, and what closing it does. */
class TcpServerTest {

    private static final int CLIENTS = 50;
    private static final int MESSAGES = 200;

    @Test
    void fiftyClientsEachEchoTwoHundredMessagesWithEveryByteAccountedFor() throws Exception {
        try (Pipe server = Pipes.tcp().bind(new InetSocketAddress("127.0.0.1", 0))
                .msgHandler((msg, pipe) -> pipe.send(msg.data(), msg.sender())).open().join()) {
            List<CompletableFuture<byte[]>> results = new ArrayList<>();
            List<Pipe> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                Pipe client = Pipes.open(Proto.TCP, server.localAddress()).join();
                clients.add(client);
                results.add(collect(client, expected(c).length));
            }
            for (int c = 0; c < CLIENTS; c++) {
                Pipe client = clients.get(c);
                for (int m = 0; m < MESSAGES; m++) {
                    client.send(message(c, m));
                }
            }
            for (int c = 0; c < CLIENTS; c++) {
                // TCP is a stream: chunks may split or join messages, but the bytes come back whole and in order.
                assertThat(results.get(c).get(60, TimeUnit.SECONDS)).isEqualTo(expected(c));
            }
            assertThat(server.connections()).hasSize(CLIENTS);
            long echoed = server.connections().stream().mapToLong(p -> p.stats().sentBytes()).sum();
            assertThat(echoed).isEqualTo((long) CLIENTS * expected(0).length);
            clients.forEach(Pipe::close);
        }
    }

    private static byte[] message(int client, int n) {
        return String.format("client %02d message %03d;", client, n).getBytes(UTF_8);
    }

    private static byte[] expected(int client) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int m = 0; m < MESSAGES; m++) {
            all.writeBytes(message(client, m));
        }
        return all.toByteArray();
    }

    /** Gathers everything the pipe receives until {@code total} bytes arrived. */
    private static CompletableFuture<byte[]> collect(Pipe pipe, int total) {
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        pipe.subscribe(Sub.matching("client"), MsgHandler.plain((msg, p) -> {
            got.writeBytes(msg.data());
            if (got.size() >= total) {
                done.complete(got.toByteArray());
            }
        }));
        // The handler subscription takes what the catch-all queue would also hold: drop the queue.
        pipe.unsubscribe(Sub.ALL);
        return done;
    }

    @Test
    void acceptHandsOutOnePipePerConnection() {
        try (Pipe server = Pipes.tcp().bind(new InetSocketAddress("::1", 0)).open().join();
             Pipe a = Pipes.open(Proto.TCP, server.localAddress()).join();
             Pipe b = Pipes.open(Proto.TCP, server.localAddress()).join()) {
            Pipe first = server.accept().join();
            Pipe second = server.accept().join();

            assertThat(List.of(first.remoteAddress().orElseThrow(), second.remoteAddress().orElseThrow()))
                    .containsExactlyInAnyOrder(a.localAddress(), b.localAddress());
            a.send("from a".getBytes(UTF_8)).join();
            Pipe fromA = first.remoteAddress().orElseThrow().equals(a.localAddress()) ? first : second;
            Message got = fromA.recv().join();
            assertThat(got.text()).isEqualTo("from a");
            assertThat(got.sender()).isEqualTo(a.localAddress());

            // The server writes to a connection by naming its peer, like a UDP server replies.
            server.send("to b".getBytes(UTF_8), b.localAddress()).join();
            assertThat(b.recv().join().text()).isEqualTo("to b");
            assertThatThrownBy(() -> server.send("x".getBytes(UTF_8)))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> server.send("x".getBytes(UTF_8), new InetSocketAddress("::1", 1)).join())
                    .cause().isInstanceOf(PipeClosedException.class).hasMessageContaining("no live connection");
        }
    }

    @Test
    void upHandlersRunForEachAcceptedConnection() throws Exception {
        List<Pipe> ups = new ArrayList<>();
        CountDownLatch twoUp = new CountDownLatch(2);
        try (Pipe server = Pipes.tcp().bind(new InetSocketAddress("127.0.0.1", 0))
                .upHandler(p -> {
                    synchronized (ups) {
                        ups.add(p);
                    }
                    twoUp.countDown();
                }).open().join();
             Pipe a = Pipes.open(Proto.TCP, server.localAddress()).join();
             Pipe b = Pipes.open(Proto.TCP, server.localAddress()).join()) {
            assertThat(twoUp.await(10, TimeUnit.SECONDS)).isTrue();
            synchronized (ups) {
                assertThat(ups).extracting(p -> p.remoteAddress().orElseThrow())
                        .containsExactlyInAnyOrder(a.localAddress(), b.localAddress());
            }
        }
    }

    @Test
    void closingAServerEndsEveryClientOnceAndFailsPendingRecvs() throws Exception {
        Pipe server = Pipes.tcp().bind(new InetSocketAddress("127.0.0.1", 0)).open().join();
        AtomicInteger serverEnds = new AtomicInteger();
        server.addEndHandler(p -> serverEnds.incrementAndGet());
        int n = 5;
        List<Pipe> clients = new ArrayList<>();
        ConcurrentHashMap<Pipe, AtomicInteger> ends = new ConcurrentHashMap<>();
        CountDownLatch allEnded = new CountDownLatch(n);
        List<CompletableFuture<Message>> pending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Pipe client = Pipes.open(Proto.TCP, server.localAddress()).join();
            ends.put(client, new AtomicInteger());
            client.addEndHandler(p -> {
                ends.get(p).incrementAndGet();
                allEnded.countDown();
            });
            clients.add(client);
            server.accept().join();
            pending.add(client.recv(Duration.ofSeconds(30)));
        }

        server.close();
        server.close();

        assertThat(allEnded.await(10, TimeUnit.SECONDS)).isTrue();
        for (Pipe client : clients) {
            client.close();
            client.closeFuture().join();
            assertThat(ends.get(client)).hasValue(1);
            assertThat(client.isOpen()).isFalse();
        }
        for (CompletableFuture<Message> recv : pending) {
            assertThatThrownBy(recv::join).cause().isInstanceOf(PipeClosedException.class);
        }
        assertThat(serverEnds).hasValue(1);
        assertThat(server.connections()).isEmpty();
        assertThatThrownBy(() -> server.accept().join()).cause().isInstanceOf(PipeClosedException.class);
        // An end handler added after the end runs at once.
        AtomicInteger late = new AtomicInteger();
        clients.get(0).addEndHandler(p -> late.incrementAndGet());
        assertThat(late).hasValue(1);
    }

    @Test
    void dataThatArrivedBeforeThePeerClosedCanStillBeReceived() {
        try (Pipe server = Pipes.tcp().bind(new InetSocketAddress("127.0.0.1", 0))
                .msgHandler((msg, pipe) -> pipe.send(msg.data()).thenRun(pipe::closeAsync)).open().join();
             Pipe client = Pipes.open(Proto.TCP, server.localAddress()).join()) {
            client.send("last words".getBytes(UTF_8)).join();
            client.closeFuture().join();

            assertThat(client.recv().join().text()).isEqualTo("last words");
            assertThatThrownBy(() -> client.recv().join()).cause().isInstanceOf(PipeClosedException.class);
        }
    }
}
