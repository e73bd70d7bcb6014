package io.p2pd.stun;

import io.p2pd.net.HostPort;
import java.net.InetSocketAddress;

/** The server answered with an error response (e.g. 420 Unknown Attribute, 400 Bad Request). */
public final class StunErrorResponseException extends StunException {
    private static final long serialVersionUID = 1L;
    private final transient InetSocketAddress server;
    private final StunErrorCode error;

    StunErrorResponseException(InetSocketAddress server, StunErrorCode error) {
        super("STUN error response from " + HostPort.of(server) + ": " + error);
        this.server = server;
        this.error = error;
    }

    public InetSocketAddress server() {
        return server;
    }

    public StunErrorCode error() {
        return error;
    }

    public int code() {
        return error.code();
    }

    public String reason() {
        return error.reason();
    }
}
