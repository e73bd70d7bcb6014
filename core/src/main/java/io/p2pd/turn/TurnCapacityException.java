package io.p2pd.turn;

import io.p2pd.stun.StunErrorCode;
import java.net.InetSocketAddress;

/** 508 Insufficient Capacity: the server cannot make an allocation now. */
public final class TurnCapacityException extends TurnErrorResponseException {
    private static final long serialVersionUID = 1L;

    TurnCapacityException(InetSocketAddress server, String request, StunErrorCode error) {
        super(server, request, error);
    }
}
