package io.p2pd.node.connect;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.stream.Collectors;

/**
 * What a connect did: the strategy that won (if any), over which pair of addresses, how long it took, and why each
 * other strategy did not win.
 *
 * @param winner the strategy whose connection was proven first; empty when none was
 * @param took from the connect call to the win, or to the failure
 * @param failures why each other strategy chosen did not win: its own failure (the cause), a
 *     {@link StrategySkippedException} when it was not started (with the reason), or a {@link CancellationException}
 *     when it was stopped because another won first
 * @param local the winning connection's local address (this node's interface); empty when none won
 * @param remote the winning connection's remote address: the peer's (direct, reverse, punch), or the TURN server's
 *     (relay); empty when none won
 */
public record ConnectReport(Optional<Strategy> winner, Duration took, Map<Strategy, Throwable> failures,
        Optional<InetSocketAddress> local, Optional<InetSocketAddress> remote) {

    public ConnectReport {
        Objects.requireNonNull(winner, "winner");
        Objects.requireNonNull(took, "took");
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(remote, "remote");
        Map<Strategy, Throwable> copy = new EnumMap<>(Strategy.class);
        copy.putAll(failures);
        failures = Collections.unmodifiableMap(copy);
    }

    /** A report without the addresses (a failure, or a connection accepted). */
    public ConnectReport(Optional<Strategy> winner, Duration took, Map<Strategy, Throwable> failures) {
        this(winner, took, failures, Optional.empty(), Optional.empty());
    }

    /**
     * One line: {@code direct won in 12 ms (127.0.0.1 port 40112 to 127.0.0.1 port 5300); reverse: stopped (another
     * strategy won)}.
     */
    public String summary() {
        String pair = local.isPresent() && remote.isPresent() ? " (" + show(local.get()) + " to " + show(remote.get())
                + ")" : "";
        String head = winner.map(w -> w.label() + " won in " + took.toMillis() + " ms" + pair)
                .orElse("no strategy connected in " + took.toMillis() + " ms");
        if (failures.isEmpty()) {
            return head;
        }
        return head + "; " + failures.entrySet().stream()
                .map(e -> e.getKey().label() + ": " + why(e.getValue()))
                .collect(Collectors.joining("; "));
    }

    private static String show(InetSocketAddress a) {
        return (a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress()) + " port " + a.getPort();
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
