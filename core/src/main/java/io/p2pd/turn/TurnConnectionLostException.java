package io.p2pd.turn;

/**
 * The TCP or TLS control connection to the TURN server ended (the server closed or reset it, or it sent bytes that are
 * neither STUN nor ChannelData): the allocation lives only as long as that connection (RFC 8656 section 3.1), so it
 * and its relayed pipe end.
 */
public final class TurnConnectionLostException extends TurnException {
    private static final long serialVersionUID = 1L;

    TurnConnectionLostException(String message) {
        super(message);
    }
}
