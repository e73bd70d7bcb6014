package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The package's concurrency rule (see Pipe): nothing waits for an event loop, link() included. */
class ConcurrencyRuleTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @Test
    void linkReturnsAtOnceWhileThePipesLoopIsBusyAndWhatWasQueuedGoesFirst() throws Exception {
        try (Pipe sink = Pipes.udp().bind(LOOPBACK).open().join();
             Pipe a = Pipes.udp().dest(sink.localAddress()).open().join();
             Pipe b = Pipes.udp().dest(sink.localAddress()).open().join();
             Pipe peer = Pipes.udp().dest(a.localAddress()).open().join()) {
            sink.subscribe(Sub.ALL);
            // Queued in a's catch-all queue before the link: it must go down b first.
            peer.send("early".getBytes(UTF_8)).join();
            assertThat(a.recv(java.time.Duration.ofSeconds(5)).join().text()).isEqualTo("early");
            peer.send("queued".getBytes(UTF_8)).join();
            awaitQueued(a);

            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            a.loop.execute(() -> {
                held.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();
            try {
                // From a plain thread: before the rule, link waited here until the loop was free.
                CompletableFuture.runAsync(() -> a.link(b)).get(5, TimeUnit.SECONDS);
                assertThat(a.links()).as("in place at once, though the loop is busy").containsExactly(b);
                peer.send("late".getBytes(UTF_8)).join(); // read once the loop is free: after what was queued
            } finally {
                release.countDown();
            }

            assertThat(sink.recv(java.time.Duration.ofSeconds(5)).join().text()).isEqualTo("queued");
            assertThat(sink.recv(java.time.Duration.ofSeconds(5)).join().text()).isEqualTo("late");
            assertThat(a.stats().received()).isEqualTo(3);
        }
    }

    @Test
    void linkWithoutACatchAllQueueIsInPlaceWhenItReturns() {
        try (Pipe sink = Pipes.udp().bind(LOOPBACK).open().join();
             Pipe a = Pipes.udp().bind(LOOPBACK).msgHandler((m, p) -> null).open().join();
             Pipe b = Pipes.udp().dest(sink.localAddress()).open().join()) {
            a.link(b);
            assertThat(a.links()).containsExactly(b);
        }
    }

    /** Waits, bounded, until the message sent to {@code pipe} is in its queue (a loop task runs after the read). */
    private static void awaitQueued(Pipe pipe) throws Exception {
        for (int i = 0; i < 500 && !pipe.hasQueuedMessages(); i++) {
            pipe.loop.submit(() -> null).get(5, TimeUnit.SECONDS);
            Thread.onSpinWait();
        }
        assertThat(pipe.hasQueuedMessages()).isTrue();
    }
}
