package io.p2pd.stun;

/**
 * Why a STUN request failed (other than I/O errors of the transport, which are passed through as they
 * come, e.g. {@link java.net.ConnectException} for TCP), or why bytes are not a STUN message
 * ({@link StunDecodeException}). Checked: every STUN outcome is one a caller must handle.
 */
public abstract sealed class StunException extends Exception
        permits StunTimeoutException, StunErrorResponseException, StunProtocolException, StunQuorumException,
        StunDecodeException {
    private static final long serialVersionUID = 1L;

    StunException(String message) {
        super(message);
    }
}
