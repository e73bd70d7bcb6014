package io.p2pd.node.connect.internal;

import io.p2pd.node.connect.ProvenPipe;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * A strategy's attempt that says what it is waiting for, so that a connect's deadline reports that (the signal that
 * did not go out, the peer that did not dial back) rather than only the time that passed.
 */
final class StagedAttempt extends CompletableFuture<ProvenPipe> {
    /** What the attempt waits for and whether that is a broker's acknowledgement; one value, so never torn. */
    private record Stage(String waitingFor, boolean signal) {
    }

    private volatile Stage stage;

    private StagedAttempt(String what, boolean signal) {
        this.stage = new Stage(what, signal);
    }

    /** An attempt waiting for {@code what} (said as what did not happen: "no TCP relay allocated yet"). */
    static StagedAttempt waitingFor(String what) {
        return new StagedAttempt(what, false);
    }

    /** An attempt waiting for a broker to acknowledge the signal {@code what} it is about to send. */
    static StagedAttempt signalling(String what) {
        return new StagedAttempt(what, true);
    }

    /** From now on, waiting for {@code what} (said as what did not happen: "the peer did not dial back"). */
    void waiting(String what) {
        this.stage = new Stage(what, false);
    }

    /** From now on, waiting for a broker to acknowledge the signal {@code what} ("the TURN signal"). */
    void sending(String what) {
        this.stage = new Stage(what, true);
    }

    /**
     * Why this attempt failed when {@code deadline} passed before it ended: a signal no broker acknowledged is an
     * {@link IOException} naming it (the brokers are down or unreachable, the peer was never asked), anything else
     * a {@link TimeoutException} naming what did not happen.
     */
    Throwable deadlinePassed(Duration deadline) {
        Stage now = stage;
        String waitingFor = now.waitingFor();
        TimeoutException timeout = new TimeoutException("not connected within the deadline of "
                + deadline.toMillis() + " ms: " + waitingFor);
        if (!now.signal()) {
            return timeout;
        }
        return new IOException(waitingFor + " did not go out: no broker acknowledged it within the deadline of "
                + deadline.toMillis() + " ms (the brokers are down, unreachable or too slow)", timeout);
    }

    /** As {@link #deadlinePassed} for {@code attempt} when it is staged, else a plain timeout. */
    static Throwable deadlinePassed(CompletableFuture<ProvenPipe> attempt, Duration deadline) {
        return attempt instanceof StagedAttempt s ? s.deadlinePassed(deadline)
                : new TimeoutException("not connected within the deadline of " + deadline.toMillis() + " ms");
    }
}
