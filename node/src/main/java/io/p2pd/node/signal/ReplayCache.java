package io.p2pd.node.signal;

import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Ids of accepted messages until they expire, per sender (the node id a message names as its source: the id covers
 * it, so a replay comes under the same sender), with a hash of the wire bytes each came in, so a second copy can be
 * told a {@link SignalDrop#DUPLICATE} (same bytes) or {@link SignalDrop#REPLAYED} (same content, other bytes).
 *
 * <p>Bounded: at {@code capacity} ids it forgets the id expiring soonest of the sender holding the most (of equal
 * senders, the one first seen last), and that sender's horizon rises to its expiry: a new message from that sender
 * expiring at or before its horizon cannot be checked and is refused. So a flood costs only the flooder: a sender
 * holding fewer ids than it is never touched. Senders whose ids were all forgotten are kept with their horizon
 * until it passes, up to {@code 2 * capacity} of them; beyond that the one whose horizon ends soonest is forgotten
 * and the {@code floor} for senders we hold nothing of rises to its horizon (only a flood from that many fresh keys
 * reaches it). Thread-safe (one lock; each call is O(log n) amortised).
 */
final class ReplayCache {

    /** What the cache says of a message. */
    enum Verdict { NEW, DUPLICATE, REPLAYED, WINDOW_FULL }

    private static final class Entry {
        final String id;
        final long expiresAt;
        final byte[] wireHash;
        final Sender sender;
        final long seq;

        Entry(String id, long expiresAt, byte[] wireHash, Sender sender, long seq) {
            this.id = id;
            this.expiresAt = expiresAt;
            this.wireHash = wireHash;
            this.sender = sender;
            this.seq = seq;
        }
    }

    private static final class Sender {
        final String name;
        final long seq;
        final Map<String, Entry> byId = new HashMap<>();
        final TreeSet<Entry> byExpiry = new TreeSet<>(BY_EXPIRY);
        long horizon = Long.MIN_VALUE;

        Sender(String name, long seq) {
            this.name = name;
            this.seq = seq;
        }
    }

    private static final Comparator<Entry> BY_EXPIRY =
            Comparator.<Entry>comparingLong(e -> e.expiresAt).thenComparingLong(e -> e.seq);
    /** The sender to forget from first: most ids, then the one first seen last (a fresh key of a flood). */
    private static final Comparator<Sender> EVICT_FIRST =
            Comparator.<Sender>comparingInt(s -> -s.byId.size()).thenComparingLong(s -> -s.seq);
    private static final Comparator<Sender> BY_HORIZON =
            Comparator.<Sender>comparingLong(s -> s.horizon).thenComparingLong(s -> s.seq);

    private final int capacity;
    private final int maxSenders;
    private final Map<String, Sender> senders = new HashMap<>();
    private final TreeSet<Entry> allByExpiry = new TreeSet<>(BY_EXPIRY);
    /** Senders holding ids; their order changes with their size, so each is taken out before it changes. */
    private final TreeSet<Sender> holding = new TreeSet<>(EVICT_FIRST);
    /** Senders holding no id, kept for their horizon. */
    private final TreeSet<Sender> idle = new TreeSet<>(BY_HORIZON);
    private long floor = Long.MIN_VALUE;
    private long nextSeq;

    ReplayCache(int capacity) {
        this.capacity = capacity;
        this.maxSenders = 2 * capacity;
    }

    /**
     * Checks a message from {@code sender} and, when new, remembers it until {@code expiresAt} (seconds; after that
     * the ttl check drops it anyway).
     */
    synchronized Verdict check(String sender, String id, long expiresAt, byte[] wireHash, long now) {
        expire(now);
        Sender s = senders.get(sender);
        if (s != null) {
            Entry seen = s.byId.get(id);
            if (seen != null) {
                return Arrays.equals(seen.wireHash, wireHash) ? Verdict.DUPLICATE : Verdict.REPLAYED;
            }
            if (expiresAt <= s.horizon) {
                return Verdict.WINDOW_FULL;
            }
        } else if (expiresAt <= floor) {
            return Verdict.WINDOW_FULL;
        }
        if (s == null) {
            s = new Sender(sender, nextSeq++);
            senders.put(sender, s);
        } else if (s.byId.isEmpty()) {
            idle.remove(s);
        } else {
            holding.remove(s);
        }
        Entry e = new Entry(id, expiresAt, wireHash, s, nextSeq++);
        s.byId.put(id, e);
        s.byExpiry.add(e);
        allByExpiry.add(e);
        holding.add(s);
        if (allByExpiry.size() > capacity) {
            forgetOne(holding.first());
        }
        while (senders.size() > maxSenders) {
            Sender gone = idle.pollFirst();
            senders.remove(gone.name);
            floor = Math.max(floor, gone.horizon);
        }
        return Verdict.NEW;
    }

    /** Forgets the id of {@code s} expiring soonest, raising its horizon to that expiry. */
    private void forgetOne(Sender s) {
        holding.remove(s);
        Entry e = s.byExpiry.pollFirst();
        s.byId.remove(e.id);
        allByExpiry.remove(e);
        s.horizon = Math.max(s.horizon, e.expiresAt);
        park(s);
    }

    private void expire(long now) {
        while (!allByExpiry.isEmpty() && allByExpiry.first().expiresAt <= now) {
            Entry e = allByExpiry.pollFirst();
            Sender s = e.sender;
            holding.remove(s);
            s.byExpiry.remove(e);
            s.byId.remove(e.id);
            park(s);
        }
        while (!idle.isEmpty() && idle.first().horizon <= now) {
            senders.remove(idle.pollFirst().name);
        }
    }

    /** Files {@code s}, just taken out of {@link #holding}, by what it now holds. */
    private void park(Sender s) {
        if (!s.byId.isEmpty()) {
            holding.add(s);
        } else if (s.horizon != Long.MIN_VALUE) {
            idle.add(s);
        } else {
            senders.remove(s.name);
        }
    }

    synchronized int size() {
        return allByExpiry.size();
    }

    synchronized int senders() {
        return senders.size();
    }
}
