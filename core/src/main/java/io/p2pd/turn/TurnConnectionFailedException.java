package io.p2pd.turn;

import io.p2pd.stun.StunErrorCode;
import java.net.InetSocketAddress;

/**
 * 447 Connection Timeout or Failure (RFC 6062): the TURN server could not open the TCP connection to the peer (the
 * peer refused it, or it did not answer in time).
 */
public final class TurnConnectionFailedException extends TurnErrorResponseException {
    private static final long serialVersionUID = 1L;
    static final int CODE = 447;

    TurnConnectionFailedException(InetSocketAddress server, String request, StunErrorCode error) {
        super(server, request, error);
    }
}
