package io.p2pd.pipe;

import java.io.IOException;

/** A framed TCP peer sent a frame larger than {@code readerLimit}; the connection was closed. */
public final class FrameTooLongException extends IOException {

    private static final long serialVersionUID = 1L;

    public FrameTooLongException(String message) {
        super(message);
    }
}
