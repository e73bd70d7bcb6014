package io.p2pd.node.punch;

import java.util.Objects;

/** Why a hole punch failed, and at which step. */
public final class PunchException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The step a punch failed at. */
    public enum Step {
        /** A side's external port cannot be predicted ({@link PunchFeasibility}); nothing was signalled. */
        PREDICTION_IMPOSSIBLE,
        /** The peer did not answer the punch request by signal in time. */
        NO_SIGNAL_ANSWER,
        /** No candidate connected (and proved) within the window. */
        NO_CONNECTION_IN_WINDOW,
        /** Connections were made but none completed the proof. */
        PROOF_FAILED,
        /** The node or the punch was closed first. */
        CLOSED
    }

    private final Step step;
    private final String detail;

    public PunchException(Step step, String message) {
        this(step, message, null);
    }

    public PunchException(Step step, String message, Throwable cause) {
        super(step + ": " + Objects.requireNonNull(message, "message"), cause);
        this.step = Objects.requireNonNull(step, "step");
        this.detail = message;
    }

    /** The message without its step: what failed, as given. */
    String detail() {
        return detail;
    }

    /** The step that failed. */
    public Step step() {
        return step;
    }
}
