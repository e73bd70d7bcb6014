package io.p2pd.pipe;

import io.netty.channel.EventLoop;
import io.p2pd.internal.LoopSafeFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The queue of one subscription, and the {@code recv} calls waiting on it.
 *
 * <p>The event loop offers; any thread takes. A lock keeps both sides short and simple. A waiter that timed out is
 * skipped when a message arrives, so no message is handed to a future nobody reads.
 */
final class SubQueue {

    /**
     * What {@link #offer} did with a message. GONE: the queue was unsubscribed (no {@code recv} can reach it any
     * more), so it took nothing and the message is still the caller's to deliver.
     */
    enum Offer { DELIVERED, QUEUED, NOW_FULL, DROPPED_OLDEST, GONE }

    final Sub sub;
    /** Called (from the taking thread) when a full queue gets room again: reading may resume. */
    private final Runnable onRoom;
    private final int limit;
    private final boolean dropOldest;
    private final ArrayDeque<Message> messages = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Message>> waiters = new ArrayDeque<>();
    private Supplier<Throwable> closed;
    /** Unsubscribed: offers are refused (GONE), since nothing could take what they queued. */
    private boolean removed;

    SubQueue(Sub sub, int limit, boolean dropOldest, Runnable onRoom) {
        this.sub = sub;
        this.limit = limit;
        this.dropOldest = dropOldest;
        this.onRoom = onRoom;
    }

    Offer offer(Message msg) {
        // A waiter is completed outside the lock: its continuations may run here, and must not hold up takers.
        while (true) {
            CompletableFuture<Message> waiter;
            synchronized (this) {
                if (removed) {
                    return Offer.GONE;
                }
                waiter = waiters.poll();
                if (waiter == null) {
                    if (messages.size() >= limit && dropOldest) {
                        messages.poll();
                        messages.add(msg);
                        return Offer.DROPPED_OLDEST;
                    }
                    // A TCP queue grows past its limit only by what is in flight: the caller stops reading at NOW_FULL.
                    messages.add(msg);
                    return messages.size() >= limit ? Offer.NOW_FULL : Offer.QUEUED;
                }
            }
            if (waiter.complete(msg)) {
                return Offer.DELIVERED;
            }
        }
    }

    /**
     * Puts {@code msg} before every queued message (or hands it to the oldest waiting take): a message read earlier
     * than those, given back. Taken even when the queue is full or closed, as it was read before the end; refused
     * (GONE) once the queue is unsubscribed, as {@link #offer} is, since no {@code recv} could take it from there.
     */
    Offer offerFirst(Message msg) {
        while (true) {
            CompletableFuture<Message> waiter;
            synchronized (this) {
                if (removed) {
                    return Offer.GONE;
                }
                waiter = waiters.poll();
                if (waiter == null) {
                    messages.addFirst(msg);
                    return Offer.QUEUED;
                }
            }
            if (waiter.complete(msg)) {
                return Offer.DELIVERED;
            }
        }
    }

    /** The next message, waiting at most {@code timeout} (timed on {@code timer}). */
    CompletableFuture<Message> take(Duration timeout, EventLoop timer) {
        boolean hadNoRoom;
        CompletableFuture<Message> result;
        synchronized (this) {
            Message head = messages.poll();
            if (head != null) {
                hadNoRoom = messages.size() + 1 >= limit;
                result = LoopSafeFuture.completed(head);
            } else if (closed != null) {
                return LoopSafeFuture.failed(closed.get());
            } else {
                CompletableFuture<Message> waiter = new LoopSafeFuture<>();
                java.util.concurrent.ScheduledFuture<?> deadline;
                try {
                    deadline = timer.schedule(() -> {
                        if (waiter.completeExceptionally(new RecvTimeoutException(
                                "no message for " + sub + " within " + timeout.toMillis() + " ms"))) {
                            synchronized (this) {
                                waiters.remove(waiter);
                            }
                        }
                    }, timeout.toNanos(), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.RejectedExecutionException shutDown) {
                    return LoopSafeFuture.failed(new PipeClosedException(
                            "the event loop of this pipe has shut down", shutDown));
                }
                waiters.add(waiter);
                waiter.whenComplete((m, e) -> deadline.cancel(false));
                return waiter;
            }
        }
        if (hadNoRoom && !dropOldest) {
            onRoom.run();
        }
        return result;
    }

    /** Takes every queued message, oldest first. */
    synchronized java.util.List<Message> drain() {
        java.util.List<Message> all = java.util.List.copyOf(messages);
        messages.clear();
        return all;
    }

    synchronized boolean isFull() {
        return messages.size() >= limit;
    }

    synchronized int size() {
        return messages.size();
    }

    /**
     * Unsubscribes the queue, but only while it holds nothing: atomic with {@link #offer}, so every message is
     * either queued before (and the queue stays, for {@code recv}) or refused after (GONE). Returns whether it went.
     */
    boolean removeIfEmpty(Supplier<Throwable> error) {
        synchronized (this) {
            if (!messages.isEmpty()) {
                return false;
            }
            removed = true;
        }
        close(error);
        return true;
    }

    /** Unsubscribes the queue: waiting takes fail, later offers are refused (GONE). */
    void remove(Supplier<Throwable> error) {
        synchronized (this) {
            removed = true;
        }
        close(error);
    }

    /**
     * Ends the queue: waiting takes fail now; queued messages can still be taken (data that arrived before the end
     * is not lost), after which takes fail at once.
     */
    void close(Supplier<Throwable> error) {
        ArrayDeque<CompletableFuture<Message>> failing;
        synchronized (this) {
            if (closed != null) {
                return;
            }
            closed = error;
            failing = new ArrayDeque<>(waiters);
            waiters.clear();
        }
        failing.forEach(w -> w.completeExceptionally(error.get()));
    }
}
