package io.p2pd.stun;

/**
 * The only exception {@link StunMessage#decode} throws: the bytes are not a well-formed STUN message.
 * A {@link StunException} like every STUN failure. The message says what was wrong; {@link #offset()} says
 * where (byte offset in the input).
 */
public final class StunDecodeException extends StunException {
    private static final long serialVersionUID = 1L;
    private final int offset;

    StunDecodeException(String problem, int offset) {
        super(problem + " (at offset " + offset + ")");
        this.offset = offset;
    }

    /** Byte offset in the decoded input where the problem was found. */
    public int offset() {
        return offset;
    }
}
