package io.p2pd.turn;

import io.p2pd.net.HostPort;
import java.net.InetSocketAddress;
import java.time.Duration;

/** No usable answer from the TURN server within the time limit, after the UDP retransmissions. */
public final class TurnTimeoutException extends TurnException {
    private static final long serialVersionUID = 1L;
    private final transient InetSocketAddress server;
    private final Duration timeLimit;
    private final int transmissions;

    TurnTimeoutException(InetSocketAddress server, String request, Duration timeLimit, int transmissions) {
        super("no answer to " + request + " from TURN server " + HostPort.of(server) + " within "
                + timeLimit.toMillis() + " ms (" + transmissions + " transmission" + (transmissions == 1 ? "" : "s")
                + ")");
        this.server = server;
        this.timeLimit = timeLimit;
        this.transmissions = transmissions;
    }

    public InetSocketAddress server() {
        return server;
    }

    public Duration timeLimit() {
        return timeLimit;
    }

    /** How many times the last request was sent (over TCP and TLS: once). */
    public int transmissions() {
        return transmissions;
    }
}
