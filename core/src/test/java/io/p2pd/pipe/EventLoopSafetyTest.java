package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.p2pd.internal.LoopSafeFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Blocking on a pipe's future from an event loop fails fast instead of hanging the loop. The pipes run on a group of
 * their own, so that if the check were missing, the one hung loop would not be one other tests share.
 */
class EventLoopSafetyTest {

    private IoEventLoopGroup group;
    private PipeConf conf;

    @BeforeEach
    void ownLoop() {
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("safety", true), NioIoHandler.newFactory());
        conf = PipeConf.builder().loop(group).recvTimeout(Duration.ofSeconds(2)).build();
    }

    @AfterEach
    void shutDown() {
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS); // not awaited: a hung loop must not hang the test
    }

    @Test
    void joiningARecvInsideAContinuationFailsAtOnce() throws Exception {
        Pipe server = Pipes.udp().bind(new InetSocketAddress("127.0.0.1", 0)).conf(conf).open()
                .get(5, TimeUnit.SECONDS);
        try {
            server.subscribe(Sub.ALL);
            CompletableFuture<Message> nested = server.recv().thenApply(first -> server.recv().join());
            Pipe client = Pipes.udp().dest(server.localAddress()).conf(conf).open()
                    .get(5, TimeUnit.SECONDS);
            client.send("one".getBytes(UTF_8)).get(5, TimeUnit.SECONDS);
            client.closeAsync();

            // Bounded: without the check the loop would hang and this would time out, not hang the test.
            Throwable failure = failureWithin(nested);
            assertThat(failure).isExactlyInstanceOf(BlockingOnEventLoopException.class)
                    .hasMessageContaining("join() on event loop thread safety-")
                    .hasMessageContaining("thenCompose");
        } finally {
            server.closeAsync(); // not close(), which waits: with the check missing the loop would be stuck
        }
    }

    @Test
    void everyWaitingCallAndDerivedStageChecksButDoneFuturesAndOtherThreadsDoNot() throws Exception {
        Pipe server = Pipes.udp().bind(new InetSocketAddress("127.0.0.1", 0)).conf(conf).open()
                .get(5, TimeUnit.SECONDS);
        try {
            server.subscribe(Sub.ALL);
            CompletableFuture<Message> pending = server.recv(Duration.ofSeconds(30));
            CompletionStage<Message> minimal = pending.minimalCompletionStage();
            CompletableFuture<Object> onLoop = CompletableFuture.supplyAsync(() -> {
                int refused = 0;
                for (Runnable wait : new Runnable[] {
                        pending::join,
                        () -> uncheckedGet(pending),
                        () -> uncheckedGetWithTimeout(pending),
                        () -> pending.thenApply(Message::text).join(),
                        () -> pending.copy().join(),
                        () -> minimal.toCompletableFuture().join()}) {
                    try {
                        wait.run();
                    } catch (BlockingOnEventLoopException expected) {
                        refused++;
                    }
                }
                // A future that is done has nothing to wait for: that join is allowed on a loop.
                return refused + " " + CompletableFuture.completedFuture("x").thenApply(s -> s).join()
                        + " " + LoopSafeFuture.completed("done").join();
            }, group.next());
            assertThat(onLoop.get(5, TimeUnit.SECONDS)).isEqualTo("6 x done");

            // Off the loop, waiting is what it always was.
            try (Pipe client = Pipes.udp().dest(server.localAddress()).conf(conf).open()
                    .get(5, TimeUnit.SECONDS)) {
                client.send("two".getBytes(UTF_8)).join();
            }
            assertThat(pending.get(5, TimeUnit.SECONDS).text()).isEqualTo("two");
            assertThat(minimal.toCompletableFuture().join().text()).isEqualTo("two");
        } finally {
            server.closeAsync();
        }
    }

    private static Throwable failureWithin(CompletableFuture<?> future) throws InterruptedException, TimeoutException {
        try {
            future.get(5, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + future.resultNow());
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    private static void uncheckedGet(CompletableFuture<?> f) {
        try {
            f.get();
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    private static void uncheckedGetWithTimeout(CompletableFuture<?> f) {
        try {
            f.get(1, TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError(e);
        }
    }
}
