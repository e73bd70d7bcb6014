package io.p2pd.node.connect;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How {@code Node.connect} reaches a peer: which strategies it races, when each starts, and the deadline for all of
 * them. The race follows Happy Eyeballs (RFC 8305): {@link Strategy#DIRECT} and {@link Strategy#REVERSE} start at
 * once; {@link Strategy#PUNCH} starts after {@code punchDelay}, only when the two NATs allow a punch; the
 * {@link Strategy#RELAY} allocation is made at once in the background and used after {@code relayDelay}, or as soon
 * as every other strategy has failed.
 *
 * @param strategies the strategies to race; at least one. Those the node cannot use (no broker for reverse, no TURN
 *     server for relay, punching not plugged in) are reported as skipped, with the reason
 * @param deadline how long the whole connect may take, from the call
 * @param punchDelay how long after the call punching starts
 * @param relayDelay how long after the call the relay is used, unless every other strategy has failed before
 */
public record ConnectOptions(Set<Strategy> strategies, Duration deadline, Duration punchDelay, Duration relayDelay) {

    /** The deadline of {@link #defaults()}: 10 s. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);
    /** The punch delay of {@link #defaults()}: 250 ms, time for a direct or reverse connection on a good path. */
    public static final Duration DEFAULT_PUNCH_DELAY = Duration.ofMillis(250);
    /** The relay delay of {@link #defaults()}: 2 s, as a relay costs the TURN server's bandwidth for its life. */
    public static final Duration DEFAULT_RELAY_DELAY = Duration.ofSeconds(2);

    /**
     * Checks the options.
     *
     * @throws IllegalArgumentException when no strategy is given, the deadline is not positive, or a delay is
     *     negative
     */
    public ConnectOptions {
        Objects.requireNonNull(strategies, "strategies");
        Objects.requireNonNull(deadline, "deadline");
        Objects.requireNonNull(punchDelay, "punchDelay");
        Objects.requireNonNull(relayDelay, "relayDelay");
        if (strategies.isEmpty()) {
            throw new IllegalArgumentException("strategies: at least one is needed");
        }
        strategies = java.util.Collections.unmodifiableSet(EnumSet.copyOf(strategies));
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("deadline: must be positive, not " + deadline);
        }
        if (punchDelay.isNegative()) {
            throw new IllegalArgumentException("punchDelay: must not be negative, not " + punchDelay);
        }
        if (relayDelay.isNegative()) {
            throw new IllegalArgumentException("relayDelay: must not be negative, not " + relayDelay);
        }
    }

    /** These strategies within this deadline, with the default delays. */
    public ConnectOptions(Set<Strategy> strategies, Duration deadline) {
        this(strategies, deadline, DEFAULT_PUNCH_DELAY, DEFAULT_RELAY_DELAY);
    }

    /** Every strategy, within {@link #DEFAULT_DEADLINE}, with the default delays. */
    public static ConnectOptions defaults() {
        return new ConnectOptions(EnumSet.allOf(Strategy.class), DEFAULT_DEADLINE);
    }

    /** These strategies within {@link #DEFAULT_DEADLINE}, with the default delays. */
    public static ConnectOptions of(Strategy first, Strategy... more) {
        return new ConnectOptions(EnumSet.of(first, more), DEFAULT_DEADLINE);
    }

    /** These options with another deadline. */
    public ConnectOptions withDeadline(Duration newDeadline) {
        return new ConnectOptions(strategies, newDeadline, punchDelay, relayDelay);
    }

    /** These options with other strategies. */
    public ConnectOptions withStrategies(List<Strategy> newStrategies) {
        return new ConnectOptions(newStrategies.isEmpty() ? Set.of() : EnumSet.copyOf(newStrategies), deadline,
                punchDelay, relayDelay);
    }

    /** These options with another punch delay. */
    public ConnectOptions withPunchDelay(Duration delay) {
        return new ConnectOptions(strategies, deadline, delay, relayDelay);
    }

    /** These options with another relay delay. */
    public ConnectOptions withRelayDelay(Duration delay) {
        return new ConnectOptions(strategies, deadline, punchDelay, delay);
    }
}
