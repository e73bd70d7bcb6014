package io.p2pd.node.signal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Ids of accepted messages until they expire, with a hash of the wire bytes each came in, so a second copy can be
 * told a {@link SignalDrop#DUPLICATE} (same bytes) or {@link SignalDrop#REPLAYED} (same content, other bytes).
 * Bounded: at {@code capacity} the id that expires soonest is forgotten and {@code horizon} rises to its expiry;
 * a new message expiring at or before the horizon cannot be checked and is refused. Thread-safe (one lock; each
 * call is O(log n)).
 */
final class ReplayCache {

    /** What the cache says of a message. */
    enum Verdict { NEW, DUPLICATE, REPLAYED, WINDOW_FULL }

    private record Entry(String id, long expiresAt, byte[] wireHash) {}

    private final int capacity;
    private final Map<String, Entry> byId = new HashMap<>();
    private final PriorityQueue<Entry> byExpiry =
            new PriorityQueue<>((a, b) -> Long.compare(a.expiresAt, b.expiresAt));
    private long horizon = Long.MIN_VALUE;

    ReplayCache(int capacity) {
        this.capacity = capacity;
    }

    /**
     * Checks a message and, when new, remembers it until {@code expiresAt} (seconds; after that the ttl check
     * drops it anyway).
     */
    synchronized Verdict check(String id, long expiresAt, byte[] wireHash, long now) {
        while (!byExpiry.isEmpty() && byExpiry.peek().expiresAt <= now) {
            byId.remove(byExpiry.poll().id);
        }
        Entry seen = byId.get(id);
        if (seen != null) {
            return Arrays.equals(seen.wireHash, wireHash) ? Verdict.DUPLICATE : Verdict.REPLAYED;
        }
        if (expiresAt <= horizon) {
            return Verdict.WINDOW_FULL;
        }
        Entry e = new Entry(id, expiresAt, wireHash);
        byId.put(id, e);
        byExpiry.add(e);
        if (byId.size() > capacity) {
            Entry forgotten = byExpiry.poll();
            byId.remove(forgotten.id);
            horizon = Math.max(horizon, forgotten.expiresAt);
        }
        return Verdict.NEW;
    }

    synchronized int size() {
        return byId.size();
    }
}
