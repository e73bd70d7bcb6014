package io.p2pd.node.connect;

import java.io.IOException;
import java.util.Objects;

/**
 * A new connection between two nodes failed the node-key proof ({@link PeerProof}); the connection was closed.
 * {@link #reason()} says how it failed.
 */
public final class ProofFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    /** How a proof failed. */
    public enum Reason {
        /** The peer proved a key, but not the one of the node expected. */
        WRONG_PEER,
        /** The peer's signature does not check against the key it sent. */
        BAD_SIGNATURE,
        /** The peer asked for another session than the one expected. */
        WRONG_SESSION,
        /** The peer sent something that is not a proof: bad framing, sizes, version or fields. */
        MALFORMED,
        /**
         * The peer is the original P2PD's dialer: it sent its {@code P2P_CON_ID_EQ} line, which proves no key, so
         * the connection is refused (see {@link PeerProof}).
         */
        UNPROVEN_ORIGINAL,
        /**
         * This side or the peer chose another connection between the two nodes, proven first ({@link
         * PeerProof#runChoosing}).
         */
        NOT_CHOSEN,
        /** The proof did not end within its time limit. */
        TIMEOUT,
        /** The connection ended (closed by the peer, reset, or closed here) before the proof ended. */
        CLOSED
    }

    private final Reason reason;

    ProofFailedException(Reason reason, String message) {
        this(reason, message, null);
    }

    ProofFailedException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** How the proof failed. */
    public Reason reason() {
        return reason;
    }
}
