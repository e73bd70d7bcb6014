package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Plain and asynchronous handlers: order per connection, failures counted, the pipe carries on. */
class HandlersTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @Test
    void asyncHandlersSeeMessagesInArrivalOrderEvenWhenTheyCompleteLate() throws Exception {
        int n = 100;
        List<String> seen = new ArrayList<>();
        List<CompletableFuture<Void>> gates = new ArrayList<>();
        CountDownLatch all = new CountDownLatch(n);
        try (Pipe server = Pipes.udp().bind(LOOPBACK)
                .msgHandler((msg, pipe) -> {
                    synchronized (seen) {
                        seen.add(msg.text());
                    }
                    all.countDown();
                    // Every fifth message holds up delivery until the test opens its gate.
                    if (Integer.parseInt(msg.text()) % 5 == 0) {
                        CompletableFuture<Void> gate = new CompletableFuture<>();
                        synchronized (gates) {
                            gates.add(gate);
                        }
                        return gate;
                    }
                    return null;
                }).open().join();
             Pipe client = Pipes.open(Proto.UDP, server.localAddress()).join()) {
            for (int i = 0; i < n; i++) {
                client.send(Integer.toString(i).getBytes(UTF_8)).join();
            }
            // Open gates as they appear, from this thread, until every message was seen.
            int opened = 0;
            while (!all.await(10, TimeUnit.MILLISECONDS)) {
                synchronized (gates) {
                    for (; opened < gates.size(); opened++) {
                        gates.get(opened).complete(null);
                    }
                }
            }
            synchronized (seen) {
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    expected.add(Integer.toString(i));
                }
                assertThat(seen).isEqualTo(expected);
            }
        }
    }

    @Test
    void aThrowingHandlerIsCountedAndThePipeCarriesOn() {
        try (Pipe server = Pipes.tcp().bind(LOOPBACK)
                .msgHandler(MsgHandler.plain((msg, pipe) -> {
                    if (msg.text().contains("boom")) {
                        throw new IllegalStateException("handler bug");
                    }
                }))
                .msgHandler((msg, pipe) -> CompletableFuture.failedFuture(new IllegalStateException("async bug")))
                .msgHandler((msg, pipe) -> pipe.send(msg.data()))
                .open().join();
             Pipe client = Pipes.open(Proto.TCP, server.localAddress()).join()) {
            client.send("boom".getBytes(UTF_8)).join();
            assertThat(client.recv().join().text()).isEqualTo("boom");
            client.send("again".getBytes(UTF_8)).join();
            assertThat(client.recv().join().text()).isEqualTo("again");

            Pipe connection = server.connections().get(0);
            // 'boom' failed twice (plain throw, failed stage); 'again' once (failed stage).
            assertThat(connection.stats().handlerErrors()).isEqualTo(3);
            assertThat(connection.isOpen()).isTrue();
        }
    }

    @Test
    void aStageThatWouldHangIsBoundedWithOrTimeoutCountedAndDeliveryGoesOn() {
        TcpOptions lines = TcpOptions.builder().framing(Framing.lines()).build(); // whole messages however TCP cuts
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).tcp(lines)
                // The first message's work never finishes by itself; orTimeout fails it, which frees delivery.
                .msgHandler((msg, pipe) -> msg.text().equals("hang")
                        ? new CompletableFuture<Void>().orTimeout(50, TimeUnit.MILLISECONDS)
                        : pipe.send(msg.data()))
                .open().join();
             Pipe client = Pipes.tcp().dest(server.localAddress()).tcp(lines).open().join()) {
            client.send("hang".getBytes(UTF_8)).join();
            Pipe connection = server.accept().join();
            client.send("next".getBytes(UTF_8)).join();

            assertThat(client.recv().join().text()).isEqualTo("next");
            assertThat(connection.stats().handlerErrors()).isEqualTo(1);
            assertThat(connection.isOpen()).isTrue();
        }
    }

    @Test
    void aRemovedEndHandlerIsNotCalledAndTheOthersAre() throws Exception {
        List<String> ended = new java.util.concurrent.CopyOnWriteArrayList<>();
        EndHandler removed = p -> ended.add("removed");
        CompletableFuture<Void> kept = new CompletableFuture<>();
        Pipe pipe = Pipes.udp().bind(LOOPBACK).open().join();
        pipe.addEndHandler(removed).addEndHandler(p -> {
            ended.add("kept");
            kept.complete(null);
        });
        pipe.removeEndHandler(removed);

        pipe.close();

        kept.get(10, TimeUnit.SECONDS);
        assertThat(ended).containsExactly("kept");
    }

    @Test
    void aSlowHandlerOnOnePipeDoesNotHoldUpAnother() {
        CompletableFuture<Void> never = new CompletableFuture<>();
        try (Pipe slow = Pipes.udp().bind(LOOPBACK).msgHandler((m, p) -> never).open().join();
             Pipe fast = Pipes.udp().bind(LOOPBACK)
                     .msgHandler((m, p) -> p.send(m.data(), m.sender())).open().join();
             Pipe client = Pipes.udp().bind(LOOPBACK).open().join()) {
            client.send("stuck".getBytes(UTF_8), slow.localAddress()).join();
            client.send("flows".getBytes(UTF_8), fast.localAddress()).join();

            Message reply = client.recv().join();
            assertThat(reply.text()).isEqualTo("flows");
            assertThat(reply.sender()).isEqualTo(fast.localAddress());
        } finally {
            never.complete(null);
        }
    }

    @Test
    void removedHandlersAreNotCalled() {
        List<String> calls = new ArrayList<>();
        MsgHandler first = MsgHandler.plain((m, p) -> calls.add("first"));
        try (Pipe server = Pipes.udp().bind(LOOPBACK).open().join();
             Pipe client = Pipes.open(Proto.UDP, server.localAddress()).join()) {
            server.addMsgHandler(first);
            server.removeMsgHandler(first);
            server.addMsgHandler(MsgHandler.plain((m, p) -> calls.add("second")));
            // A handler replaces the catch-all queue open() made; this test reads a queue too.
            server.subscribe(Sub.ALL);
            client.send("x".getBytes(UTF_8)).join();
            server.recv().join();

            assertThat(calls).containsExactly("second");
        }
    }

    @Test
    void upHandlerRunsOnceForAClientAndAtOnceWhenAddedLater() {
        List<Pipe> ups = new ArrayList<>();
        try (Pipe server = Pipes.udp().bind(LOOPBACK).open().join();
             Pipe client = Pipes.udp().dest(server.localAddress())
                     .upHandler(ups::add).open().join()) {
            assertThat(ups).containsExactly(client);
            client.addUpHandler(ups::add);
            assertThat(ups).containsExactly(client, client);
        }
    }
}
