package io.p2pd.node.connect;

import java.io.IOException;
import java.util.Objects;

/** No strategy of a connect gave a proven connection by the deadline; {@link #report()} says why each failed. */
public final class ConnectException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient ConnectReport report;

    /** A failure to connect to node {@code peer}, with what each strategy did. */
    public ConnectException(String peer, ConnectReport report) {
        super("cannot connect to node " + peer + ": " + report.summary());
        this.report = Objects.requireNonNull(report, "report");
    }

    /** Why each strategy failed. */
    public ConnectReport report() {
        return report;
    }
}
