package io.p2pd.turn;

import io.p2pd.stun.StunErrorCode;
import java.net.InetSocketAddress;

/**
 * 446 Connection Already Exists (RFC 6062): the TCP relay already has a connection to that peer address, or is
 * making one.
 */
public final class TurnConnectionExistsException extends TurnErrorResponseException {
    private static final long serialVersionUID = 1L;
    static final int CODE = 446;

    TurnConnectionExistsException(InetSocketAddress server, String request, StunErrorCode error) {
        super(server, request, error);
    }
}
