package io.p2pd.stun;

import io.p2pd.net.HostPort;
import java.net.InetSocketAddress;
import java.time.Duration;

/** No matching response from {@link #server()} within {@link #timeLimit()}. */
public final class StunTimeoutException extends StunException {
    private static final long serialVersionUID = 1L;
    private final transient InetSocketAddress server;
    private final Duration timeLimit;

    StunTimeoutException(InetSocketAddress server, Duration timeLimit, int transmissions) {
        super("no STUN response from " + HostPort.of(server) + " within " + timeLimit.toMillis() + " ms ("
                + transmissions + " transmission" + (transmissions == 1 ? "" : "s") + ")");
        this.server = server;
        this.timeLimit = timeLimit;
    }

    public InetSocketAddress server() {
        return server;
    }

    public Duration timeLimit() {
        return timeLimit;
    }
}
