package io.p2pd.nat;

import java.util.Objects;

/** NAT detection could not give an answer; {@link #reason()} says why, the cause (when any) has the details. */
public final class NatDetectionException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why detection failed. */
    public enum Reason {
        /** {@link NatConfig#timeLimit()} passed before the tests were done. */
        TIME_LIMIT,
        /** Servers answered, but none gave an alternate address (OTHER-ADDRESS or CHANGED-ADDRESS). */
        NO_ALTERNATE,
        /** A server answered wrongly: an error response, or a CHANGE-REQUEST answered from the same address. */
        SERVER_ERROR,
        /** Behind a filtering NAT, the server's alternate address did not answer: the mapping cannot be told. */
        INCONCLUSIVE,
        /** The local socket could not be opened (the cause is the I/O error, e.g. a BindException). */
        SOCKET
    }

    private final Reason reason;

    NatDetectionException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
