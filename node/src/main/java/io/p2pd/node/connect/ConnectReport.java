package io.p2pd.node.connect;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.stream.Collectors;

/**
 * What a connect did: the strategy that won (if any), how long it took, and why each other strategy did not win.
 *
 * @param winner the strategy whose connection was proven first; empty when none was
 * @param took from the connect call to the win, or to the failure
 * @param failures why each other strategy chosen did not win: its own failure (the cause), a
 *     {@link StrategySkippedException} when it was not started (with the reason), or a {@link CancellationException}
 *     when it was stopped because another won first
 */
public record ConnectReport(Optional<Strategy> winner, Duration took, Map<Strategy, Throwable> failures) {

    public ConnectReport {
        Objects.requireNonNull(winner, "winner");
        Objects.requireNonNull(took, "took");
        Map<Strategy, Throwable> copy = new EnumMap<>(Strategy.class);
        copy.putAll(failures);
        failures = Collections.unmodifiableMap(copy);
    }

    /** One line: {@code direct won in 12 ms; reverse: stopped (another strategy won)}. */
    public String summary() {
        String head = winner.map(w -> w.label() + " won in " + took.toMillis() + " ms")
                .orElse("no strategy connected in " + took.toMillis() + " ms");
        if (failures.isEmpty()) {
            return head;
        }
        return head + "; " + failures.entrySet().stream()
                .map(e -> e.getKey().label() + ": " + why(e.getValue()))
                .collect(Collectors.joining("; "));
    }

    static String why(Throwable e) {
        if (e instanceof CancellationException) {
            return "stopped (another strategy won)";
        }
        if (e instanceof StrategySkippedException) {
            return "skipped (" + e.getMessage() + ")";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
