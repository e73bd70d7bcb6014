package io.p2pd.cli;

import io.p2pd.pipe.Pipe;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The UDP forwarder's upstream sockets, one per client address. Each client's datagrams go out through its own
 * socket so the target's replies can be told apart; without limits a flood of source ports would hold one
 * descriptor each for ever. So an upstream is closed once neither way carried a datagram for {@code idle} (as
 * socat's {@code -T}), at most {@code capacity} are kept (the least recently used is closed to make room), and an
 * upstream whose open failed is forgotten at once, so the client's next datagram tries again.
 *
 * <p>Thread-safe: the forwarder's event loop uses it per datagram, a sweeper thread expires idle entries.
 */
final class UdpUpstreams implements AutoCloseable {

    private final Function<InetSocketAddress, CompletableFuture<Pipe>> opener;
    private final int capacity;
    private final long idleNanos;
    private final Consumer<InetSocketAddress> released;
    /** Access-ordered: iteration starts at the least recently used, so expiry stops at the first live entry. */
    private final LinkedHashMap<InetSocketAddress, Upstream> byClient = new LinkedHashMap<>(64, 0.75f, true);
    private final ScheduledExecutorService sweeper;
    private boolean closed;

    private static final class Upstream {
        final CompletableFuture<Pipe> pipe;
        long lastUsed;

        Upstream(CompletableFuture<Pipe> pipe, long lastUsed) {
            this.pipe = pipe;
            this.lastUsed = lastUsed;
        }
    }

    /**
     * @param opener   opens the upstream for a client (called at most once per live entry)
     * @param capacity most upstreams kept at once, at least 1
     * @param idle     how long an upstream may carry nothing before it is closed, positive
     * @param released told each client whose upstream was closed (once closed) or failed to open
     */
    UdpUpstreams(Function<InetSocketAddress, CompletableFuture<Pipe>> opener, int capacity, Duration idle,
                 Consumer<InetSocketAddress> released) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        if (idle.isNegative() || idle.isZero()) {
            throw new IllegalArgumentException("idle time must be positive, got " + idle);
        }
        this.opener = opener;
        this.capacity = capacity;
        this.idleNanos = idle.toNanos();
        this.released = released;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "p2pd-forward-expiry");
            t.setDaemon(true);
            return t;
        });
        // An entry lives at most a quarter of idle beyond it; at least every 10 ms so short test values work.
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), idleNanos / 4);
        sweeper.scheduleWithFixedDelay(this::expire, period, period, TimeUnit.NANOSECONDS);
    }

    /** The client's upstream, opened if it has none; counts as use. Fails once this table is closed. */
    CompletableFuture<Pipe> upstream(InetSocketAddress client) {
        List<Map.Entry<InetSocketAddress, Upstream>> dropped = new ArrayList<>();
        Upstream fresh;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("the forwarder is closed"));
            }
            long now = System.nanoTime();
            Upstream known = byClient.get(client);
            if (known != null) {
                known.lastUsed = now;
                return known.pipe;
            }
            expire(now, dropped);
            if (byClient.size() >= capacity) {
                Iterator<Map.Entry<InetSocketAddress, Upstream>> eldest = byClient.entrySet().iterator();
                Map.Entry<InetSocketAddress, Upstream> e = eldest.next();
                dropped.add(Map.entry(e.getKey(), e.getValue()));
                eldest.remove();
            }
            fresh = new Upstream(new CompletableFuture<>(), now);
            byClient.put(client, fresh);
        }
        // Pipes are opened and closed outside the lock: their futures may run code on the event loop at once.
        releaseAll(dropped);
        opener.apply(client).whenComplete((pipe, error) -> {
            if (error != null) {
                forget(client, fresh);
                fresh.pipe.completeExceptionally(error);
            } else {
                // An upstream that ends by itself is forgotten, so the client's next datagram opens a new one.
                pipe.addEndHandler(ended -> forget(client, fresh));
                fresh.pipe.complete(pipe);
            }
        });
        return fresh.pipe;
    }

    /** A reply came back to {@code client}: its upstream was used. */
    synchronized void used(InetSocketAddress client) {
        Upstream known = byClient.get(client);
        if (known != null) {
            known.lastUsed = System.nanoTime();
        }
    }

    /** How many upstreams are open or opening. */
    synchronized int size() {
        return byClient.size();
    }

    /** Closes every upstream; later calls to {@link #upstream} fail. */
    @Override
    public void close() {
        List<Map.Entry<InetSocketAddress, Upstream>> dropped;
        synchronized (this) {
            closed = true;
            dropped = byClient.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue())).toList();
            byClient.clear();
        }
        sweeper.shutdownNow();
        releaseAll(dropped);
    }

    private void expire() {
        List<Map.Entry<InetSocketAddress, Upstream>> dropped = new ArrayList<>();
        synchronized (this) {
            expire(System.nanoTime(), dropped);
        }
        releaseAll(dropped);
    }

    /** Moves the upstreams idle since before {@code now - idle} from the table to {@code dropped}. */
    private void expire(long now, List<Map.Entry<InetSocketAddress, Upstream>> dropped) {
        for (Iterator<Map.Entry<InetSocketAddress, Upstream>> i = byClient.entrySet().iterator(); i.hasNext(); ) {
            Map.Entry<InetSocketAddress, Upstream> e = i.next();
            if (now - e.getValue().lastUsed < idleNanos) {
                return;
            }
            dropped.add(Map.entry(e.getKey(), e.getValue()));
            i.remove();
        }
    }

    private void forget(InetSocketAddress client, Upstream which) {
        boolean removed;
        synchronized (this) {
            removed = byClient.remove(client, which);
        }
        if (removed) {
            release(client, which);
        }
    }

    private void releaseAll(List<Map.Entry<InetSocketAddress, Upstream>> dropped) {
        for (Map.Entry<InetSocketAddress, Upstream> e : dropped) {
            release(e.getKey(), e.getValue());
        }
    }

    /** Closes an upstream taken out of the table; {@code released} hears of it once its socket is closed. */
    private void release(InetSocketAddress client, Upstream upstream) {
        upstream.pipe.handle((pipe, error) -> pipe == null ? CompletableFuture.<Void>completedFuture(null)
                        : pipe.closeAsync().exceptionally(e -> null))
                .thenCompose(Function.identity())
                .whenComplete((ignored, e) -> released.accept(client));
    }
}
