package io.p2pd.turn;

/**
 * Why a TURN operation failed, other than I/O errors of the control socket, which pass through as they come.
 * Checked: every TURN outcome is one a caller must handle.
 */
public abstract sealed class TurnException extends Exception
        permits TurnErrorResponseException, TurnTimeoutException, TurnNotSupportedException, TurnProtocolException,
        TurnConnectionLostException {
    private static final long serialVersionUID = 1L;

    TurnException(String message) {
        super(message);
    }
}
