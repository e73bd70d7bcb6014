package io.p2pd.node.connect;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How {@code Node.connect} reaches a peer: which strategies it races and the deadline for all of them.
 *
 * @param strategies the strategies to start, all at once; at least one
 * @param deadline how long the whole connect may take, from the call
 */
public record ConnectOptions(Set<Strategy> strategies, Duration deadline) {

    /** The deadline of {@link #defaults()}. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);

    /**
     * Checks the options.
     *
     * @throws IllegalArgumentException when no strategy is given or the deadline is not positive
     */
    public ConnectOptions {
        Objects.requireNonNull(strategies, "strategies");
        Objects.requireNonNull(deadline, "deadline");
        if (strategies.isEmpty()) {
            throw new IllegalArgumentException("strategies: at least one is needed");
        }
        strategies = java.util.Collections.unmodifiableSet(EnumSet.copyOf(strategies));
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("deadline: must be positive, not " + deadline);
        }
    }

    /** Direct and reverse, within {@link #DEFAULT_DEADLINE}. */
    public static ConnectOptions defaults() {
        return new ConnectOptions(EnumSet.of(Strategy.DIRECT, Strategy.REVERSE), DEFAULT_DEADLINE);
    }

    /** These strategies within {@link #DEFAULT_DEADLINE}. */
    public static ConnectOptions of(Strategy first, Strategy... more) {
        return new ConnectOptions(EnumSet.of(first, more), DEFAULT_DEADLINE);
    }

    /** These options with another deadline. */
    public ConnectOptions withDeadline(Duration newDeadline) {
        return new ConnectOptions(strategies, newDeadline);
    }

    /** These options with other strategies. */
    public ConnectOptions withStrategies(List<Strategy> newStrategies) {
        return new ConnectOptions(newStrategies.isEmpty() ? Set.of() : EnumSet.copyOf(newStrategies), deadline);
    }
}
