package io.p2pd.node;

import java.io.IOException;

/**
 * A node could not start: {@link #option()} names the builder option to look at (e.g. {@code listenPort} when the
 * port is taken, {@code interfaces} when there is none to use, {@code key} when the key file cannot be read).
 */
public final class NodeStartException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String option;

    /** A failure tied to {@code option}, with the cause (may be null). */
    public NodeStartException(String option, String message, Throwable cause) {
        super(option + ": " + message, cause);
        this.option = option;
    }

    /** The builder option the failure is about. */
    public String option() {
        return option;
    }
}
