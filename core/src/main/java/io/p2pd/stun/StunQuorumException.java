package io.p2pd.stun;

import java.util.List;

/**
 * Asking several servers did not give an answer enough of them agree on. {@link #failures()} holds why each
 * failing server failed; the servers that did answer disagreed.
 */
public final class StunQuorumException extends StunException {
    private static final long serialVersionUID = 1L;
    private final transient List<Throwable> failures;

    StunQuorumException(String message, List<Throwable> failures) {
        super(message);
        this.failures = List.copyOf(failures);
        failures.forEach(this::addSuppressed);
    }

    public List<Throwable> failures() {
        return failures;
    }
}
