package io.p2pd.node.connect;

import java.io.IOException;

/**
 * In a {@link ConnectReport}: a strategy the connect did not start, and why (the node has no TURN server, the two
 * NATs cannot punch, ...).
 */
public final class StrategySkippedException extends IOException {
    private static final long serialVersionUID = 1L;

    /** A strategy skipped for {@code reason}. */
    public StrategySkippedException(String reason) {
        super(reason);
    }
}
