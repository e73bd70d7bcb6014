package io.p2pd.stun;

/**
 * Why a STUN request failed (other than I/O errors of the transport, which are passed through as they
 * come, e.g. {@link java.net.ConnectException} for TCP).
 */
public abstract sealed class StunException extends Exception
        permits StunTimeoutException, StunErrorResponseException, StunProtocolException, StunQuorumException {
    private static final long serialVersionUID = 1L;

    StunException(String message) {
        super(message);
    }
}
