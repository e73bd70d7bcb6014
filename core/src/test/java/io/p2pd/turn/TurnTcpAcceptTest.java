package io.p2pd.turn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** How an incoming connection of a TCP relay reaches the accepts waiting for it (TurnTcpAllocation.handOver). */
class TurnTcpAcceptTest {

    @Test
    void anAcceptThatTimedOutOrWasCancelledIsSkippedAndTheLiveOneBehindItGetsTheConnection() {
        ArrayDeque<CompletableFuture<String>> waiting = new ArrayDeque<>();
        ArrayDeque<String> ready = new ArrayDeque<>();
        CompletableFuture<String> timedOut = new CompletableFuture<>();
        timedOut.completeExceptionally(new TimeoutException());
        CompletableFuture<String> cancelled = new CompletableFuture<>();
        cancelled.cancel(false);
        CompletableFuture<String> live = new CompletableFuture<>();
        waiting.add(timedOut);
        waiting.add(cancelled);
        waiting.add(live);

        TurnTcpAllocation.handOver("connection", waiting, ready);

        assertThat(live).isCompletedWithValue("connection");
        assertThat(ready).isEmpty();
        assertThat(waiting).isEmpty();
    }

    @Test
    void withOnlyDeadAcceptsWaitingTheConnectionIsQueuedAndTheDeadOnesDropped() {
        ArrayDeque<CompletableFuture<String>> waiting = new ArrayDeque<>();
        ArrayDeque<String> ready = new ArrayDeque<>();
        CompletableFuture<String> cancelled = new CompletableFuture<>();
        cancelled.cancel(false);
        waiting.add(cancelled);

        TurnTcpAllocation.handOver("connection", waiting, ready);

        assertThat(ready).containsExactly("connection");
        assertThat(waiting).isEmpty();
    }

    @Test
    void aConnectionGoesToTheFirstLiveAcceptOnly() {
        ArrayDeque<CompletableFuture<String>> waiting = new ArrayDeque<>();
        ArrayDeque<String> ready = new ArrayDeque<>();
        CompletableFuture<String> first = new CompletableFuture<>();
        CompletableFuture<String> second = new CompletableFuture<>();
        waiting.add(first);
        waiting.add(second);

        TurnTcpAllocation.handOver("connection", waiting, ready);

        assertThat(first).isCompletedWithValue("connection");
        assertThat(second).isNotDone();
        assertThat(waiting).containsExactly(second);
        assertThat(ready).isEmpty();
    }
}
