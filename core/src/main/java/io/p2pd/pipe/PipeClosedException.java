package io.p2pd.pipe;

import java.io.IOException;

/** The pipe was closed (by either side or by an error) before or while the operation ran. */
public final class PipeClosedException extends IOException {

    private static final long serialVersionUID = 1L;

    public PipeClosedException(String message) {
        super(message);
    }

    public PipeClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
