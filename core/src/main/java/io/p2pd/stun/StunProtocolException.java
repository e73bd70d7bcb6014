package io.p2pd.stun;

/**
 * A response that matched our transaction but cannot be used: a success without any mapped address, an
 * error response without ERROR-CODE, or (TCP) a reply that does not decode or does not match.
 */
public final class StunProtocolException extends StunException {
    private static final long serialVersionUID = 1L;

    StunProtocolException(String message) {
        super(message);
    }
}
