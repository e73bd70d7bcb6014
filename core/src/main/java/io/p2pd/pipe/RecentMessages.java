package io.p2pd.pipe;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Duplicate suppression: remembers the last {@code capacity} (sender IP, bytes) pairs and evicts the oldest.
 *
 * <p>Messages are compared by their bytes, not by a digest, so two different messages are never taken for the same
 * one; the hash that finds the candidates is the cheap {@link Arrays#hashCode(byte[])}. Event loop only.
 */
final class RecentMessages {

    private final Map<Key, Boolean> seen;

    RecentMessages(int capacity) {
        this.seen = new LinkedHashMap<>(Math.min(capacity, 1 << 16) * 4 / 3 + 1, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    /** True when this message was seen recently (and so is a duplicate); otherwise remembers it. */
    synchronized boolean repeat(Message msg) {
        return seen.putIfAbsent(new Key(msg.sender().getAddress(), msg.data()), Boolean.TRUE) != null;
    }

    private record Key(InetAddress ip, byte[] data) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && ip.equals(k.ip) && Arrays.equals(data, k.data);
        }

        @Override
        public int hashCode() {
            return 31 * ip.hashCode() + Arrays.hashCode(data);
        }
    }
}
