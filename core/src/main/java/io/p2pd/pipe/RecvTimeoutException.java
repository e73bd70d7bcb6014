package io.p2pd.pipe;

import java.util.concurrent.TimeoutException;

/** No message matching the subscription arrived within the time {@code recv} was given. */
public final class RecvTimeoutException extends TimeoutException {

    private static final long serialVersionUID = 1L;

    public RecvTimeoutException(String message) {
        super(message);
    }
}
