package io.p2pd.turn;

/**
 * An answer that cannot be used: a success response that was not signed with our key (dropped, so the request
 * timed out with only such answers), an Allocate success without XOR-RELAYED-ADDRESS, a server that allocated
 * without asking for credentials.
 */
public final class TurnProtocolException extends TurnException {
    private static final long serialVersionUID = 1L;

    TurnProtocolException(String message) {
        super(message);
    }
}
