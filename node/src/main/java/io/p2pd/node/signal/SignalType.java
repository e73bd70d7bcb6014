package io.p2pd.node.signal;

/**
 * The original P2PD's signalling message types ({@code SIG_PROTO} in its {@code p2p_protocol.py}): the first byte
 * of a message's plaintext.
 */
public enum SignalType {
    /** {@code ConMsg}: asks the peer to dial us (reverse connect). */
    CONNECT(1),
    /** {@code TCPPunchMsg}: TCP hole punching details (punch mode, meeting time, port mappings). */
    TCP_PUNCH(2),
    /** {@code TURNMsg}: a TURN relay's addresses for the peer to allow. */
    TURN(3),
    /** {@code GetAddr}: asks the peer for its current address. */
    GET_ADDRESS(4),
    /** {@code ReturnAddr}: the answer to {@link #GET_ADDRESS}. */
    RETURN_ADDRESS(5);

    private final int code;

    SignalType(int code) {
        this.code = code;
    }

    /** The type byte on the wire. */
    public int code() {
        return code;
    }

    /** The type with this byte, or null when the original has none. */
    static SignalType ofCode(int code) {
        for (SignalType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
