package io.p2pd.pipe;

import java.net.ConnectException;

/** A TCP connect got no answer within {@code conTimeout}; a {@link ConnectException} like a refusal. */
public final class ConnectTimeoutException extends ConnectException {

    private static final long serialVersionUID = 1L;

    public ConnectTimeoutException(String message) {
        super(message);
    }
}
