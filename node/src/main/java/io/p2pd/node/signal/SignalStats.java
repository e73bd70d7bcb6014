package io.p2pd.node.signal;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of what a {@link SignalInbox} did with the messages it was given. Immutable.
 *
 * @param accepted messages accepted
 * @param dropped messages dropped, per reason (every reason present, zero or more)
 */
public record SignalStats(long accepted, Map<SignalDrop, Long> dropped) {

    /** Copies the counts; reasons left out count zero. */
    public SignalStats {
        EnumMap<SignalDrop, Long> all = new EnumMap<>(SignalDrop.class);
        for (SignalDrop d : SignalDrop.values()) {
            all.put(d, dropped.getOrDefault(d, 0L));
        }
        dropped = Collections.unmodifiableMap(all);
    }

    /** Messages dropped for {@code reason}. */
    public long dropped(SignalDrop reason) {
        return dropped.get(reason);
    }

    /** Messages dropped for any reason. */
    public long droppedTotal() {
        return dropped.values().stream().mapToLong(Long::longValue).sum();
    }
}
