package io.p2pd.turn;

/**
 * The server answered, but not as a TURN server: it refused the Allocate method itself (a STUN-only server answers
 * 400 Bad Request or 420 Unknown Attribute, say). {@link #code()} is its error code, when it gave one.
 */
public final class TurnNotSupportedException extends TurnException {
    private static final long serialVersionUID = 1L;
    private final int code;

    TurnNotSupportedException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The server's error code, or 0 when its answer had none. */
    public int code() {
        return code;
    }
}
