package io.p2pd.internal;

import io.netty.util.internal.ThreadExecutorMap;
import io.p2pd.pipe.BlockingOnEventLoopException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The futures pipes hand out: waiting on one that is not done, on an event loop thread, throws
 * {@link BlockingOnEventLoopException} at once instead of hanging that loop (Netty's {@code checkDeadLock} idea).
 *
 * <p>Every stage derived from one ({@code thenApply}, {@code thenCompose}, {@code copy}, ...) is of this class too,
 * through {@link #newIncompleteFuture}. {@link #minimalCompletionStage} returns a copy, so that its
 * {@code toCompletableFuture()} keeps the check (the JDK's minimal stage would convert to a plain future).
 * Nothing else changes: completing, composing and {@code getNow} cost what they cost on a plain future; only the
 * waiting calls look at the thread, and only when the future is not done.
 *
 * <p>Not API (this package is not exported): it is public so that every package of the library (pipes, STUN, NAT)
 * hands out the same futures and asks the same question about the current thread.
 */
public final class LoopSafeFuture<T> extends CompletableFuture<T> {

    public LoopSafeFuture() {
    }

    public static <T> LoopSafeFuture<T> completed(T value) {
        LoopSafeFuture<T> f = new LoopSafeFuture<>();
        f.complete(value);
        return f;
    }

    public static <T> LoopSafeFuture<T> failed(Throwable error) {
        LoopSafeFuture<T> f = new LoopSafeFuture<>();
        f.completeExceptionally(error);
        return f;
    }

    /** {@code future} itself when it already checks, else a future that completes as it does. */
    public static <T> CompletableFuture<T> of(CompletableFuture<T> future) {
        if (future instanceof LoopSafeFuture<T>) {
            return future;
        }
        LoopSafeFuture<T> safe = new LoopSafeFuture<>();
        future.whenComplete((value, error) -> {
            if (error != null) {
                safe.completeExceptionally(error);
            } else {
                safe.complete(value);
            }
        });
        return safe;
    }

    /** Whether the current thread runs a Netty event loop (or other Netty event executor). */
    public static boolean onEventLoop() {
        return ThreadExecutorMap.currentExecutor() != null;
    }

    private void checkNotOnLoop(String call) {
        if (!isDone() && onEventLoop()) {
            throw new BlockingOnEventLoopException(call + " on event loop thread " + Thread.currentThread().getName()
                    + " would wait forever: this future completes on an event loop. Compose with thenCompose, or "
                    + "continue on another executor (thenApplyAsync(f, executor)) before blocking");
        }
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new LoopSafeFuture<>();
    }

    @Override
    public CompletionStage<T> minimalCompletionStage() {
        return copy();
    }

    @Override
    public T join() {
        checkNotOnLoop("join()");
        return super.join();
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        checkNotOnLoop("get()");
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        checkNotOnLoop("get(timeout)");
        return super.get(timeout, unit);
    }
}
